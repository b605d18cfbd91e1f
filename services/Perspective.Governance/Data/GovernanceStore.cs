using Dapper;
using Npgsql;
using Perspective.Governance.Domain;

namespace Perspective.Governance.Data;

/// <summary>The engine's SQL: DAOs, requests, proposals, votes and action answers (Migrations/0001_governance.sql).</summary>
public sealed class GovernanceStore(NpgsqlDataSource dataSource)
{
    /// <summary>Most proposals one scheduler pass takes, so one pass is one short transaction.</summary>
    public const int DueBatchMax = 100;

    private const string ProposalColumns = """
        position, proposal_id, dao_id, proposer, title, description, actions::text as actions, action_count, state, snapshot_sequence,
        supply_at_snapshot, settings::text as settings, created_at, voting_starts_at, voting_ends_at, voting_extended, quorum_reached_at,
        decided_at, executable_at, expires_at, execution_requested_at, executed_at, canceled_at, failure_reason, for_count, against_count,
        abstain_count, for_weight, against_weight, abstain_weight, votes_digest, next_due_at, step_failures
        """;

    private const string DaoColumns =
        "position, dao_id, voting_asset, settings::text as settings, accepting_proposals, created_at, settings_updated_at";

    // ---------------- DAOs ----------------

    public async Task<DaoRow?> GetDaoAsync(string daoId, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return await db.QuerySingleOrDefaultAsync<DaoRow>(new CommandDefinition(
            $"select {DaoColumns} from daos where dao_id = @daoId", new { daoId }, cancellationToken: ct));
    }

    public Task<DaoRow?> LockDaoAsync(NpgsqlTransaction tx, string daoId, CancellationToken ct) =>
        tx.Connection!.QuerySingleOrDefaultAsync<DaoRow>(new CommandDefinition(
            $"select {DaoColumns} from daos where dao_id = @daoId for update", new { daoId }, tx, cancellationToken: ct));

    public async Task<IReadOnlyList<DaoRow>> ListDaosAsync(long afterPosition, int size, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return [.. await db.QueryAsync<DaoRow>(new CommandDefinition(
            $"select {DaoColumns} from daos where position > @afterPosition order by position limit @size",
            new { afterPosition, size }, cancellationToken: ct))];
    }

    /// <summary>Creates the DAO unless it exists (a redelivered creation event, a second replica's start); true when created.</summary>
    public async Task<bool> InsertDaoIfMissingAsync(NpgsqlConnection db, NpgsqlTransaction? tx, string daoId, string votingAsset, Settings settings,
        DateTimeOffset now, CancellationToken ct) =>
        await db.ExecuteAsync(new CommandDefinition(
            """
            insert into daos (dao_id, voting_asset, settings, accepting_proposals, created_at, settings_updated_at)
            values (@daoId, @votingAsset, @settings::jsonb, true, @now, @now)
            on conflict (dao_id) do nothing
            """,
            new { daoId, votingAsset, settings = SettingsJson.Write(settings.Validate("settings.")), now }, tx, cancellationToken: ct)) == 1;

    public Task UpdateDaoSettingsAsync(NpgsqlTransaction tx, string daoId, Settings settings, DateTimeOffset now, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            "update daos set settings = @settings::jsonb, settings_updated_at = @now where dao_id = @daoId",
            new { daoId, settings = SettingsJson.Write(settings.Validate("settings.")), now }, tx, cancellationToken: ct));

    public Task SetAcceptingAsync(NpgsqlTransaction tx, string daoId, bool accepting, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            "update daos set accepting_proposals = @accepting where dao_id = @daoId", new { daoId, accepting }, tx, cancellationToken: ct));

    // ---------------- requests ----------------

    public sealed record RequestRow(Guid RequestId, string Rpc, string RequestHash, Guid ProposalId);

    public async Task<RequestRow?> GetRequestAsync(Guid requestId, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return await db.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
            "select request_id, rpc, request_hash, proposal_id from requests where request_id = @requestId", new { requestId }, cancellationToken: ct));
    }

    public Task InsertRequestAsync(NpgsqlTransaction tx, Guid requestId, string rpc, string requestHash, Guid proposalId, DateTimeOffset now,
        CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            "insert into requests (request_id, rpc, request_hash, proposal_id, created_at) values (@requestId, @rpc, @requestHash, @proposalId, @now)",
            new { requestId, rpc, requestHash, proposalId, now }, tx, cancellationToken: ct));

    // ---------------- proposals ----------------

    public async Task<ProposalRow?> GetAsync(Guid proposalId, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return await db.QuerySingleOrDefaultAsync<ProposalRow>(new CommandDefinition(
            $"select {ProposalColumns} from proposals where proposal_id = @proposalId", new { proposalId }, cancellationToken: ct));
    }

    public Task<ProposalRow?> GetAsync(NpgsqlTransaction tx, Guid proposalId, CancellationToken ct) =>
        tx.Connection!.QuerySingleOrDefaultAsync<ProposalRow>(new CommandDefinition(
            $"select {ProposalColumns} from proposals where proposal_id = @proposalId", new { proposalId }, tx, cancellationToken: ct));

    public Task<ProposalRow?> LockAsync(NpgsqlTransaction tx, Guid proposalId, CancellationToken ct) =>
        tx.Connection!.QuerySingleOrDefaultAsync<ProposalRow>(new CommandDefinition(
            $"select {ProposalColumns} from proposals where proposal_id = @proposalId for update", new { proposalId }, tx, cancellationToken: ct));

    public async Task<bool> HasLiveProposalAsync(string daoId, string proposer, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return await db.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from proposals where dao_id = @daoId and proposer = @proposer and state in (1, 2))",
            new { daoId, proposer }, cancellationToken: ct));
    }

    public Task InsertAsync(NpgsqlTransaction tx, ProposalRow p, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into proposals (proposal_id, dao_id, proposer, title, description, actions, action_count, state, snapshot_sequence,
                                   supply_at_snapshot, settings, created_at, voting_starts_at, voting_ends_at, next_due_at)
            values (@ProposalId, @DaoId, @Proposer, @Title, @Description, @Actions::jsonb, @ActionCount, @State, @SnapshotSequence,
                    @SupplyAtSnapshot, @Settings::jsonb, @CreatedAt, @VotingStartsAt, @VotingEndsAt, @NextDueAt)
            """, p, tx, cancellationToken: ct));

    /// <summary>Writes every column that changes after creation.</summary>
    public Task UpdateAsync(NpgsqlTransaction tx, ProposalRow p, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update proposals set state = @State, voting_ends_at = @VotingEndsAt, voting_extended = @VotingExtended,
                quorum_reached_at = @QuorumReachedAt, decided_at = @DecidedAt, executable_at = @ExecutableAt, expires_at = @ExpiresAt,
                execution_requested_at = @ExecutionRequestedAt, executed_at = @ExecutedAt, canceled_at = @CanceledAt,
                failure_reason = @FailureReason, for_count = @ForCount, against_count = @AgainstCount, abstain_count = @AbstainCount,
                for_weight = @ForWeight, against_weight = @AgainstWeight, abstain_weight = @AbstainWeight, votes_digest = @VotesDigest,
                next_due_at = @NextDueAt
            where proposal_id = @ProposalId
            """, p, tx, cancellationToken: ct));

    public async Task<IReadOnlyList<ProposalRow>> ListAsync(string? daoId, ProposalState? state, string? proposer, long? beforePosition, int size,
        CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return [.. await db.QueryAsync<ProposalRow>(new CommandDefinition(
            $"""
            select {ProposalColumns} from proposals
            where (@daoId::text is null or dao_id = @daoId)
              and (@state::smallint is null or state = @state)
              and (@proposer::text is null or proposer = @proposer)
              and (@beforePosition::bigint is null or position < @beforePosition)
            order by position desc limit @size
            """, new { daoId, state = (short?)state, proposer, beforePosition, size }, cancellationToken: ct))];
    }

    /// <summary>How many proposals are in each state (all DAOs of this service): the state gauge's reading.</summary>
    public async Task<IReadOnlyDictionary<short, long>> CountByStateAsync(CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return (await db.QueryAsync<(short State, long Count)>(new CommandDefinition(
            "select state, count(*) from proposals group by state", cancellationToken: ct))).ToDictionary(r => r.State, r => r.Count);
    }

    /// <summary>
    /// Claims due proposals for one scheduler pass. FOR UPDATE SKIP LOCKED: a second replica (or a vote holding the
    /// row) makes this pass skip the row rather than wait or act twice; the next pass picks it up.
    /// </summary>
    public async Task<IReadOnlyList<ProposalRow>> ClaimDueAsync(NpgsqlTransaction tx, DateTimeOffset now, CancellationToken ct) =>
        [.. await tx.Connection!.QueryAsync<ProposalRow>(new CommandDefinition(
            $"""
            select {ProposalColumns} from proposals
            where next_due_at is not null and next_due_at <= @now
            order by next_due_at, position limit {DueBatchMax}
            for update skip locked
            """, new { now }, tx, cancellationToken: ct))];

    /// <summary>Records a failed scheduler step: one more failure in a row, its error, and when to try again.</summary>
    public Task RecordStepFailureAsync(NpgsqlTransaction tx, Guid proposalId, int failures, string error, DateTimeOffset nextDueAt, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            "update proposals set step_failures = @failures, last_step_error = @error, next_due_at = @nextDueAt where proposal_id = @proposalId",
            new { proposalId, failures, error, nextDueAt }, tx, cancellationToken: ct));

    /// <summary>A step succeeded after failures: the back-off starts again from the interval.</summary>
    public Task ClearStepFailuresAsync(NpgsqlTransaction tx, Guid proposalId, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            "update proposals set step_failures = 0, last_step_error = '' where proposal_id = @proposalId", new { proposalId }, tx, cancellationToken: ct));

    // ---------------- votes ----------------

    public async Task<VoteRow?> GetVoteAsync(Guid proposalId, string voter, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return await db.QuerySingleOrDefaultAsync<VoteRow>(new CommandDefinition(
            "select proposal_id, ordinal, voter, support, weight, reason, cast_at from votes where proposal_id = @proposalId and voter = @voter",
            new { proposalId, voter }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<VoteRow>> ListVotesAsync(Guid proposalId, long afterOrdinal, int size, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return [.. await db.QueryAsync<VoteRow>(new CommandDefinition(
            """
            select proposal_id, ordinal, voter, support, weight, reason, cast_at from votes
            where proposal_id = @proposalId and ordinal > @afterOrdinal order by ordinal limit @size
            """, new { proposalId, afterOrdinal, size }, cancellationToken: ct))];
    }

    /// <summary>Every vote in tally order, for the digest; inside <paramref name="tx"/> when the caller holds the proposal's lock.</summary>
    public async Task<IReadOnlyList<VoteRow>> AllVotesAsync(NpgsqlConnection db, NpgsqlTransaction? tx, Guid proposalId, CancellationToken ct) =>
        [.. await db.QueryAsync<VoteRow>(new CommandDefinition(
            "select proposal_id, ordinal, voter, support, weight, reason, cast_at from votes where proposal_id = @proposalId order by ordinal",
            new { proposalId }, tx, cancellationToken: ct))];

    public async Task<IReadOnlyList<VoteRow>> AllVotesAsync(Guid proposalId, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return await AllVotesAsync(db, null, proposalId, ct);
    }

    public Task InsertVoteAsync(NpgsqlTransaction tx, VoteRow vote, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into votes (proposal_id, ordinal, voter, support, weight, reason, cast_at)
            values (@ProposalId, @Ordinal, @Voter, @Support, @Weight, @Reason, @CastAt)
            """, vote, tx, cancellationToken: ct));

    // ---------------- action answers ----------------

    /// <summary>Records an action's answer once; false when it was already answered (a redelivery or a second answer).</summary>
    public async Task<bool> TryRecordAnswerAsync(NpgsqlTransaction tx, Guid proposalId, int actionIndex, bool succeeded, string executedBy, string detail,
        DateTimeOffset now, CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into proposal_actions (proposal_id, action_index, succeeded, executed_by, detail, answered_at)
            values (@proposalId, @actionIndex, @succeeded, @executedBy, @detail, @now)
            on conflict do nothing
            """, new { proposalId, actionIndex, succeeded, executedBy, detail, now }, tx, cancellationToken: ct)) == 1;

    public sealed record AnswerRow(int ActionIndex, bool Succeeded, string ExecutedBy, string Detail);

    public async Task<IReadOnlyList<AnswerRow>> AnswersAsync(NpgsqlTransaction tx, Guid proposalId, CancellationToken ct) =>
        [.. await tx.Connection!.QueryAsync<AnswerRow>(new CommandDefinition(
            "select action_index, succeeded, executed_by, detail from proposal_actions where proposal_id = @proposalId order by action_index",
            new { proposalId }, tx, cancellationToken: ct))];
}
