using Microsoft.Extensions.DependencyInjection;
using Perspective.Contracts.Governance.V1;
using Perspective.Testing;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>A proposal whose step keeps failing backs off (2, 4, … intervals) instead of being first in every pass.</summary>
public sealed class SchedulerTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    [Fact]
    public async Task A_step_that_keeps_failing_is_retried_later_and_later_and_recovers_when_the_row_is_fixed()
    {
        var model = await NewModelAsync("BACK");
        await SendAsync("carol", "dave", "BACK", 300_000);
        var broken = await ProposeAsync("carol", model.ModelId, Signal());
        var healthy = await ProposeAsync("dave", model.ModelId, Signal());
        await OpenAsync(broken);
        await VoteAsync("carol", broken.ProposalId, VoteSupport.For);
        await VoteAsync("dave", healthy.ProposalId, VoteSupport.For);
        // Counters that disagree with the recorded votes: deciding it throws (the tally would not match its digest).
        await SubDaoScalarAsync<int>("update proposals set for_count = 2 where proposal_id = @id::uuid", new { id = broken.ProposalId });

        var end = Time(broken.Timeline.VotingEndsAt);
        Assert.Equal(1, await AtAsync(end));
        Assert.Equal(ProposalState.Succeeded, (await GetAsync(healthy.ProposalId)).State);
        Assert.Equal(ProposalState.Active, (await GetAsync(broken.ProposalId)).State);
        Assert.Equal((1, end.AddSeconds(2)), await FailuresAsync(broken.ProposalId));
        Assert.Contains("votes recorded", await SubDaoScalarAsync<string>("select last_step_error from proposals where proposal_id = @id::uuid",
            new { id = broken.ProposalId }), StringComparison.Ordinal);

        // Not due again before its delay: a pass at the same instant leaves it alone (the healthy one moves on).
        await StepAsync();
        Assert.Equal((1, end.AddSeconds(2)), await FailuresAsync(broken.ProposalId));
        await AtAsync(end.AddSeconds(2));
        Assert.Equal((2, end.AddSeconds(2 + 4)), await FailuresAsync(broken.ProposalId));
        await AtAsync(end.AddSeconds(6));
        Assert.Equal((3, end.AddSeconds(6 + 8)), await FailuresAsync(broken.ProposalId));

        await SubDaoScalarAsync<int>("update proposals set for_count = 1 where proposal_id = @id::uuid", new { id = broken.ProposalId });
        Assert.Equal(1, await AtAsync(end.AddSeconds(14)));
        Assert.Equal(ProposalState.Succeeded, (await GetAsync(broken.ProposalId)).State);
        Assert.Equal(0, await SubDaoScalarAsync<int>("select step_failures from proposals where proposal_id = @id::uuid", new { id = broken.ProposalId }));
    }

    [Fact]
    public async Task The_retry_delay_doubles_from_the_interval_up_to_five_minutes()
    {
        var scheduler = SubDao.Services.GetRequiredService<Perspective.Governance.Engine.ProposalScheduler>();
        Assert.Equal([2, 4, 8, 16, 32, 64, 128, 256, 300, 300],
            Enumerable.Range(1, 10).Select(n => scheduler.RetryDelay(n).TotalSeconds));
        Assert.Equal(TimeSpan.FromMinutes(5), scheduler.RetryDelay(int.MaxValue));
    }

    private async Task<(int Failures, DateTimeOffset NextDueAt)> FailuresAsync(string proposalId)
    {
        var failures = await SubDaoScalarAsync<int>("select step_failures from proposals where proposal_id = @id::uuid", new { id = proposalId });
        var due = await SubDaoScalarAsync<DateTime>("select next_due_at from proposals where proposal_id = @id::uuid", new { id = proposalId });
        return (failures, new DateTimeOffset(DateTime.SpecifyKind(due, DateTimeKind.Utc)));
    }
}
