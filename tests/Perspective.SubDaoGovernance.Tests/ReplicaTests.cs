using Perspective.Contracts.Governance.V1;
using Perspective.Testing;
using Decided = Perspective.Contracts.Events.SubDao.V1.ProposalDecided;
using ExecutionRequested = Perspective.Contracts.Events.SubDao.V1.ProposalExecutionRequested;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>Two replicas of the sub-DAO service on one database: each step happens once.</summary>
public sealed class ReplicaTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    [Fact]
    public async Task Two_replicas_running_scheduler_passes_at_once_step_each_proposal_once_and_publish_each_event_once()
    {
        var replica = await StartSubDaoAsync();
        var model = await NewModelAsync("TWIN");
        await SendAsync("carol", "dave", "TWIN", 300_000);
        var proposals = new[] { await ProposeAsync("carol", model.ModelId, Signal()), await ProposeAsync("dave", model.ModelId, Signal()) };
        Clock.SetUtcNow(Time(proposals[0].Timeline.VotingStartsAt).AddSeconds(1));
        Assert.Equal(2, await UntilIdleAsync(replica)); // activated
        await VoteAsync("carol", proposals[0].ProposalId, VoteSupport.For);
        await VoteAsync("dave", proposals[1].ProposalId, VoteSupport.For);

        // Which replica takes a step, and in which round, is a race; how many steps are taken in all is not.
        Clock.SetUtcNow(Time(proposals[1].Timeline.VotingEndsAt).AddSeconds(1));
        Assert.Equal(4, await UntilIdleAsync(replica)); // decided, then queued
        Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(2, await UntilIdleAsync(replica)); // requested and, being signals, executed

        Assert.Equal(2, await OutboxCountAsync<Decided>());
        Assert.Equal(2, await OutboxCountAsync<ExecutionRequested>());
        foreach (var p in proposals)
        {
            Assert.Equal(ProposalState.Executed, (await GetAsync(p.ProposalId)).State);
        }
    }

    /// <summary>Both replicas run passes at once, round after round, until a round takes no step; returns all steps taken.</summary>
    private async Task<int> UntilIdleAsync(ServiceUnderTest replica)
    {
        var total = 0;
        for (var round = 0; round < 10; round++)
        {
            var steps = (await Task.WhenAll(StepAsync(), StepAsync(replica))).Sum();
            if (steps == 0)
            {
                return total;
            }
            total += steps;
        }
        throw new InvalidOperationException("the scheduler kept finding work after 10 rounds");
    }

    [Fact]
    public async Task The_background_scheduler_moves_proposals_on_its_own_when_time_passes()
    {
        // A replica whose background loop runs (the base's own replica has it off); the base stops it at the end.
        await StartSubDaoAsync(new() { ["Governance:Scheduler:Enabled"] = "true", ["Governance:Scheduler:IntervalMs"] = "50" });
        var model = await NewModelAsync("AUTO");
        var p = await ProposeAsync("carol", model.ModelId, Signal());
        Clock.SetUtcNow(Time(p.Timeline.VotingStartsAt));
        await WaitStateAsync(p.ProposalId, ProposalState.Active);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        Clock.SetUtcNow(Time(p.Timeline.VotingEndsAt).AddMinutes(10));
        var executed = await WaitStateAsync(p.ProposalId, ProposalState.Executed);
        Assert.Equal(TallyOutcome.Passed, executed.Tally.Outcome);
        Assert.Equal(Time(p.Timeline.VotingEndsAt).AddMinutes(10), Time(executed.Timeline.ExecutableAt));
    }
}
