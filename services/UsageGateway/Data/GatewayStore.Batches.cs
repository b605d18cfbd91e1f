using Dapper;
using Npgsql;
using NpgsqlTypes;
using Perspective.ServiceDefaults.Data;
using Perspective.UsageGateway.Domain;

namespace Perspective.UsageGateway.Data;

/// <summary>
/// The statements of batched charges: each handles a whole batch in one round trip (arrays joined with <c>unnest</c>).
/// Payments are taken before allowances and allowances in key order (payer, model), so batches of two writers or two
/// replicas wait for each other instead of deadlocking (and a deadlock all the same is retried by the batch).
/// </summary>
public sealed partial class GatewayStore
{
    /// <summary>
    /// Adds to the buckets of allowances, one row per key. Unless the caller holds them already (<paramref name="locked"/>),
    /// the rows are locked first in key order (byte order, as the reservation step locks them; a join alone promises no
    /// order), so two batches never wait on each other in a circle.
    /// </summary>
    public async Task AdjustAllowancesAsync(NpgsqlTransaction transaction, IReadOnlyDictionary<(string Payer, string Model), (long Reserved, long Used)> deltas,
        DateTime now, bool locked, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction) { BatchCommands = { AdjustAllowancesCommand(deltas, now, locked) } };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The statement of <see cref="AdjustAllowancesAsync"/>, for a batch of statements sent in one round trip.</summary>
    public static NpgsqlBatchCommand AdjustAllowancesCommand(IReadOnlyDictionary<(string Payer, string Model), (long Reserved, long Used)> deltas,
        DateTime now, bool locked)
    {
        var rows = deltas.ToList();
        var source = locked
            ? "unnest($1, $2, $3, $4) as d(payer, model, reserved, used)"
            : """
              (select k.payer, k.model, k.reserved, k.used
               from unnest($1, $2, $3, $4) as k(payer, model, reserved, used)
               join allowances x on x.payer_account = k.payer and x.model_id = k.model
               order by x.payer_account collate "C", x.model_id collate "C"
               for update of x) as d
              """;
        var command = new NpgsqlBatchCommand(
            $"""
            update allowances a
               set reserved_amount = a.reserved_amount + d.reserved, used_amount = a.used_amount + d.used, updated_at = $5
            from {source}
            where a.payer_account = d.payer and a.model_id = d.model
            """);
        command.Parameters.Add(Array(NpgsqlDbType.Text, rows.Select(d => d.Key.Payer).ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Text, rows.Select(d => d.Key.Model).ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Bigint, rows.Select(d => d.Value.Reserved).ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Bigint, rows.Select(d => d.Value.Used).ToArray()));
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = now });
        return command;
    }

    /// <summary>
    /// Inserts pending charges (ordered by request id by the caller) and locks the allowances of <paramref name="keys"/> (distinct)
    /// in key order, in one round trip. Returns the request ids inserted and the allowances found (keys without one are absent).
    /// A request id already stored is skipped (a retry or a concurrent copy), and one being inserted by another transaction is
    /// waited for. Payments before allowances, as every one-by-one path takes them, so no two transactions wait in a circle.
    /// With <paramref name="markPaid"/> (the previous batch, its money moved) those payments are marked paid in the same round
    /// trip (<see cref="MarkPaidCommand"/>), after the inserts: an insert may wait for a row another writer is marking, so a
    /// writer must not hold rows of its own marked while it inserts, or two writers could wait on each other. <c>Marked</c>
    /// says which were.
    /// </summary>
    public async Task<(HashSet<Guid> Marked, HashSet<Guid> Inserted, Dictionary<(string Payer, string Model), AllowanceRecord> Allowances)> InsertPaymentsAndLockAllowancesAsync(
        NpgsqlTransaction transaction, IReadOnlyList<PaymentRecord> payments, IReadOnlyCollection<(string Payer, string Model)> keys,
        IReadOnlyList<(PaymentRecord Paid, byte[] Response)>? markPaid, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
        // Planned once per connection: the generic plans of this transaction's statements were checked (docs/BENCHMARKS.md).
        batch.BatchCommands.Add(HotPath.GenericPlans());
        var insert = new NpgsqlBatchCommand(
            """
            insert into payments (payment_id, request_id, content_hash, kind, status, model_id, payer_account, provider_account, units, unit,
                                  amount_per_unit, amount, ledger_transfer_id, created_at)
            select * from unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            on conflict (request_id) do nothing
            returning request_id
            """);
        insert.Parameters.Add(Array(NpgsqlDbType.Uuid, payments.Select(p => p.PaymentId).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Uuid, payments.Select(p => p.RequestId).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Bytea, payments.Select(p => p.ContentHash).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Smallint, payments.Select(p => (short)p.Kind).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Smallint, payments.Select(p => (short)p.Status).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Text, payments.Select(p => p.ModelId).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Text, payments.Select(p => p.PayerAccount).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Text, payments.Select(p => p.ProviderAccount).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Bigint, payments.Select(p => p.Units).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Smallint, payments.Select(p => (short)p.Unit).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Bigint, payments.Select(p => p.AmountPerUnit).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Bigint, payments.Select(p => p.Amount).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.Text, payments.Select(p => (object?)p.LedgerTransferId ?? DBNull.Value).ToArray()));
        insert.Parameters.Add(Array(NpgsqlDbType.TimestampTz, payments.Select(p => p.CreatedAt).ToArray()));
        var lockAllowances = new NpgsqlBatchCommand(
            """
            select a.payer_account, a.model_id, a.cap_amount, a.used_amount, a.reserved_amount, a.expires_at, a.revoked_at, a.updated_at
            from unnest($1, $2) as k(payer, model)
            join allowances a on a.payer_account = k.payer and a.model_id = k.model
            order by a.payer_account collate "C", a.model_id collate "C"
            for update of a
            """);
        lockAllowances.Parameters.Add(Array(NpgsqlDbType.Text, keys.Select(k => k.Payer).ToArray()));
        lockAllowances.Parameters.Add(Array(NpgsqlDbType.Text, keys.Select(k => k.Model).ToArray()));
        batch.BatchCommands.Add(insert);
        if (markPaid is not null)
        {
            batch.BatchCommands.Add(MarkPaidCommand(markPaid));
        }
        batch.BatchCommands.Add(lockAllowances);

        await batch.PrepareAsync(cancellationToken); // no round trip once this connection has prepared them
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var inserted = new HashSet<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            inserted.Add(reader.GetGuid(0));
        }
        await reader.NextResultAsync(cancellationToken);
        var marked = new HashSet<Guid>();
        if (markPaid is not null)
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                marked.Add(reader.GetGuid(0));
            }
            await reader.NextResultAsync(cancellationToken);
        }
        var parse = reader.GetRowParser<AllowanceRecord>();
        var allowances = new Dictionary<(string Payer, string Model), AllowanceRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var allowance = parse(reader);
            allowances[(allowance.PayerAccount, allowance.ModelId)] = allowance;
        }
        return (marked, inserted, allowances);
    }

    /// <summary>Deletes pending payments (charges refused before the Ledger was called), as a command for a batch.</summary>
    public static NpgsqlBatchCommand DeletePendingPaymentsCommand(IReadOnlyList<Guid> requestIds)
    {
        var command = new NpgsqlBatchCommand("delete from payments p using unnest($1) as k(id) where p.request_id = k.id and p.status = 1");
        command.Parameters.Add(Array(NpgsqlDbType.Uuid, requestIds.ToArray()));
        return command;
    }


    /// <summary>
    /// Marks paid those payments that are still pending under this batch's payment id, with their Ledger transfer and the
    /// response every retry of their request gets; returns the request ids marked. A row released and inserted again by
    /// another copy while the batch was at the Ledger has another payment id and is left alone.
    /// </summary>
    /// <remarks>
    /// The transaction commits without waiting for its WAL flush (<c>synchronous_commit = off</c> for it alone): everything it
    /// records can be derived again from what is durable already — the pending row (committed before the Ledger was called)
    /// and the Ledger's transfer, whose id the row derives. If PostgreSQL itself crashes before the flush (the WAL writer
    /// flushes within <c>wal_writer_delay</c>, and any later durable commit flushes it too), the row is pending again and the
    /// recovery pass replays the transfer (the Ledger answers with the original) and marks it paid with the same receipt.
    /// </remarks>
    /// <param name="then">
    /// Statements sent in the same round trip after the update (the allowances, the events). They run whatever the update
    /// marked: a caller that sends them assumes every row is still its own, and rolls back if the returned set says otherwise.
    /// </param>
    public async Task<HashSet<Guid>> MarkPaidAsync(NpgsqlTransaction transaction, IReadOnlyList<(PaymentRecord Paid, byte[] Response)> payments,
        IReadOnlyList<NpgsqlBatchCommand> then, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("set local synchronous_commit = off"));
        batch.BatchCommands.Add(HotPath.GenericPlans());
        batch.BatchCommands.Add(MarkPaidCommand(payments));
        foreach (var next in then)
        {
            batch.BatchCommands.Add(next);
        }
        var marked = new HashSet<Guid>();
        await batch.PrepareAsync(cancellationToken);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            marked.Add(reader.GetGuid(0));
        }
        // The statements after it: run to the end here, so a failure among them surfaces now, not when the reader is disposed.
        while (await reader.NextResultAsync(cancellationToken))
        {
        }
        return marked;
    }

    /// <summary>
    /// The update of <see cref="MarkPaidAsync"/>: marks paid the payments still pending under their batch's payment id and
    /// returns their request ids.
    /// </summary>
    public static NpgsqlBatchCommand MarkPaidCommand(IReadOnlyList<(PaymentRecord Paid, byte[] Response)> payments)
    {
        var command = new NpgsqlBatchCommand(
            """
            update payments p
               set status = 2, ledger_transfer_id = d.transfer_id, ledger_sequence = d.sequence, ledger_hash = d.hash, response = d.response
            from unnest($1, $2, $3, $4, $5, $6) as d(request_id, payment_id, transfer_id, sequence, hash, response)
            where p.request_id = d.request_id and p.payment_id = d.payment_id and p.status = 1
            returning p.request_id
            """);
        command.Parameters.Add(Array(NpgsqlDbType.Uuid, payments.Select(p => p.Paid.RequestId).ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Uuid, payments.Select(p => p.Paid.PaymentId).ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Text, payments.Select(p => (object?)p.Paid.LedgerTransferId ?? DBNull.Value).ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Bigint, payments.Select(p => (object?)p.Paid.LedgerSequence ?? DBNull.Value).ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Text, payments.Select(p => (object?)p.Paid.LedgerHash ?? DBNull.Value).ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Bytea, payments.Select(p => p.Response).ToArray()));
        return command;
    }

    private static NpgsqlParameter Array<T>(NpgsqlDbType elementType, T[] values) => new() { NpgsqlDbType = NpgsqlDbType.Array | elementType, Value = values };
}
