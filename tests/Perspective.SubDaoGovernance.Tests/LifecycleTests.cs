using System.Text.Json;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Testing;
using ActionExecuted = Perspective.Contracts.Events.Governance.V1.ProposalActionExecuted;
using ActionFailed = Perspective.Contracts.Events.Governance.V1.ProposalActionFailed;
using Decided = Perspective.Contracts.Events.SubDao.V1.ProposalDecided;
using EventKind = Perspective.Contracts.Events.SubDao.V1.SubDaoActionKind;
using ExecutionRequested = Perspective.Contracts.Events.SubDao.V1.ProposalExecutionRequested;
using Outcome = Perspective.Contracts.Events.Governance.V1.ProposalOutcome;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>Proposals from creation to a carried-out effect, through every state, against the real registry and Ledger.</summary>
public sealed class LifecycleTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    [Fact]
    public async Task A_passed_fee_proposal_goes_pending_active_succeeded_queued_executed_and_the_registry_charges_the_new_fee()
    {
        var decided = await Bus.ObserveAsync<Decided>();
        var requested = await Bus.ObserveAsync<ExecutionRequested>();
        var model = await NewModelAsync("FEE", price: 25);
        var dao = await DaoAsync(model.ModelId);
        Assert.Equal(("FEE", $"treasury:{model.ModelId}", 2000, true), (dao.VotingAsset, dao.TreasuryAccount, dao.Settings.QuorumBps, dao.AcceptingProposals));

        var created = await ProposeAsync("carol", model.ModelId, Fee(40));
        Assert.Equal(ProposalState.Pending, created.State);
        Assert.Equal(await HeadAsync(), created.SnapshotSequence);
        Assert.Equal((Start.AddSeconds(60), Start.AddSeconds(3660)), (Time(created.Timeline.VotingStartsAt), Time(created.Timeline.VotingEndsAt)));
        Assert.Equal(40, created.Actions.Single().SetUsageFee.AmountPerUnit);

        await OpenAsync(created);
        var cast = await VoteAsync("carol", created.ProposalId, VoteSupport.For, "cheaper is better");
        Assert.Equal((Supply, 1L, "cheaper is better"), (cast.Vote.Weight, cast.Vote.Ordinal, cast.Vote.Reason));
        Assert.Equal((Supply, 200_000L, true, TallyOutcome.Pending), (cast.Tally.ForWeight, cast.Tally.QuorumWeight, cast.Tally.QuorumReached, cast.Tally.Outcome));

        var closed = await CloseAsync(created.ProposalId);
        Assert.Equal(ProposalState.Succeeded, closed.State);
        Assert.Equal((TallyOutcome.Passed, true), (closed.Tally.Outcome, closed.Tally.Final));
        Assert.Equal(Start.AddSeconds(3660 + 600), Time(closed.Timeline.ExecutableAt));
        Assert.Equal(Start.AddSeconds(3660 + 600 + 3600), Time(closed.Timeline.ExpiresAt));
        var decision = await decided.WaitForAsync(e => e.ProposalId == created.ProposalId);
        Assert.Equal((model.ModelId, Outcome.Succeeded, created.SnapshotSequence, Supply, 0L, 1, closed.Tally.VotesDigest),
            (decision.ModelId, decision.Outcome, decision.SnapshotSequence, decision.Tally.ForBaseUnits, decision.Tally.AgainstBaseUnits,
                decision.Tally.VoteCount, decision.Tally.VoteListDigest));

        var executing = await ExecuteAsync(created.ProposalId);
        Assert.Equal(ProposalState.Queued, executing.State);
        Assert.Equal(Start.AddSeconds(3660 + 600), Time(executing.Timeline.ExecutionRequestedAt));
        var request = await requested.WaitForAsync(e => e.ProposalId == created.ProposalId);
        Assert.Equal((model.ModelId, EventKind.SetUsageFee, 40L), (request.ModelId, request.Actions.Single().Kind, request.Actions.Single().PricePerUnitBaseUnits));

        var executed = await WaitStateAsync(created.ProposalId, ProposalState.Executed);
        Assert.Equal("", executed.FailureReason);
        Assert.NotNull(executed.Timeline.ExecutedAt);
        var priced = await Models.GetModelAsync(new GetModelRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct);
        Assert.Equal(40, priced.Model.Price.AmountPerUnit);
        Assert.Equal(0, await StepAsync());
    }

    [Fact]
    public async Task A_fee_the_registry_refuses_ends_execution_failed_with_its_reason()
    {
        var model = await NewModelAsync("SAME", price: 25);
        var p = await ProposeAsync("carol", model.ModelId, Signal(), Fee(25));
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        await CloseAsync(p.ProposalId);
        await ExecuteAsync(p.ProposalId);

        var failed = await WaitStateAsync(p.ProposalId, ProposalState.ExecutionFailed);
        Assert.StartsWith("actions[1] (registry): ", failed.FailureReason, StringComparison.Ordinal);
        Assert.Contains("already 25", failed.FailureReason, StringComparison.Ordinal);
        Assert.Equal(1, await OutboxCountAsync<ActionExecuted>());
        Assert.Equal(0, await OutboxCountAsync<ActionFailed>());
    }

    [Fact]
    public async Task A_treasury_spend_stays_queued_with_its_request_published_and_expires_after_the_grace_period()
    {
        var requested = await Bus.ObserveAsync<ExecutionRequested>();
        var model = await NewModelAsync("SPND");
        var p = await ProposeAsync("carol", model.ModelId, Spend("dev-1", 500), new SubDaoAction { DistributeRewards = new DistributeRewardsAction { Amount = 70 } });
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        await CloseAsync(p.ProposalId);

        var queued = await ExecuteAsync(p.ProposalId);
        var request = await requested.WaitForAsync(e => e.ProposalId == p.ProposalId);
        Assert.Equal([(0, EventKind.TreasurySpend, "dev-1", 500L, "hosting"), (1, EventKind.DistributeRewards, null, 70L, null)],
            request.Actions.Select(a => (a.Index, a.Kind, a.Recipient, a.AmountBaseUnits ?? 0, a.Purpose)));
        Assert.Equal(ProposalState.Queued, queued.State);

        Clock.SetUtcNow(Time(queued.Timeline.ExpiresAt).AddSeconds(-1));
        Assert.Equal(0, await StepAsync());
        Assert.Equal(ProposalState.Queued, (await GetAsync(p.ProposalId)).State);
        await AtAsync(Time(queued.Timeline.ExpiresAt));
        var expired = await GetAsync(p.ProposalId);
        Assert.Equal((ProposalState.Expired, "not executed within the grace period"), (expired.State, expired.FailureReason));
        Assert.Equal(1, await OutboxCountAsync<ExecutionRequested>());
    }

    [Fact]
    public async Task A_defeated_proposal_is_decided_and_never_requested()
    {
        var model = await NewModelAsync("DEFT");
        await SendAsync("carol", "dave", "DEFT", 400_000);
        var p = await ProposeAsync("carol", model.ModelId, Fee(30));
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.Against);
        await VoteAsync("dave", p.ProposalId, VoteSupport.For);

        var closed = await CloseAsync(p.ProposalId);
        Assert.Equal((ProposalState.Defeated, TallyOutcome.Defeated, true, false), (closed.State, closed.Tally.Outcome, closed.Tally.QuorumReached,
            closed.Tally.ThresholdReached));
        Assert.Null(closed.Timeline.ExecutableAt);
        Clock.Advance(TimeSpan.FromDays(10));
        Assert.Equal(0, await StepAsync());
        Assert.Equal(1, await OutboxCountAsync<Decided>());
        Assert.Equal(0, await OutboxCountAsync<ExecutionRequested>());
        var payload = JsonDocument.Parse(await OutboxPayloadAsync<Decided>()).RootElement;
        Assert.Equal((int)Outcome.Defeated, payload.GetProperty("outcome").GetInt32());
    }

    [Fact]
    public async Task A_passed_signal_is_executed_by_the_sub_dao_itself_when_the_timelock_ends()
    {
        var model = await NewModelAsync("SGNL");
        var p = await ProposalSignalAsync(model.ModelId);
        var executed = await ExecuteAsync(p.ProposalId);
        Assert.Equal(ProposalState.Executed, executed.State);
        Assert.Equal(1, await OutboxCountAsync<ActionExecuted>());
    }

    private async Task<SubDaoProposal> ProposalSignalAsync(string modelId)
    {
        var request = Proposal(modelId, Signal());
        request.Title = "Please add a German model card";
        var p = await ProposeAsync("carol", request);
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        Assert.Equal(ProposalState.Succeeded, (await CloseAsync(p.ProposalId)).State);
        return p;
    }

    [Fact]
    public async Task The_proposer_cancels_before_voting_starts_and_no_one_else_or_later_can()
    {
        var model = await NewModelAsync("CNCL");
        var p = await ProposeAsync("carol", model.ModelId, Signal());

        var other = await RejectedAsync(Client.CancelProposalAsync(new CancelProposalRequest { RequestId = Guid.NewGuid().ToString(), ProposalId = p.ProposalId },
            As("dave"), cancellationToken: Ct));
        Assert.Equal(Grpc.Core.StatusCode.PermissionDenied, other.StatusCode);
        var cancel = new CancelProposalRequest { RequestId = Guid.NewGuid().ToString(), ProposalId = p.ProposalId, Reason = "typo" };
        var canceled = (await Client.CancelProposalAsync(cancel, As("carol"), cancellationToken: Ct)).Proposal;
        Assert.Equal((ProposalState.Canceled, "typo"), (canceled.State, canceled.FailureReason));
        var replay = (await Client.CancelProposalAsync(cancel, As("carol"), cancellationToken: Ct)).Proposal;
        Assert.Equal((canceled.ProposalId, ProposalState.Canceled, canceled.Timeline.CanceledAt), (replay.ProposalId, replay.State, replay.Timeline.CanceledAt));

        var second = await ProposeAsync("carol", model.ModelId, Signal());
        await OpenAsync(second);
        var late = await RejectedAsync(Client.CancelProposalAsync(new CancelProposalRequest { RequestId = Guid.NewGuid().ToString(), ProposalId = second.ProposalId },
            As("carol"), cancellationToken: Ct));
        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Equal(ProposalState.Active, (await GetAsync(second.ProposalId)).State);
        Assert.Equal(0, await StepAsync());
    }
}
