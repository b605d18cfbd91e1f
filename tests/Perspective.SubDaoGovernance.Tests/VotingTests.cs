using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Testing;
using Decided = Perspective.Contracts.Events.SubDao.V1.ProposalDecided;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>Snapshot weights, one vote per voter, the voting window, quorum and threshold edges, and the reproducible tally.</summary>
public sealed class VotingTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    [Fact]
    public async Task Tokens_moved_after_the_snapshot_neither_vote_twice_nor_vote_for_the_receiver()
    {
        var model = await NewModelAsync("SNAP");
        await SendAsync("carol", "dave", "SNAP", 100_000);
        var p = await ProposeAsync("carol", model.ModelId, Signal());
        await OpenAsync(p);

        var carol = await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        Assert.Equal(900_000, carol.Vote.Weight);
        await SendAsync("carol", "erin", "SNAP", 500_000);
        await SendAsync("carol", "dave", "SNAP", 100_000);

        var erin = await RejectedAsync(Client.CastVoteAsync(Ballot(p.ProposalId, VoteSupport.Against), As("erin"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, erin.StatusCode);
        Assert.Contains("zero weight", erin.Status.Detail, StringComparison.Ordinal);
        var dave = await VoteAsync("dave", p.ProposalId, VoteSupport.Against);
        Assert.Equal((100_000L, 2L), (dave.Vote.Weight, dave.Vote.Ordinal));
        var again = await RejectedAsync(Client.CastVoteAsync(Ballot(p.ProposalId, VoteSupport.Against), As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);

        var tally = await TallyAsync(p.ProposalId);
        Assert.Equal((900_000L, 100_000L, 0L, 2L, p.SnapshotSequence), (tally.ForWeight, tally.AgainstWeight, tally.AbstainWeight, tally.VoteCount,
            tally.SnapshotSequence));
        Assert.Equal(2, await SubDaoScalarAsync<int>("select count(*)::int from votes"));
    }

    [Fact]
    public async Task A_second_vote_is_already_exists_and_the_same_request_id_returns_the_same_receipt()
    {
        var model = await NewModelAsync("TWCE");
        var p = await ProposeAsync("carol", model.ModelId, Signal());
        await OpenAsync(p);
        var ballot = Ballot(p.ProposalId, VoteSupport.Abstain, "no view");

        var first = await Client.CastVoteAsync(ballot, As("carol"), cancellationToken: Ct);
        Clock.Advance(TimeSpan.FromMinutes(5));
        var retry = await Client.CastVoteAsync(ballot, As("carol"), cancellationToken: Ct);
        Assert.Equal(first.Vote, retry.Vote);
        Assert.Equal(first.Tally.VotesDigest, retry.Tally.VotesDigest);

        var changedMind = await RejectedAsync(Client.CastVoteAsync(Ballot(p.ProposalId, VoteSupport.For), As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.AlreadyExists, changedMind.StatusCode);
        Assert.Contains("already voted", changedMind.Status.Detail, StringComparison.Ordinal);
        var reused = await RejectedAsync(Client.CastVoteAsync(new CastVoteRequest(ballot) { Support = VoteSupport.For }, As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.AlreadyExists, reused.StatusCode);
        Assert.Contains("request_id", reused.Status.Detail, StringComparison.Ordinal);
        var tally = await TallyAsync(p.ProposalId);
        Assert.Equal((1L, Supply, 0L), (tally.VoteCount, tally.AbstainWeight, tally.ForWeight));
    }

    [Fact]
    public async Task A_vote_before_voting_starts_or_at_its_end_is_refused_and_changes_nothing()
    {
        var model = await NewModelAsync("WNDW");
        var p = await ProposeAsync("carol", model.ModelId, Signal());

        var early = await RejectedAsync(Client.CastVoteAsync(Ballot(p.ProposalId, VoteSupport.For), As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
        Assert.Contains("voting has not started", early.Status.Detail, StringComparison.Ordinal);

        // At the end itself, even before the scheduler has recorded the result.
        Clock.SetUtcNow(Time(p.Timeline.VotingEndsAt));
        var late = await RejectedAsync(Client.CastVoteAsync(Ballot(p.ProposalId, VoteSupport.For), As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Contains("voting has ended", late.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, (await TallyAsync(p.ProposalId)).VoteCount);
        await StepAsync();
        await StepAsync();
        Assert.Equal(ProposalState.Defeated, (await GetAsync(p.ProposalId)).State);
        var after = await RejectedAsync(Client.CastVoteAsync(Ballot(p.ProposalId, VoteSupport.For), As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, after.StatusCode);
    }

    [Fact]
    public async Task Exactly_at_quorum_passes_and_one_unit_below_is_defeated()
    {
        var model = await NewModelAsync("QRUM");
        await SendAsync("carol", "dave", "QRUM", 200_000);
        await SendAsync("carol", "erin", "QRUM", 199_999);
        var exact = await ProposeAsync("dave", model.ModelId, Signal());
        var below = await ProposeAsync("erin", model.ModelId, Signal());
        await OpenAsync(exact);
        await VoteAsync("dave", exact.ProposalId, VoteSupport.For);
        await VoteAsync("erin", below.ProposalId, VoteSupport.Abstain);

        await CloseAsync(exact.ProposalId);
        var passed = await GetAsync(exact.ProposalId);
        var failed = await GetAsync(below.ProposalId);
        Assert.Equal((ProposalState.Succeeded, 200_000L, 200_000L, true), (passed.State, passed.Tally.ForWeight, passed.Tally.QuorumWeight, passed.Tally.QuorumReached));
        Assert.Equal((ProposalState.Defeated, 199_999L, false), (failed.State, failed.Tally.AbstainWeight, failed.Tally.QuorumReached));
    }

    [Fact]
    public async Task A_tie_is_defeated_and_abstain_counts_for_quorum_not_for_the_threshold()
    {
        var model = await NewModelAsync("TIED");
        await SendAsync("carol", "dave", "TIED", 300_000);
        await SendAsync("carol", "erin", "TIED", 300_000);
        var p = await ProposeAsync("carol", model.ModelId, Signal());
        await OpenAsync(p);
        await VoteAsync("dave", p.ProposalId, VoteSupport.For);
        await VoteAsync("erin", p.ProposalId, VoteSupport.Against);
        await VoteAsync("carol", p.ProposalId, VoteSupport.Abstain);

        var closed = await CloseAsync(p.ProposalId);
        Assert.Equal((ProposalState.Defeated, true, false), (closed.State, closed.Tally.QuorumReached, closed.Tally.ThresholdReached));
        Assert.Equal((300_000L, 300_000L, 400_000L), (closed.Tally.ForWeight, closed.Tally.AgainstWeight, closed.Tally.AbstainWeight));
    }

    [Fact]
    public async Task A_proposer_below_the_proposal_threshold_is_refused_and_nothing_is_created()
    {
        var model = await NewModelAsync("THRS");
        await SendAsync("carol", "erin", "THRS", 999);
        await SendAsync("carol", "dave", "THRS", 1000);

        var refused = await RejectedAsync(Client.CreateProposalAsync(Proposal(model.ModelId, Signal()), As("erin"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("proposal threshold", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await SubDaoScalarAsync<int>("select count(*)::int from proposals"));
        Assert.Equal(ProposalState.Pending, (await ProposeAsync("dave", model.ModelId, Signal())).State);
    }

    [Fact]
    public async Task A_second_live_proposal_by_the_same_proposer_is_refused_until_the_first_is_decided()
    {
        var model = await NewModelAsync("SPAM");
        await SendAsync("carol", "dave", "SPAM", 10_000);
        var first = await ProposeAsync("carol", model.ModelId, Signal());

        var second = await RejectedAsync(Client.CreateProposalAsync(Proposal(model.ModelId, Fee(1)), As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, second.StatusCode);
        Assert.Contains("one live proposal per proposer", second.Status.Detail, StringComparison.Ordinal);
        await OpenAsync(first);
        var whileActive = await RejectedAsync(Client.CreateProposalAsync(Proposal(model.ModelId, Fee(1)), As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, whileActive.StatusCode);
        Assert.Equal(ProposalState.Pending, (await ProposeAsync("dave", model.ModelId, Signal())).State);
        Assert.Equal(2, await SubDaoScalarAsync<int>("select count(*)::int from proposals"));

        await CloseAsync(first.ProposalId);
        Assert.Equal(ProposalState.Pending, (await ProposeAsync("carol", model.ModelId, Fee(1))).State);
    }

    [Fact]
    public async Task A_recomputed_digest_of_the_listed_votes_equals_the_stored_one_and_the_decided_event_carries_it()
    {
        var decided = await Bus.ObserveAsync<Decided>();
        var model = await NewModelAsync("DGST");
        await SendAsync("carol", "dave", "DGST", 250_000);
        await SendAsync("carol", "zed", "DGST", 5);
        var p = await ProposeAsync("carol", model.ModelId, Signal());
        await OpenAsync(p);
        await VoteAsync("dave", p.ProposalId, VoteSupport.Against, "too soon");
        await VoteAsync("zed", p.ProposalId, VoteSupport.Abstain, "ünïcödé reason");
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);

        var running = await TallyAsync(p.ProposalId);
        Assert.Equal(Recompute(p.ProposalId, p.SnapshotSequence, await AllVotesAsync(p.ProposalId)), running.VotesDigest);
        Assert.False(running.Final);

        var closed = await CloseAsync(p.ProposalId);
        var votes = await AllVotesAsync(p.ProposalId);
        Assert.Equal([1L, 2L, 3L], votes.Select(v => v.Ordinal));
        Assert.Equal(["dave", "zed", "carol"], votes.Select(v => v.VoterAccount));
        var recomputed = Recompute(p.ProposalId, p.SnapshotSequence, votes);
        Assert.Equal(recomputed, closed.Tally.VotesDigest);
        Assert.Equal(recomputed, (await TallyAsync(p.ProposalId)).VotesDigest);
        Assert.True(closed.Tally.Final);
        Assert.Equal(recomputed, (await decided.WaitForAsync(e => e.ProposalId == p.ProposalId)).Tally.VoteListDigest);
        Assert.Equal(running.VotesDigest, recomputed);
    }

    [Fact]
    public async Task Every_tally_read_while_votes_arrive_has_the_digest_of_exactly_the_votes_it_counts()
    {
        var model = await NewModelAsync("RACE");
        var voters = Enumerable.Range(0, 12).Select(i => $"voter-{i}").ToList();
        foreach (var voter in voters)
        {
            await SendAsync("carol", voter, "RACE", 10_000 + voters.IndexOf(voter));
        }
        var p = await ProposeAsync("carol", model.ModelId, Signal());
        await OpenAsync(p);

        var tallies = new System.Collections.Concurrent.ConcurrentBag<Tally>();
        using var voting = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 3).Select(async _ =>
        {
            while (!voting.IsCancellationRequested)
            {
                tallies.Add(await TallyAsync(p.ProposalId));
                tallies.Add((await GetAsync(p.ProposalId)).Tally);
            }
        }).ToList();
        var votes = await Task.WhenAll(voters.Select(v => VoteAsync(v, p.ProposalId, VoteSupport.For, $"reason of {v}")));
        await voting.CancelAsync();
        await Task.WhenAll(readers);
        foreach (var vote in votes)
        {
            tallies.Add(vote.Tally);
        }

        var all = await AllVotesAsync(p.ProposalId);
        Assert.Equal(voters.Count, all.Count);
        foreach (var tally in tallies)
        {
            var counted = all.Where(v => v.Ordinal <= tally.VoteCount).ToList();
            Assert.Equal(Recompute(p.ProposalId, p.SnapshotSequence, counted), tally.VotesDigest);
            Assert.Equal(counted.Sum(v => v.Weight), tally.ForWeight);
        }
    }

    /// <summary>Every vote through ListVotes, two per page (the paging a verifier would do).</summary>
    private async Task<IReadOnlyList<Vote>> AllVotesAsync(string proposalId)
    {
        var votes = new List<Vote>();
        var token = "";
        do
        {
            var page = await Client.ListVotesAsync(new ListVotesRequest { ProposalId = proposalId, PageSize = 2, PageToken = token }, As("anyone"),
                cancellationToken: Ct);
            votes.AddRange(page.Votes);
            token = page.NextPageToken;
        }
        while (token != "");
        return votes;
    }

    /// <summary>The canonical encoding of docs/governance.md, written again from the document (not the service's code).</summary>
    private static string Recompute(string proposalId, long snapshot, IEnumerable<Vote> votes)
    {
        var bytes = new List<byte>();
        void Str(string s)
        {
            var utf8 = Encoding.UTF8.GetBytes(s);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, utf8.Length);
            bytes.AddRange(length);
            bytes.AddRange(utf8);
        }
        void Int(long v)
        {
            var b = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(b, v);
            bytes.AddRange(b);
        }
        Str("perspective.governance.votes.v1");
        Str(proposalId);
        Int(snapshot);
        foreach (var vote in votes.OrderBy(v => v.Ordinal))
        {
            Int(vote.Ordinal);
            Str(vote.VoterAccount);
            bytes.Add((byte)vote.Support);
            Int(vote.Weight);
            Str(vote.Reason);
        }
        return Convert.ToHexStringLower(SHA256.HashData([.. bytes]));
    }
}
