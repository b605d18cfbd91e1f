using Perspective.Contracts.Governance.V1;
using Perspective.Testing;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>A 60 % pass threshold: exactly 60 % of For + Against passes (the threshold is reached, not exceeded).</summary>
public sealed class SixtyPercentThresholdTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    protected override Dictionary<string, string?> ExtraSubDaoSettings => new() { ["Governance:DefaultSettings:PassThresholdBps"] = "6000" };

    [Fact]
    public async Task Exactly_sixty_percent_for_at_6000_bps_passes()
    {
        var model = await NewModelAsync("SIXT");
        await SendAsync("carol", "dave", "SIXT", 540_000);
        await SendAsync("carol", "erin", "SIXT", 360_000);
        var p = await ProposeAsync("carol", model.ModelId, Signal());
        Assert.Equal(6000, p.Settings.PassThresholdBps);
        await OpenAsync(p);
        await VoteAsync("dave", p.ProposalId, VoteSupport.For);
        await VoteAsync("erin", p.ProposalId, VoteSupport.Against);

        var closed = await CloseAsync(p.ProposalId);
        Assert.Equal((ProposalState.Succeeded, true, true, TallyOutcome.Passed),
            (closed.State, closed.Tally.QuorumReached, closed.Tally.ThresholdReached, closed.Tally.Outcome));
        Assert.Equal((540_000L, 360_000L), (closed.Tally.ForWeight, closed.Tally.AgainstWeight));
    }
}

/// <summary>A 10,000 bps pass threshold is reachable: a unanimous vote passes, so such settings cannot lock a DAO.</summary>
public sealed class UnanimityThresholdTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    protected override Dictionary<string, string?> ExtraSubDaoSettings => new() { ["Governance:DefaultSettings:PassThresholdBps"] = "10000" };

    [Fact]
    public async Task A_unanimous_vote_at_10000_bps_passes_and_one_unit_against_defeats()
    {
        var model = await NewModelAsync("UNAN");
        await SendAsync("carol", "dave", "UNAN", 600_000);
        await SendAsync("carol", "erin", "UNAN", 1);
        var unanimous = await ProposeAsync("dave", model.ModelId, Signal());
        var opposed = await ProposeAsync("carol", model.ModelId, Signal());
        Assert.Equal(10_000, unanimous.Settings.PassThresholdBps);
        await OpenAsync(unanimous);
        await VoteAsync("dave", unanimous.ProposalId, VoteSupport.For);
        await VoteAsync("carol", unanimous.ProposalId, VoteSupport.Abstain);
        await VoteAsync("dave", opposed.ProposalId, VoteSupport.For);
        await VoteAsync("erin", opposed.ProposalId, VoteSupport.Against);

        var passed = await CloseAsync(unanimous.ProposalId);
        var defeated = await GetAsync(opposed.ProposalId);
        Assert.Equal((ProposalState.Succeeded, true, 600_000L, 0L), (passed.State, passed.Tally.ThresholdReached, passed.Tally.ForWeight, passed.Tally.AgainstWeight));
        Assert.Equal((ProposalState.Defeated, true, false, 1L), (defeated.State, defeated.Tally.QuorumReached, defeated.Tally.ThresholdReached,
            defeated.Tally.AgainstWeight));
    }
}
