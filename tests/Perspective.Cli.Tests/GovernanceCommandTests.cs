using Grpc.Core;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Testing;

namespace Perspective.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class GovernanceCommandTests(CliStack stack) : CliTestBase(stack)
{
    private SubDaoGovernanceService.SubDaoGovernanceServiceClient SubDao => new(Stack.SubDao.Channel);

    private async Task<string> ModelWithDaoAsync()
    {
        var (model, _) = await RegisterModelAsync(price: 10);
        await Eventually.WaitAsync(async () =>
        {
            try
            {
                return (await SubDao.GetDaoAsync(new GetDaoRequest { ModelId = model }, TestTokens.Bearer("anyone"), cancellationToken: Ct)).Dao is not null;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
        }, exists => exists, TimeSpan.FromSeconds(20), "the model's sub-DAO");
        return model;
    }

    [Fact]
    public async Task A_proposal_created_with_actions_is_voted_shown_with_its_tally_and_watched_until_decided()
    {
        var model = await ModelWithDaoAsync();

        var created = Json(await Pov("proposals", "create", "--profile", "carol", "--model", model, "--title", "Lower the fee",
            "--set-usage-fee", "8", "--treasury-spend", "dataco:500:dataset v2", "--distribute", "100", "--json")).GetProperty("proposal");
        var id = created.GetProperty("proposalId").GetString()!;
        var stored = (await SubDao.GetProposalAsync(new GetProposalRequest { ProposalId = id }, TestTokens.Bearer("anyone"), cancellationToken: Ct)).Proposal;
        Stack.GovernanceClock.SetUtcNow(stored.Timeline.VotingStartsAt.ToDateTimeOffset());
        await Stack.StepAsync();
        var vote = await Pov("proposals", "vote", id, "for", "--profile", "carol", "--reason", "cheaper");
        var shown = await Stack.RunAsync(Config, ["proposals", "show", id, "--profile", "carol", "--votes"], rich: true);
        Stack.GovernanceClock.SetUtcNow(stored.Timeline.VotingEndsAt.ToDateTimeOffset());
        await Stack.StepAsync();
        var watched = await Pov("proposals", "watch", id, "--profile", "carol");

        Assert.Equal(("carol", ProposalState.Pending), (stored.ProposerAccount, stored.State));
        Assert.Equal(8, stored.Actions[0].SetUsageFee.AmountPerUnit);
        Assert.Equal(("dataco", 500L, "dataset v2"), (stored.Actions[1].TreasurySpend.RecipientAccount, stored.Actions[1].TreasurySpend.Amount, stored.Actions[1].TreasurySpend.Purpose));
        Assert.Equal(100, stored.Actions[2].DistributeRewards.Amount);
        Assert.Equal(0, vote.ExitCode);
        Assert.Contains("carol voted FOR with weight 1,000,000", vote.Output, StringComparison.Ordinal);
        Assert.Contains("for 1,000,000 · against 0 · abstain 0 (1 votes)", shown.Output, StringComparison.Ordinal);
        Assert.Contains("set usage fee to 0.000008 POV per unit", shown.Output, StringComparison.Ordinal);
        Assert.Contains("for 1,000,000 100%", shown.Output, StringComparison.Ordinal);
        Assert.Contains("cheaper", shown.Output, StringComparison.Ordinal);
        Assert.Equal(0, watched.ExitCode);
        Assert.Contains("SUCCEEDED", watched.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vote_before_voting_opens_is_refused_and_a_proposal_with_no_action_is_a_usage_error()
    {
        var model = await ModelWithDaoAsync();
        var id = Json(await Pov("proposals", "create", "--profile", "carol", "--model", model, "--title", "Just a signal", "--signal", "--json"))
            .GetProperty("proposal").GetProperty("proposalId").GetString()!;

        var early = await Pov("proposals", "vote", id, "for", "--profile", "carol");
        var empty = await Pov("proposals", "create", "--profile", "carol", "--model", model, "--title", "Nothing");
        var both = await Pov("proposals", "create", "--profile", "carol", "--model", model, "--platform", "--title", "Both", "--signal");

        Assert.Equal(2, early.ExitCode);
        Assert.Contains("rejected: FAILED_PRECONDITION: ", early.Error, StringComparison.Ordinal);
        Assert.Equal((1, 1), (empty.ExitCode, both.ExitCode));
        Assert.Equal(ProposalState.Pending,
            (await SubDao.GetProposalAsync(new GetProposalRequest { ProposalId = id }, TestTokens.Bearer("anyone"), cancellationToken: Ct)).Proposal.State);
    }
}
