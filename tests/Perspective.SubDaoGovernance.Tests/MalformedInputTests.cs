using Grpc.Core;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Testing;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>Bad input is INVALID_ARGUMENT naming the field, and changes nothing.</summary>
public sealed class MalformedInputTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    [Fact]
    public async Task Malformed_proposals_votes_and_pages_are_invalid_argument_naming_the_field_and_change_nothing()
    {
        var model = await NewModelAsync("BADI");
        var id = model.ModelId;
        var good = Proposal(id, Signal());
        // Line breaks and tabs are fine in a long text; other control characters are not (PostgreSQL cannot store NUL).
        good.Description = "what\r\nand\twhy";
        CreateProposalRequest With(Action<CreateProposalRequest> change)
        {
            var request = new CreateProposalRequest(good) { RequestId = Guid.NewGuid().ToString() };
            change(request);
            return request;
        }
        GovernanceSettings Settings(Action<GovernanceSettings> change)
        {
            var settings = new GovernanceSettings
            {
                VotingDelaySeconds = 0,
                VotingPeriodSeconds = 100,
                QuorumBps = 1,
                PassThresholdBps = 10_000,
                ProposalThreshold = 0,
                ExecutionDelaySeconds = 0,
                GracePeriodSeconds = 1,
                LateQuorumExtensionSeconds = 99,
            };
            change(settings);
            return settings;
        }
        SubDaoAction Update(Action<GovernanceSettings> change) => new() { UpdateSettings = new UpdateSettingsAction { Settings = Settings(change) } };

        var cases = new (CreateProposalRequest Request, string Field)[]
        {
            (With(r => r.RequestId = ""), "request_id:"),
            (With(r => r.RequestId = "not-a-uuid"), "request_id:"),
            (With(r => r.ModelId = "model-1"), "model_id:"),
            (With(r => r.Title = ""), "title:"),
            (With(r => r.Title = new string('t', 201)), "title:"),
            (With(r => r.Description = new string('d', 10_001)), "description:"),
            (With(r => r.Actions.Clear()), "actions:"),
            (With(r => r.Actions.AddRange(Enumerable.Range(0, 10).Select(_ => Signal()))), "actions:"),
            (With(r => r.Actions.Add(new SubDaoAction())), "actions[1]:"),
            (With(r => r.Actions.Add(Fee(-1))), "actions[1].set_usage_fee.amount_per_unit:"),
            (With(r => r.Actions.Add(Spend("dev", 0))), "actions[1].treasury_spend.amount:"),
            (With(r => r.Actions.Add(Spend("", 5))), "actions[1].treasury_spend.recipient_account:"),
            (With(r => r.Actions.Add(Spend($"treasury:{id}", 5))), "actions[1].treasury_spend.recipient_account:"),
            (With(r => r.Actions.Add(Spend("issuance:POV", 5))), "actions[1].treasury_spend.recipient_account:"),
            (With(r => r.Actions.Add(new SubDaoAction { TreasurySpend = new TreasurySpendAction { RecipientAccount = "dev", Amount = 5 } })),
                "actions[1].treasury_spend.purpose:"),
            (With(r => r.Actions.Add(new SubDaoAction { DistributeRewards = new DistributeRewardsAction { Amount = 0 } })), "actions[1].distribute_rewards.amount:"),
            (With(r => r.Actions.Add(new SubDaoAction { UpdateSettings = new UpdateSettingsAction() })), "actions[1].update_settings.settings:"),
            (With(r => r.Actions.Add(Update(s => s.QuorumBps = 0))), "actions[1].update_settings.settings.quorum_bps:"),
            (With(r => r.Actions.Add(Update(s => s.PassThresholdBps = 10_001))), "actions[1].update_settings.settings.pass_threshold_bps:"),
            (With(r => r.Actions.Add(Update(s => s.VotingPeriodSeconds = 0))), "actions[1].update_settings.settings.voting_period_seconds:"),
            (With(r => r.Actions.Add(Update(s => s.GracePeriodSeconds = 0))), "actions[1].update_settings.settings.grace_period_seconds:"),
            (With(r => r.Actions.Add(Update(s => s.VotingDelaySeconds = -1))), "actions[1].update_settings.settings.voting_delay_seconds:"),
            (With(r => r.Actions.Add(Update(s => s.ProposalThreshold = -1))), "actions[1].update_settings.settings.proposal_threshold:"),
            (With(r => r.Actions.Add(Update(s => s.LateQuorumExtensionSeconds = 100))), "actions[1].update_settings.settings.late_quorum_extension_seconds:"),
            (With(r => r.Title = "a\0b"), "title:"),
            (With(r => r.Title = "two\nlines"), "title:"),
            (With(r => r.Description = "nul\0"), "description:"),
            (With(r => r.Description = "escape\u001b[31m"), "description:"),
            (With(r => r.Actions.Add(Spend("dev\u0001", 5))), "actions[1].treasury_spend.recipient_account:"),
            (With(r => r.Actions.Add(new SubDaoAction { TreasurySpend = new TreasurySpendAction { RecipientAccount = "dev", Amount = 5, Purpose = "h\0sting" } })),
                "actions[1].treasury_spend.purpose:"),
        };
        foreach (var (request, field) in cases)
        {
            var error = await RejectedAsync(Client.CreateProposalAsync(request, As("carol"), cancellationToken: Ct));
            Assert.True(error.StatusCode == StatusCode.InvalidArgument && error.Status.Detail.StartsWith(field, StringComparison.Ordinal),
                $"{field}: {error.StatusCode} {error.Status.Detail}");
        }
        Assert.Equal(0, await SubDaoScalarAsync<int>("select count(*)::int from proposals"));
        Assert.Equal(0, await SubDaoScalarAsync<int>("select count(*)::int from requests"));
        // Refused before the Ledger is asked for a snapshot.
        Assert.Empty(LedgerCalls);

        var p = await ProposeAsync("carol", good);
        await OpenAsync(p);
        var ballots = new (CastVoteRequest Request, string Field)[]
        {
            (new CastVoteRequest(Ballot(p.ProposalId, VoteSupport.For)) { RequestId = "" }, "request_id:"),
            (new CastVoteRequest(Ballot(p.ProposalId, VoteSupport.For)) { ProposalId = "x" }, "proposal_id:"),
            (Ballot(p.ProposalId, VoteSupport.Unspecified), "support:"),
            (Ballot(p.ProposalId, (VoteSupport)7), "support:"),
            (Ballot(p.ProposalId, VoteSupport.For, new string('r', 1001)), "reason:"),
            (Ballot(p.ProposalId, VoteSupport.For, "no\0"), "reason:"),
            (Ballot(p.ProposalId, VoteSupport.For, "bell\u0007"), "reason:"),
        };
        var ledgerCallsBefore = LedgerCalls.Values.Sum();
        foreach (var (request, field) in ballots)
        {
            var error = await RejectedAsync(Client.CastVoteAsync(request, As("carol"), cancellationToken: Ct));
            Assert.True(error.StatusCode == StatusCode.InvalidArgument && error.Status.Detail.StartsWith(field, StringComparison.Ordinal),
                $"{field}: {error.StatusCode} {error.Status.Detail}");
        }
        var cancel = await RejectedAsync(Client.CancelProposalAsync(new CancelProposalRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ProposalId = p.ProposalId,
            Reason = new string('r', 1001),
        }, As("carol"), cancellationToken: Ct));
        Assert.StartsWith("reason:", cancel.Status.Detail, StringComparison.Ordinal);
        var nulCancel = await RejectedAsync(Client.CancelProposalAsync(new CancelProposalRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ProposalId = p.ProposalId,
            Reason = "\0",
        }, As("carol"), cancellationToken: Ct));
        Assert.Equal((StatusCode.InvalidArgument, true), (nulCancel.StatusCode, nulCancel.Status.Detail.StartsWith("reason:", StringComparison.Ordinal)));
        var proposer = await RejectedAsync(Client.ListProposalsAsync(new ListProposalsRequest { ProposerAccount = "carol\0" }, As("anyone"),
            cancellationToken: Ct));
        Assert.Equal((StatusCode.InvalidArgument, true), (proposer.StatusCode, proposer.Status.Detail.StartsWith("proposer_account:", StringComparison.Ordinal)));
        var voter = await RejectedAsync(Client.GetVoteAsync(new GetVoteRequest { ProposalId = p.ProposalId, VoterAccount = "\0" }, As("anyone"),
            cancellationToken: Ct));
        Assert.Equal((StatusCode.InvalidArgument, true), (voter.StatusCode, voter.Status.Detail.StartsWith("voter_account:", StringComparison.Ordinal)));
        var page = await RejectedAsync(Client.ListProposalsAsync(new ListProposalsRequest { PageSize = -1 }, As("anyone"), cancellationToken: Ct));
        Assert.StartsWith("page_size:", page.Status.Detail, StringComparison.Ordinal);
        var state = await RejectedAsync(Client.ListProposalsAsync(new ListProposalsRequest { State = (ProposalState)42 }, As("anyone"), cancellationToken: Ct));
        Assert.StartsWith("state:", state.Status.Detail, StringComparison.Ordinal);
        var token = await RejectedAsync(Client.ListVotesAsync(new ListVotesRequest { ProposalId = p.ProposalId, PageToken = "!!" }, As("anyone"),
            cancellationToken: Ct));
        Assert.StartsWith("page_token:", token.Status.Detail, StringComparison.Ordinal);

        Assert.Equal(0, await SubDaoScalarAsync<int>("select count(*)::int from votes"));
        Assert.Equal(1, await SubDaoScalarAsync<int>("select count(*)::int from requests"));
        Assert.Equal(ledgerCallsBefore, LedgerCalls.Values.Sum());
        Assert.Equal("what\r\nand\twhy", (await GetAsync(p.ProposalId)).Description);
        Assert.Equal(ProposalState.Active, (await GetAsync(p.ProposalId)).State);
        var missing = await RejectedAsync(Client.GetProposalAsync(new GetProposalRequest { ProposalId = Guid.NewGuid().ToString() }, As("anyone"),
            cancellationToken: Ct));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }
}
