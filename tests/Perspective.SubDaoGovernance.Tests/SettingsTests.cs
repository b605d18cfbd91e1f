using Grpc.Core;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Testing;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>A proposal keeps the settings it was created under; UpdateSettings is carried out by the sub-DAO itself.</summary>
public sealed class SettingsTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    private static GovernanceSettings Strict => new()
    {
        VotingDelaySeconds = 120,
        VotingPeriodSeconds = 7200,
        QuorumBps = 9000,
        PassThresholdBps = 6000,
        ProposalThreshold = 50_000,
        ExecutionDelaySeconds = 900,
        GracePeriodSeconds = 1800,
        LateQuorumExtensionSeconds = 300,
    };

    [Fact]
    public async Task Settings_changed_after_a_proposal_was_created_leave_its_result_as_it_would_have_been()
    {
        var model = await NewModelAsync("FRZN");
        await SendAsync("carol", "dave", "FRZN", 250_000);
        var update = await ProposeAsync("carol", model.ModelId, new SubDaoAction { UpdateSettings = new UpdateSettingsAction { Settings = Strict } });
        await OpenAsync(update);
        await VoteAsync("carol", update.ProposalId, VoteSupport.For);
        await CloseAsync(update.ProposalId);
        await StepAsync();
        Assert.Equal(ProposalState.Queued, (await GetAsync(update.ProposalId)).State);

        // Created while the old settings are in force: 20 % quorum, which dave's 25 % meets.
        var running = await ProposeAsync("dave", model.ModelId, Signal());
        var executed = await AtAsync(Time((await GetAsync(update.ProposalId)).Timeline.ExecutableAt));
        Assert.Equal(2, executed);
        Assert.Equal(ProposalState.Executed, (await GetAsync(update.ProposalId)).State);
        var dao = await DaoAsync(model.ModelId);
        Assert.Equal(Strict, dao.Settings);

        await VoteAsync("dave", running.ProposalId, VoteSupport.For);
        var closed = await CloseAsync(running.ProposalId);
        Assert.Equal(ProposalState.Succeeded, closed.State);
        Assert.Equal((2000, 200_000L), (closed.Settings.QuorumBps, closed.Tally.QuorumWeight));
        Assert.Equal(running.Timeline.VotingEndsAt, closed.Timeline.VotingEndsAt);

        // A proposal created now freezes the new settings: the same 25 % no longer reaches quorum.
        await StepAsync();
        var later = await ProposeAsync("dave", model.ModelId, Signal());
        Assert.Equal(Strict, later.Settings);
        Assert.Equal(Time(later.Timeline.CreatedAt).AddSeconds(120 + 7200), Time(later.Timeline.VotingEndsAt));
        await OpenAsync(later);
        await VoteAsync("dave", later.ProposalId, VoteSupport.For);
        var strictResult = await CloseAsync(later.ProposalId);
        Assert.Equal((ProposalState.Defeated, 900_000L, false), (strictResult.State, strictResult.Tally.QuorumWeight, strictResult.Tally.QuorumReached));
        Assert.Equal(TallyOutcome.Passed, (await GetAsync(running.ProposalId)).Tally.Outcome);
    }
}

/// <summary>Late-quorum protection on (10 minutes): the end moves once, when quorum is first reached near it.</summary>
public sealed class LateQuorumTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    protected override Dictionary<string, string?> ExtraSubDaoSettings => new() { ["Governance:DefaultSettings:LateQuorumExtensionSeconds"] = "600" };

    [Fact]
    public async Task Quorum_first_reached_in_the_last_ten_minutes_extends_voting_once_to_ten_minutes_after_that_vote()
    {
        var model = await NewModelAsync("LATE");
        await SendAsync("carol", "dave", "LATE", 150_000);
        await SendAsync("carol", "erin", "LATE", 100_000);
        await SendAsync("carol", "fred", "LATE", 100_000);
        var p = await ProposeAsync("carol", model.ModelId, Signal());
        Assert.Equal(600, p.Settings.LateQuorumExtensionSeconds);
        await OpenAsync(p);
        var end = Time(p.Timeline.VotingEndsAt);

        Clock.SetUtcNow(end.AddMinutes(-20));
        await VoteAsync("dave", p.ProposalId, VoteSupport.Abstain);
        Assert.Equal(end, Time((await GetAsync(p.ProposalId)).Timeline.VotingEndsAt));
        Clock.SetUtcNow(end.AddMinutes(-5));
        var reached = await VoteAsync("erin", p.ProposalId, VoteSupport.For);
        Assert.True(reached.Tally.QuorumReached);
        var extended = await GetAsync(p.ProposalId);
        Assert.Equal((end.AddMinutes(5), true), (Time(extended.Timeline.VotingEndsAt), extended.Timeline.VotingExtended));

        // Not again: a later vote near the new end leaves it.
        Clock.SetUtcNow(end.AddMinutes(4));
        await VoteAsync("fred", p.ProposalId, VoteSupport.For);
        Assert.Equal(end.AddMinutes(5), Time((await GetAsync(p.ProposalId)).Timeline.VotingEndsAt));
        Assert.Equal(0, await AtAsync(end.AddMinutes(4).AddSeconds(59)));
        Assert.Equal(ProposalState.Active, (await GetAsync(p.ProposalId)).State);
        Assert.Equal(1, await AtAsync(end.AddMinutes(5)));
        var decided = await GetAsync(p.ProposalId);
        Assert.Equal((ProposalState.Succeeded, 200_000L, 150_000L), (decided.State, decided.Tally.ForWeight, decided.Tally.AbstainWeight));
    }

    [Fact]
    public async Task Quorum_reached_early_keeps_the_end()
    {
        var model = await NewModelAsync("ERLY");
        var p = await ProposeAsync("carol", model.ModelId, Signal());
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        var after = await GetAsync(p.ProposalId);
        Assert.Equal((p.Timeline.VotingEndsAt, false), (after.Timeline.VotingEndsAt, after.Timeline.VotingExtended));
        Assert.Equal(ProposalState.Succeeded, (await CloseAsync(p.ProposalId)).State);
    }
}
