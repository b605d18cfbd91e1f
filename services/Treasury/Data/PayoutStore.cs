using Dapper;
using Npgsql;

namespace Perspective.Treasury.Data;

/// <summary>A TreasurySpend as stored; <see cref="Status"/> is pending, paid or failed.</summary>
public sealed record PayoutRow(
    long Position,
    Guid PayoutId,
    Guid ModelId,
    string ProposalId,
    int ActionIndex,
    string RecipientAccount,
    long Amount,
    string Purpose,
    string Status,
    string FailureReason,
    string LedgerTransferId,
    long LedgerSequence,
    string LedgerHash,
    DateTime CreatedAt,
    DateTime? ExecutedAt,
    DateTime? AttemptedAt,
    DateTime? LastSentAt,
    string DaoId)
{
    public const string Pending = "pending";
    public const string Paid = "paid";
    public const string Failed = "failed";
}

/// <summary>A job of the executor: a payout or a distribution not finished yet, in creation order.</summary>
public sealed record JobRow(long Position, string Kind, Guid JobId, Guid ModelId)
{
    public const string PayoutKind = "payout";
    public const string DistributionKind = "distribution";
}

/// <summary>SQL of the payouts, and the job queue they share with the distributions.</summary>
public sealed class PayoutStore(NpgsqlDataSource dataSource)
{
    /// <summary>The channel a committed new job is announced on; PostgreSQL delivers a NOTIFY only when its transaction commits.</summary>
    public const string JobsChannel = "treasury_jobs";

    private const string Columns =
        "position as Position, payout_id as PayoutId, model_id as ModelId, proposal_id as ProposalId, action_index as ActionIndex, " +
        "recipient_account as RecipientAccount, amount as Amount, purpose as Purpose, status as Status, failure_reason as FailureReason, " +
        "ledger_transfer_id as LedgerTransferId, ledger_sequence as LedgerSequence, ledger_hash as LedgerHash, created_at as CreatedAt, " +
        "executed_at as ExecutedAt, attempted_at as AttemptedAt, last_sent_at as LastSentAt, dao_id as DaoId";

    /// <summary>Records a TreasurySpend to carry out; false if this payout (the same proposal action) is already known.</summary>
    public async Task<bool> InsertAsync(NpgsqlTransaction tx, Guid payoutId, Guid modelId, string daoId, string proposalId, int actionIndex,
        string recipient, long amount, string purpose, DateTimeOffset now, CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into payouts (payout_id, model_id, dao_id, proposal_id, action_index, recipient_account, amount, purpose, status, created_at)
            values (@payoutId, @modelId, @daoId, @proposalId, @actionIndex, @recipient, @amount, @purpose, 'pending', @now)
            on conflict (payout_id) do nothing
            """, new { payoutId, modelId, daoId, proposalId, actionIndex, recipient, amount, purpose, now }, tx, cancellationToken: ct)) == 1;

    /// <summary>Wakes the executor once <paramref name="tx"/> commits.</summary>
    public static Task NotifyAsync(NpgsqlTransaction tx, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition($"select pg_notify('{JobsChannel}', '')", transaction: tx, cancellationToken: ct));

    /// <summary>
    /// The oldest unfinished job (payout or distribution) of each model, oldest first, at most <paramref name="limit"/>:
    /// jobs of one model run in order, so only its first can run, and a model with many waiting jobs cannot fill the list.
    /// </summary>
    public async Task<IReadOnlyList<JobRow>> UnfinishedJobsAsync(int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<JobRow>(new CommandDefinition(
            """
            select position as Position, kind as Kind, job_id as JobId, model_id as ModelId from (
                select distinct on (model_id) position, kind, job_id, model_id from (
                    select position, 'payout' as kind, payout_id as job_id, model_id from payouts where status = 'pending'
                    union all
                    select position, 'distribution' as kind, distribution_id as job_id, model_id from distributions
                    where status in ('pending', 'paying')
                ) unfinished
                order by model_id, position
            ) firsts
            order by position
            limit @limit
            """, new { limit }, cancellationToken: ct))).ToList();
    }

    public async Task<PayoutRow?> GetAsync(Guid payoutId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<PayoutRow>(new CommandDefinition(
            $"select {Columns} from payouts where payout_id = @payoutId", new { payoutId }, cancellationToken: ct));
    }

    /// <summary>Carried-out payouts (paid or failed) of a model, newest first, before the position <paramref name="before"/>.</summary>
    public async Task<IReadOnlyList<PayoutRow>> ListAsync(Guid modelId, long before, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<PayoutRow>(new CommandDefinition(
            $"""
            select {Columns} from payouts
            where model_id = @modelId and status <> 'pending' and position < @before
            order by position desc
            limit @limit
            """, new { modelId, before, limit }, cancellationToken: ct))).ToList();
    }

    /// <summary>Sum of the paid payouts of a model (numeric sum cast back: an overflow raises).</summary>
    public async Task<long> PaidOutAsync(Guid modelId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select coalesce(sum(amount), 0)::bigint from payouts where model_id = @modelId and status = 'paid'", new { modelId }, cancellationToken: ct));
    }

    /// <summary>
    /// Records, before a Ledger Transfer is sent, that it is being sent (database clock): <c>attempted_at</c> once,
    /// <c>last_sent_at</c> every time. Returns this send's time and the previous unanswered send's, or null if the payout
    /// is no longer pending.
    /// </summary>
    public async Task<(DateTime SentAt, DateTime? Previous)?> MarkSendingAsync(Guid payoutId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(DateTime SentAt, DateTime? Previous)>(new CommandDefinition(
            """
            update payouts p set attempted_at = coalesce(p.attempted_at, now()), last_sent_at = now()
            from (select payout_id, last_sent_at from payouts where payout_id = @payoutId for update) old
            where p.payout_id = old.payout_id and p.status = 'pending'
            returning p.last_sent_at, old.last_sent_at
            """, new { payoutId }, cancellationToken: ct));
        return rows.Select(r => ((DateTime, DateTime?)?)r).SingleOrDefault();
    }

    /// <summary>
    /// The send at <paramref name="sentAt"/> was answered, so it is not in flight: the latest unanswered send is the one
    /// before it again, unless another executor has sent since.
    /// </summary>
    public async Task AnsweredAsync(Guid payoutId, DateTime sentAt, DateTime? previous, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update payouts set last_sent_at = @previous where payout_id = @payoutId and last_sent_at = @sentAt",
            new { payoutId, sentAt, previous }, cancellationToken: ct));
    }

    /// <summary>Marks a pending payout paid; false if it was no longer pending (another executor finished it).</summary>
    public async Task<bool> MarkPaidAsync(NpgsqlTransaction tx, Guid payoutId, string transferId, long sequence, string hash, DateTimeOffset now,
        CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update payouts set status = 'paid', ledger_transfer_id = @transferId, ledger_sequence = @sequence, ledger_hash = @hash, executed_at = @now
            where payout_id = @payoutId and status = 'pending'
            """, new { payoutId, transferId, sequence, hash, now }, tx, cancellationToken: ct)) == 1;

    /// <summary>Marks a pending payout failed; false if it was no longer pending.</summary>
    public async Task<bool> MarkFailedAsync(NpgsqlTransaction tx, Guid payoutId, string reason, DateTimeOffset now, CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "update payouts set status = 'failed', failure_reason = @reason, executed_at = @now where payout_id = @payoutId and status = 'pending'",
            new { payoutId, reason, now }, tx, cancellationToken: ct)) == 1;
}
