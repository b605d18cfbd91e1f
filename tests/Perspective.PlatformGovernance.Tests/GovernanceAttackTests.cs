using Grpc.Core;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.Testing;

namespace Perspective.PlatformGovernance.Tests;

/// <summary>
/// Attacks on the platform DAO's vote and timelock: a second vote under another request id, POV moved around the
/// snapshot to vote with it twice, and an execution one tick before the timelock ends.
/// </summary>
public sealed class GovernanceAttackTests(TestInfrastructure infrastructure) : PlatformTestBase(infrastructure)
{
    private LedgerService.LedgerServiceClient Ledger => new(LedgerHost.Channel);

    private static PlatformAction Signal() => new() { Signal = new SignalAction() };

    private async Task SendPovAsync(string from, string to, long amount) =>
        await Ledger.TransferAsync(new TransferRequest { RequestId = Guid.NewGuid().ToString(), FromAccount = from, ToAccount = to, Asset = "POV", Amount = amount },
            As(from), cancellationToken: Ct);

    private async Task<Tally> TallyAsync(string proposalId) =>
        (await Client.GetTallyAsync(new GetTallyRequest { ProposalId = proposalId }, As("anyone"), cancellationToken: Ct)).Tally;

    [Fact]
    public async Task A_second_vote_under_another_request_id_is_already_exists_and_the_first_is_counted_once()
    {
        var p = await ProposeAsync("alice", Signal());
        await AtAsync(Time(p.Timeline.VotingStartsAt));

        var first = await VoteAsync("bob", p.ProposalId, VoteSupport.For);
        var second = await RejectedAsync(Client.CastVoteAsync(new CastVoteRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ProposalId = p.ProposalId,
            Support = VoteSupport.Against
        }, As("bob"), cancellationToken: Ct));
        var third = await RejectedAsync(Client.CastVoteAsync(new CastVoteRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ProposalId = p.ProposalId,
            Support = VoteSupport.For
        }, As("bob"), cancellationToken: Ct));

        Assert.Equal(300_000, first.Vote.Weight);
        Assert.Equal((StatusCode.AlreadyExists, StatusCode.AlreadyExists), (second.StatusCode, third.StatusCode));
        var tally = await TallyAsync(p.ProposalId);
        Assert.Equal((1L, 300_000L, 0L), (tally.VoteCount, tally.ForWeight, tally.AgainstWeight));
    }

    [Fact]
    public async Task Pov_moved_after_the_snapshot_votes_once_at_snapshot_balances()
    {
        var p = await ProposeAsync("alice", Signal());
        await AtAsync(Time(p.Timeline.VotingStartsAt));

        // bob votes with his 300,000, then hands them to carol (100,000 at the snapshot) and to dave (none).
        var bob = await VoteAsync("bob", p.ProposalId, VoteSupport.For);
        await SendPovAsync("bob", "carol", 200_000);
        await SendPovAsync("bob", "dave", 100_000);
        var carol = await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        var dave = await RejectedAsync(Client.CastVoteAsync(new CastVoteRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ProposalId = p.ProposalId,
            Support = VoteSupport.For
        }, As("dave"), cancellationToken: Ct));

        Assert.Equal((300_000L, 100_000L), (bob.Vote.Weight, carol.Vote.Weight));
        Assert.Equal(StatusCode.FailedPrecondition, dave.StatusCode);
        Assert.Contains("zero weight", dave.Status.Detail, StringComparison.Ordinal);
        var tally = await TallyAsync(p.ProposalId);
        Assert.Equal((2L, 400_000L, 1_000_000L, p.SnapshotSequence), (tally.VoteCount, tally.ForWeight, tally.SupplyAtSnapshot, tally.SnapshotSequence));
    }

    [Fact]
    public async Task Nothing_is_executed_one_tick_before_the_timelock_ends()
    {
        var p = await ProposeAsync("alice", Signal());
        await AtAsync(Time(p.Timeline.VotingStartsAt));
        await VoteAsync("alice", p.ProposalId, VoteSupport.For);
        await AtAsync(Time(p.Timeline.VotingEndsAt));
        await StepAsync();
        var queued = await GetAsync(p.ProposalId);
        Assert.Equal(ProposalState.Queued, queued.State);
        var outbox = await ScalarAsync<int>(Platform, "select count(*)::int from outbox_messages");

        Clock.SetUtcNow(Time(queued.Timeline.ExecutableAt).AddTicks(-1));
        await StepAsync();
        var early = await GetAsync(p.ProposalId);
        Assert.Equal((ProposalState.Queued, null, null), (early.State, early.Timeline.ExecutionRequestedAt, early.Timeline.ExecutedAt));
        Assert.Equal(outbox, await ScalarAsync<int>(Platform, "select count(*)::int from outbox_messages"));

        await AtAsync(Time(queued.Timeline.ExecutableAt));
        var executed = await WaitStateAsync(p.ProposalId, ProposalState.Executed);
        Assert.Equal(Time(queued.Timeline.ExecutableAt), Clock.GetUtcNow());
        Assert.True(Time(executed.Timeline.ExecutedAt) >= Time(queued.Timeline.ExecutableAt));
    }
}
