using Npgsql;
using Perspective.Governance.Data;
using Perspective.Governance.Domain;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.Governance.Engine;

/// <summary>
/// A validated proposal as a host hands it to the engine; <see cref="ActionsJson"/> is the host's own action list.
/// <see cref="CheckCurrentRules"/> checks rules that can change between a request and its retry (a platform limit);
/// it runs after the replay lookup, so a retry answers its proposal as the first request did.
/// </summary>
public sealed record NewProposal(Guid RequestId, string DaoId, string Proposer, string Title, string Description, string ActionsJson, int ActionCount,
    string RequestHash, Func<CancellationToken, Task>? CheckCurrentRules = null);

/// <summary>
/// The mutating RPCs of both DAOs: create, cancel, vote. Each is idempotent by request id (the <c>requests</c> table,
/// written in the same transaction as the effect) and checks every rule before its first write.
/// Ledger calls per request: CreateProposal 3 (head, proposer's balance at the head, supply at the head),
/// CastVote 1 (the voter's balance at the snapshot), CancelProposal 0; a replay 0.
/// </summary>
public sealed class ProposalCommands(NpgsqlDataSource dataSource, GovernanceStore store, LedgerSnapshots ledger, GovernanceMetrics metrics,
    TimeProvider time)
{
    public const string CreateRpc = "CreateProposal";
    public const string CancelRpc = "CancelProposal";
    public const string VoteRpc = "CastVote";

    public async Task<ProposalRow> CreateAsync(NewProposal n, CancellationToken ct)
    {
        Rules.Title(n.Title);
        Rules.Description(n.Description);
        Rules.ActionCount(n.ActionCount);
        if (await ReplayAsync(n.RequestId, CreateRpc, n.RequestHash, ct) is { } earlier)
        {
            return earlier;
        }
        if (n.CheckCurrentRules is not null)
        {
            await n.CheckCurrentRules(ct);
        }
        var dao = await store.GetDaoAsync(n.DaoId, ct) ?? throw DomainException.NotFound($"DAO {n.DaoId} not found");
        CheckAccepting(dao);
        await CheckNoLiveProposalAsync(n.DaoId, n.Proposer, ct);
        // The snapshot is the head now; threshold and supply are read at that exact sequence, not "latest".
        var head = await ledger.HeadAsync(ct);
        if (head < 1)
        {
            throw DomainException.FailedPrecondition("the ledger has no entries yet: there is nothing to take a snapshot of");
        }
        var balance = await ledger.BalanceAtAsync(n.Proposer, dao.VotingAsset, head, ct);
        var supply = await ledger.SupplyAtAsync(dao.VotingAsset, head, ct);

        await using var db = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var tx = await db.BeginTransactionAsync(ct);
            // Locking the DAO orders this creation against a settings change: the proposal freezes what is in force now.
            dao = await store.LockDaoAsync(tx, n.DaoId, ct) ?? throw DomainException.NotFound($"DAO {n.DaoId} not found");
            CheckAccepting(dao);
            var settings = dao.CurrentSettings;
            if (balance < settings.ProposalThreshold)
            {
                throw DomainException.FailedPrecondition(
                    $"proposal threshold: {n.Proposer} holds {balance} {dao.VotingAsset} at sequence {head}, the threshold is {settings.ProposalThreshold}");
            }
            var now = time.GetUtcNow().UtcDateTime;
            var startsAt = now.AddSeconds(settings.VotingDelaySeconds);
            var endsAt = startsAt.AddSeconds(settings.VotingPeriodSeconds);
            var proposal = new ProposalRow
            {
                ProposalId = Guid.CreateVersion7(time.GetUtcNow()),
                DaoId = n.DaoId,
                Proposer = n.Proposer,
                Title = n.Title,
                Description = n.Description,
                Actions = n.ActionsJson,
                ActionCount = n.ActionCount,
                State = (short)ProposalState.Pending,
                SnapshotSequence = head,
                SupplyAtSnapshot = supply,
                Settings = SettingsJson.Write(settings),
                CreatedAt = now,
                VotingStartsAt = startsAt,
                VotingEndsAt = endsAt,
                NextDueAt = startsAt,
            };
            await store.InsertAsync(tx, proposal, ct);
            await store.InsertRequestAsync(tx, n.RequestId, CreateRpc, n.RequestHash, proposal.ProposalId, now, ct);
            await tx.CommitAsync(ct);
            metrics.ProposalCreated();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "proposals_one_live")
        {
            throw LiveProposalExists(n.Proposer);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "requests_pkey")
        {
            // A concurrent copy of this request won: answer as it did.
            return await ReplayAsync(n.RequestId, CreateRpc, n.RequestHash, ct) ?? throw new InvalidOperationException("a request row without its proposal", ex);
        }
        return (await ReplayAsync(n.RequestId, CreateRpc, n.RequestHash, ct))!;
    }

    public async Task<ProposalRow> CancelAsync(Guid requestId, Guid proposalId, string caller, string reason, string requestHash, CancellationToken ct)
    {
        Rules.Reason("reason", reason);
        if (await ReplayAsync(requestId, CancelRpc, requestHash, ct) is { } earlier)
        {
            return earlier;
        }
        await using var db = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var tx = await db.BeginTransactionAsync(ct);
            var p = await store.LockAsync(tx, proposalId, ct) ?? throw ProposalNotFound(proposalId);
            if (p.Proposer != caller)
            {
                throw DomainException.PermissionDenied($"only the proposer ({p.Proposer}) may cancel proposal {proposalId}");
            }
            var now = time.GetUtcNow();
            if (p.ProposalState != ProposalState.Pending || now >= ProposalRow.Utc(p.VotingStartsAt))
            {
                throw DomainException.FailedPrecondition($"proposal {proposalId} is not pending (voting started or it ended): only a pending proposal can be canceled");
            }
            await store.UpdateAsync(tx, p with
            {
                State = (short)ProposalState.Canceled,
                CanceledAt = now.UtcDateTime,
                FailureReason = reason,
                NextDueAt = null,
            }, ct);
            await store.InsertRequestAsync(tx, requestId, CancelRpc, requestHash, proposalId, now, ct);
            await tx.CommitAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "requests_pkey")
        {
            return await ReplayAsync(requestId, CancelRpc, requestHash, ct) ?? throw new InvalidOperationException("a request row without its proposal", ex);
        }
        return (await store.GetAsync(proposalId, ct))!;
    }

    /// <summary>Records the caller's vote; returns it and the proposal after it.</summary>
    public async Task<(VoteRow Vote, ProposalRow Proposal)> VoteAsync(Guid requestId, Guid proposalId, string voter, Support support, string reason,
        string requestHash, CancellationToken ct)
    {
        Rules.Reason("reason", reason);
        if (await ReplayAsync(requestId, VoteRpc, requestHash, ct) is { } earlier)
        {
            return (await store.GetVoteAsync(earlier.ProposalId, voter, ct) ?? throw new InvalidOperationException("a recorded vote request has no vote"),
                earlier);
        }
        var p = await store.GetAsync(proposalId, ct) ?? throw ProposalNotFound(proposalId);
        CheckVotingOpen(p, time.GetUtcNow());
        if (await store.GetVoteAsync(proposalId, voter, ct) is not null)
        {
            throw AlreadyVoted(voter, proposalId);
        }
        var dao = await store.GetDaoAsync(p.DaoId, ct) ?? throw new InvalidOperationException($"proposal {proposalId} has no DAO");
        // The weight is the balance at the proposal's snapshot: tokens received later do not vote, tokens sent later still do.
        var weight = await ledger.BalanceAtAsync(voter, dao.VotingAsset, p.SnapshotSequence, ct);
        if (weight <= 0)
        {
            throw DomainException.FailedPrecondition(
                $"{voter} held no {dao.VotingAsset} at the proposal's snapshot (sequence {p.SnapshotSequence}): zero weight cannot vote");
        }

        await using var db = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var tx = await db.BeginTransactionAsync(ct);
            // The row lock orders votes (ordinals without gaps) and orders each vote against the scheduler's decision.
            p = await store.LockAsync(tx, proposalId, ct) ?? throw ProposalNotFound(proposalId);
            var now = time.GetUtcNow();
            CheckVotingOpen(p, now);
            var vote = new VoteRow
            {
                ProposalId = proposalId,
                Ordinal = checked(p.ForCount + p.AgainstCount + p.AbstainCount + 1),
                Voter = voter,
                Support = (short)support,
                Weight = weight,
                Reason = reason,
                CastAt = now.UtcDateTime,
            };
            var counted = Count(p, support, weight);
            var settings = p.FrozenSettings;
            var quorumNow = counted.Tally().QuorumReached;
            var extendedEnd = Lifecycle.ExtendedEnd(settings, p.QuorumReachedAt is not null, quorumNow, p.VotingExtended, p.VotingEndsAt, now.UtcDateTime);
            counted = counted with
            {
                QuorumReachedAt = p.QuorumReachedAt ?? (quorumNow ? now.UtcDateTime : null),
                VotingEndsAt = extendedEnd ?? p.VotingEndsAt,
                VotingExtended = p.VotingExtended || extendedEnd is not null,
                NextDueAt = extendedEnd is { } end && p.ProposalState == ProposalState.Active ? end : p.NextDueAt,
            };
            await store.InsertVoteAsync(tx, vote, ct);
            await store.InsertRequestAsync(tx, requestId, VoteRpc, requestHash, proposalId, now, ct);
            await store.UpdateAsync(tx, counted, ct);
            await tx.CommitAsync(ct);
            metrics.VoteCast();
            return (vote, counted);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "votes_proposal_id_voter_key")
        {
            throw AlreadyVoted(voter, proposalId);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "requests_pkey")
        {
            var replay = await ReplayAsync(requestId, VoteRpc, requestHash, ct) ?? throw new InvalidOperationException("a request row without its proposal", ex);
            return ((await store.GetVoteAsync(replay.ProposalId, voter, ct))!, replay);
        }
    }

    private static ProposalRow Count(ProposalRow p, Support support, long weight) => support switch
    {
        Support.For => p with { ForCount = checked(p.ForCount + 1), ForWeight = checked(p.ForWeight + weight) },
        Support.Against => p with { AgainstCount = checked(p.AgainstCount + 1), AgainstWeight = checked(p.AgainstWeight + weight) },
        Support.Abstain => p with { AbstainCount = checked(p.AbstainCount + 1), AbstainWeight = checked(p.AbstainWeight + weight) },
        _ => throw new ArgumentOutOfRangeException(nameof(support)),
    };

    /// <summary>The proposal an earlier request with this id produced, or null for a new id; other content under the id is refused.</summary>
    private async Task<ProposalRow?> ReplayAsync(Guid requestId, string rpc, string requestHash, CancellationToken ct)
    {
        var earlier = await store.GetRequestAsync(requestId, ct);
        if (earlier is null)
        {
            return null;
        }
        if (earlier.Rpc != rpc || earlier.RequestHash != requestHash)
        {
            throw DomainException.AlreadyExists($"request_id {requestId} was already used for another request");
        }
        return await store.GetAsync(earlier.ProposalId, ct);
    }

    private async Task CheckNoLiveProposalAsync(string daoId, string proposer, CancellationToken ct)
    {
        if (await store.HasLiveProposalAsync(daoId, proposer, ct))
        {
            throw LiveProposalExists(proposer);
        }
    }

    private static void CheckAccepting(DaoRow dao)
    {
        if (!dao.AcceptingProposals)
        {
            throw DomainException.FailedPrecondition($"DAO {dao.DaoId} accepts no new proposals (its model is banned)");
        }
    }

    private static void CheckVotingOpen(ProposalRow p, DateTimeOffset now)
    {
        if (p.VotingOpenAt(now))
        {
            return;
        }
        var why = p.ProposalState is ProposalState.Pending or ProposalState.Active
            ? now < ProposalRow.Utc(p.VotingStartsAt) ? "voting has not started" : "voting has ended"
            : $"it is {p.ProposalState}";
        throw DomainException.FailedPrecondition($"proposal {p.ProposalId} is not active: {why}");
    }

    private static DomainException LiveProposalExists(string proposer) =>
        DomainException.FailedPrecondition($"{proposer} already has a pending or active proposal in this DAO: one live proposal per proposer");

    private static DomainException AlreadyVoted(string voter, Guid proposalId) =>
        DomainException.AlreadyExists($"{voter} already voted on proposal {proposalId}: one vote per voter");

    public static DomainException ProposalNotFound(Guid proposalId) => DomainException.NotFound($"proposal {proposalId} not found");
}
