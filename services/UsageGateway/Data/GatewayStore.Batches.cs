using Dapper;
using Npgsql;
using NpgsqlTypes;
using Perspective.UsageGateway.Domain;

namespace Perspective.UsageGateway.Data;

/// <summary>
/// The statements of batched charges: each handles a whole batch in one round trip (arrays joined with <c>unnest</c>).
/// Rows are locked in key order (allowances by payer and model, payments by request id), so batches of two writers or two
/// replicas wait for each other instead of deadlocking.
/// </summary>
public sealed partial class GatewayStore
{
    /// <summary>Locks the allowances of <paramref name="keys"/> (distinct) in key order; keys without an allowance are absent.</summary>
    public async Task<Dictionary<(string Payer, string Model), AllowanceRecord>> LockAllowancesAsync(
        NpgsqlTransaction transaction, IReadOnlyCollection<(string Payer, string Model)> keys, CancellationToken cancellationToken)
    {
        var rows = await transaction.Connection!.QueryAsync<AllowanceRecord>(new CommandDefinition(
            """
            select a.payer_account, a.model_id, a.cap_amount, a.used_amount, a.reserved_amount, a.expires_at, a.revoked_at, a.updated_at
            from unnest(@payers::text[], @models::text[]) as k(payer, model)
            join allowances a on a.payer_account = k.payer and a.model_id = k.model
            order by a.payer_account, a.model_id
            for update of a
            """,
            new { payers = keys.Select(k => k.Payer).ToArray(), models = keys.Select(k => k.Model).ToArray() }, transaction, cancellationToken: cancellationToken));
        return rows.ToDictionary(a => (a.PayerAccount, a.ModelId));
    }

    /// <summary>Adds to the buckets of allowances the caller has locked, one row per key.</summary>
    public Task AdjustAllowancesAsync(NpgsqlTransaction transaction, IReadOnlyDictionary<(string Payer, string Model), (long Reserved, long Used)> deltas,
        DateTime now, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update allowances a
               set reserved_amount = a.reserved_amount + d.reserved, used_amount = a.used_amount + d.used, updated_at = @now
            from unnest(@payers::text[], @models::text[], @reserved::bigint[], @used::bigint[]) as d(payer, model, reserved, used)
            where a.payer_account = d.payer and a.model_id = d.model
            """,
            new
            {
                payers = deltas.Keys.Select(k => k.Payer).ToArray(),
                models = deltas.Keys.Select(k => k.Model).ToArray(),
                reserved = deltas.Values.Select(v => v.Reserved).ToArray(),
                used = deltas.Values.Select(v => v.Used).ToArray(),
                now,
            }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Inserts pending charges (ordered by request id by the caller); returns the request ids inserted. A request id already
    /// stored is skipped (a retry or a concurrent copy), and one being inserted by another transaction is waited for.
    /// </summary>
    public async Task<HashSet<Guid>> InsertPaymentsAsync(NpgsqlTransaction transaction, IReadOnlyList<PaymentRecord> payments, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            insert into payments (payment_id, request_id, content_hash, kind, status, model_id, payer_account, provider_account, units, unit,
                                  amount_per_unit, amount, ledger_transfer_id, created_at)
            select * from unnest(@payment_ids, @request_ids, @hashes, @kinds, @statuses, @models, @payers, @providers, @units, @price_units,
                                 @amounts_per_unit, @amounts, @transfer_ids, @created)
            on conflict (request_id) do nothing
            returning request_id
            """, transaction.Connection, transaction);
        command.Parameters.Add(Array("payment_ids", NpgsqlDbType.Uuid, payments.Select(p => p.PaymentId).ToArray()));
        command.Parameters.Add(Array("request_ids", NpgsqlDbType.Uuid, payments.Select(p => p.RequestId).ToArray()));
        command.Parameters.Add(Array("hashes", NpgsqlDbType.Bytea, payments.Select(p => p.ContentHash).ToArray()));
        command.Parameters.Add(Array("kinds", NpgsqlDbType.Smallint, payments.Select(p => (short)p.Kind).ToArray()));
        command.Parameters.Add(Array("statuses", NpgsqlDbType.Smallint, payments.Select(p => (short)p.Status).ToArray()));
        command.Parameters.Add(Array("models", NpgsqlDbType.Text, payments.Select(p => p.ModelId).ToArray()));
        command.Parameters.Add(Array("payers", NpgsqlDbType.Text, payments.Select(p => p.PayerAccount).ToArray()));
        command.Parameters.Add(Array("providers", NpgsqlDbType.Text, payments.Select(p => p.ProviderAccount).ToArray()));
        command.Parameters.Add(Array("units", NpgsqlDbType.Bigint, payments.Select(p => p.Units).ToArray()));
        command.Parameters.Add(Array("price_units", NpgsqlDbType.Smallint, payments.Select(p => (short)p.Unit).ToArray()));
        command.Parameters.Add(Array("amounts_per_unit", NpgsqlDbType.Bigint, payments.Select(p => p.AmountPerUnit).ToArray()));
        command.Parameters.Add(Array("amounts", NpgsqlDbType.Bigint, payments.Select(p => p.Amount).ToArray()));
        command.Parameters.Add(Array("transfer_ids", NpgsqlDbType.Text, payments.Select(p => (object?)p.LedgerTransferId ?? DBNull.Value).ToArray()));
        command.Parameters.Add(Array("created", NpgsqlDbType.TimestampTz, payments.Select(p => p.CreatedAt).ToArray()));
        var inserted = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            inserted.Add(reader.GetGuid(0));
        }
        return inserted;
    }

    /// <summary>Deletes pending payments (charges refused before the Ledger was called).</summary>
    public Task DeletePendingPaymentsAsync(NpgsqlTransaction transaction, IReadOnlyList<Guid> requestIds, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "delete from payments p using unnest(@requestIds::uuid[]) as k(id) where p.request_id = k.id and p.status = 1",
            new { requestIds = requestIds.ToArray() }, transaction, cancellationToken: cancellationToken));

    /// <summary>Locks, in request-id order, those of <paramref name="requestIds"/> whose payment is still pending; returns their payment ids.</summary>
    public async Task<Dictionary<Guid, Guid>> LockPendingPaymentsAsync(NpgsqlTransaction transaction, IReadOnlyList<Guid> requestIds, CancellationToken cancellationToken) =>
        (await transaction.Connection!.QueryAsync<(Guid RequestId, Guid PaymentId)>(new CommandDefinition(
            """
            select p.request_id, p.payment_id from unnest(@requestIds::uuid[]) as k(id) join payments p on p.request_id = k.id
            where p.status = 1
            order by p.request_id
            for update of p
            """, new { requestIds = requestIds.ToArray() }, transaction, cancellationToken: cancellationToken))).ToDictionary(r => r.RequestId, r => r.PaymentId);

    /// <summary>Marks payments paid with their Ledger transfer and the response every retry of their request gets.</summary>
    public async Task MarkPaidAsync(NpgsqlTransaction transaction, IReadOnlyList<(PaymentRecord Paid, byte[] Response)> payments, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            update payments p
               set status = 2, ledger_transfer_id = d.transfer_id, ledger_sequence = d.sequence, ledger_hash = d.hash, response = d.response
            from unnest(@request_ids, @transfer_ids, @sequences, @hashes, @responses) as d(request_id, transfer_id, sequence, hash, response)
            where p.request_id = d.request_id
            """, transaction.Connection, transaction);
        command.Parameters.Add(Array("request_ids", NpgsqlDbType.Uuid, payments.Select(p => p.Paid.RequestId).ToArray()));
        command.Parameters.Add(Array("transfer_ids", NpgsqlDbType.Text, payments.Select(p => (object?)p.Paid.LedgerTransferId ?? DBNull.Value).ToArray()));
        command.Parameters.Add(Array("sequences", NpgsqlDbType.Bigint, payments.Select(p => (object?)p.Paid.LedgerSequence ?? DBNull.Value).ToArray()));
        command.Parameters.Add(Array("hashes", NpgsqlDbType.Text, payments.Select(p => (object?)p.Paid.LedgerHash ?? DBNull.Value).ToArray()));
        command.Parameters.Add(Array("responses", NpgsqlDbType.Bytea, payments.Select(p => p.Response).ToArray()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Array<T>(string name, NpgsqlDbType elementType, T[] values) =>
        new(name, NpgsqlDbType.Array | elementType) { Value = values };
}
