using Dapper;
using Npgsql;
using NpgsqlTypes;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Data;

/// <summary>A distribution as stored; <see cref="Status"/> is pending, paying, completed or failed.</summary>
public sealed record DistributionRow(
    long Position,
    Guid DistributionId,
    Guid ModelId,
    string ProposalId,
    int ActionIndex,
    long Amount,
    string TokenAsset,
    long SnapshotSequence,
    long SupplyHeld,
    string Status,
    long LineCount,
    long LinesPaid,
    long AmountPaid,
    string LinesDigest,
    string FailureReason,
    DateTime CreatedAt,
    DateTime? CompletedAt,
    string DaoId)
{
    public const string Pending = "pending";
    public const string Paying = "paying";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>One stored line of a distribution.</summary>
public sealed record LineRow(
    long LineNo,
    string HolderAccount,
    long HolderBalance,
    long Share,
    bool RemainderUnit,
    bool Paid,
    string LedgerTransferId,
    long LedgerSequence);

/// <summary>A line's Ledger payment, as stored when its batch committed.</summary>
public sealed record LinePayment(long LineNo, string TransferId, long Sequence);

/// <summary>SQL of the distributions and their lines.</summary>
public sealed class DistributionStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "position as Position, distribution_id as DistributionId, model_id as ModelId, proposal_id as ProposalId, action_index as ActionIndex, " +
        "amount as Amount, token_asset as TokenAsset, snapshot_sequence as SnapshotSequence, supply_held as SupplyHeld, status as Status, " +
        "line_count as LineCount, lines_paid as LinesPaid, amount_paid as AmountPaid, lines_digest as LinesDigest, " +
        "failure_reason as FailureReason, created_at as CreatedAt, completed_at as CompletedAt, dao_id as DaoId";

    private const string LineColumns =
        "line_no as LineNo, holder_account as HolderAccount, holder_balance as HolderBalance, share as Share, remainder_unit as RemainderUnit, " +
        "paid as Paid, ledger_transfer_id as LedgerTransferId, ledger_sequence as LedgerSequence";

    /// <summary>Records a DistributeRewards to carry out; false if this distribution (the same proposal action) is already known.</summary>
    public async Task<bool> InsertAsync(NpgsqlTransaction tx, Guid distributionId, Guid modelId, string daoId, string proposalId, int actionIndex,
        long amount, long snapshotSequence, DateTimeOffset now, CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into distributions (distribution_id, model_id, dao_id, proposal_id, action_index, amount, snapshot_sequence, status, created_at)
            values (@distributionId, @modelId, @daoId, @proposalId, @actionIndex, @amount, @snapshotSequence, 'pending', @now)
            on conflict (distribution_id) do nothing
            """, new { distributionId, modelId, daoId, proposalId, actionIndex, amount, snapshotSequence, now }, tx, cancellationToken: ct)) == 1;

    public async Task<DistributionRow?> GetAsync(Guid distributionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DistributionRow>(new CommandDefinition(
            $"select {Columns} from distributions where distribution_id = @distributionId", new { distributionId }, cancellationToken: ct));
    }

    /// <summary>A model's distributions, newest first, before <paramref name="before"/>, optionally of one status.</summary>
    public async Task<IReadOnlyList<DistributionRow>> ListAsync(Guid modelId, string? status, long before, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<DistributionRow>(new CommandDefinition(
            $"""
            select {Columns} from distributions
            where model_id = @modelId and (@status::text is null or status = @status) and position < @before
            order by position desc
            limit @limit
            """, new { modelId, status, before, limit }, cancellationToken: ct))).ToList();
    }

    /// <summary>What the distributions of a model have paid, and what they still owe (pending and paying ones).</summary>
    public async Task<(long Distributed, long Pending)> TotalsAsync(Guid modelId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            """
            select coalesce(sum(amount_paid), 0)::bigint,
                   coalesce(sum(amount - amount_paid) filter (where status in ('pending', 'paying') and amount > 0), 0)::bigint
            from distributions where model_id = @modelId
            """, new { modelId }, cancellationToken: ct));
    }

    /// <summary>
    /// POV still owed by the model's distributions ahead of the job at <paramref name="position"/>: every paying one (its
    /// lines are fixed) and every pending one created before it (it runs first). The treasury keeps that POV for them, so
    /// a payout or a later distribution cannot spend it; a distribution decided after a payout does not hold the payout back.
    /// </summary>
    public async Task<long> ReservedAsync(Guid modelId, long position, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            select coalesce(sum(amount - amount_paid), 0)::bigint from distributions
            where model_id = @modelId and amount > 0 and position <> @position
              and (status = 'paying' or (status = 'pending' and position < @position))
            """, new { modelId, position }, cancellationToken: ct));
    }

    /// <summary>Refuses a pending distribution (nothing paid); false if it was no longer pending.</summary>
    public async Task<bool> MarkFailedAsync(NpgsqlTransaction tx, Guid distributionId, string tokenAsset, long supplyHeld, string reason,
        DateTimeOffset now, CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update distributions set status = 'failed', token_asset = @tokenAsset, supply_held = @supplyHeld, failure_reason = @reason,
                                     completed_at = @now
            where distribution_id = @distributionId and status = 'pending'
            """, new { distributionId, tokenAsset, supplyHeld, reason, now }, tx, cancellationToken: ct)) == 1;

    /// <summary>
    /// Stores every line (binary COPY) with the digest and moves the distribution to paying, in one transaction;
    /// false (and nothing stored) if it was no longer pending.
    /// </summary>
    public async Task<bool> StoreLinesAsync(Guid distributionId, string tokenAsset, long supplyHeld, IReadOnlyList<SplitLine> lines, string digest,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var moved = await connection.ExecuteAsync(new CommandDefinition(
            """
            update distributions set status = 'paying', token_asset = @tokenAsset, supply_held = @supplyHeld, line_count = @lineCount,
                                     lines_digest = @digest
            where distribution_id = @distributionId and status = 'pending'
            """, new { distributionId, tokenAsset, supplyHeld, lineCount = (long)lines.Count, digest }, tx, cancellationToken: ct)) == 1;
        if (!moved)
        {
            return false;
        }
        await using (var copy = await connection.BeginBinaryImportAsync(
            "copy distribution_lines (distribution_id, line_no, holder_account, holder_balance, share, remainder_unit) from stdin (format binary)", ct))
        {
            foreach (var line in lines)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(distributionId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(line.LineNo, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(line.Holder, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(line.Balance, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(line.Share, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(line.RemainderUnit, NpgsqlDbType.Boolean, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Lines after <paramref name="afterLine"/> in line order (the unpaid ones, when it is the distribution's lines_paid).</summary>
    public async Task<IReadOnlyList<LineRow>> LinesAsync(Guid distributionId, long afterLine, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<LineRow>(new CommandDefinition(
            $"""
            select {LineColumns} from distribution_lines
            where distribution_id = @distributionId and line_no > @afterLine
            order by line_no
            limit @limit
            """, new { distributionId, afterLine, limit }, cancellationToken: ct))).ToList();
    }

    /// <summary>
    /// Records a committed batch: its lines paid (zero shares without a transfer) and the distribution's progress advanced,
    /// in <paramref name="tx"/>. The progress must still be <paramref name="expectedLinesPaid"/>; false (change nothing)
    /// if another executor recorded it first.
    /// </summary>
    public async Task<bool> MarkPaidAsync(NpgsqlTransaction tx, Guid distributionId, long expectedLinesPaid, IReadOnlyList<LineRow> lines,
        IReadOnlyList<LinePayment> payments, CancellationToken ct)
    {
        long amount = 0;
        foreach (var line in lines)
        {
            amount = checked(amount + line.Share);
        }
        var advanced = await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update distributions set lines_paid = lines_paid + @count, amount_paid = amount_paid + @amount
            where distribution_id = @distributionId and status = 'paying' and lines_paid = @expectedLinesPaid
            """, new { distributionId, expectedLinesPaid, count = (long)lines.Count, amount }, tx, cancellationToken: ct)) == 1;
        if (!advanced)
        {
            return false;
        }
        var byLine = payments.ToDictionary(p => p.LineNo);
        var updated = await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update distribution_lines l set paid = true, ledger_transfer_id = u.transfer_id, ledger_sequence = u.sequence
            from unnest(@lineNos::bigint[], @transferIds::text[], @sequences::bigint[]) as u(line_no, transfer_id, sequence)
            where l.distribution_id = @distributionId and l.line_no = u.line_no and not l.paid
            """,
            new
            {
                distributionId,
                lineNos = lines.Select(l => l.LineNo).ToArray(),
                transferIds = lines.Select(l => byLine.TryGetValue(l.LineNo, out var p) ? p.TransferId : "").ToArray(),
                sequences = lines.Select(l => byLine.TryGetValue(l.LineNo, out var p) ? p.Sequence : 0L).ToArray(),
            }, tx, cancellationToken: ct));
        if (updated != lines.Count)
        {
            // Lines are paid strictly in order behind lines_paid; anything else is a broken invariant, never committed.
            throw new InvalidOperationException($"distribution {distributionId}: {updated} of {lines.Count} lines after {expectedLinesPaid} were unpaid");
        }
        return true;
    }

    /// <summary>Completes a distribution whose every line is paid; false if it was not paying or not fully paid.</summary>
    public async Task<bool> MarkCompletedAsync(NpgsqlTransaction tx, Guid distributionId, DateTimeOffset now, CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update distributions set status = 'completed', completed_at = @now
            where distribution_id = @distributionId and status = 'paying' and lines_paid = line_count and amount_paid = amount
            """, new { distributionId, now }, tx, cancellationToken: ct)) == 1;
}
