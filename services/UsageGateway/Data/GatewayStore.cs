using Dapper;
using Npgsql;
using Perspective.UsageGateway.Domain;

namespace Perspective.UsageGateway.Data;

/// <summary>The gateway's tables: allowances, requests (idempotency), payments and usage authorizations. Plain SQL, no hidden state.</summary>
public sealed partial class GatewayStore(NpgsqlDataSource dataSource)
{
    private const string AllowanceColumns = "payer_account, model_id, cap_amount, used_amount, reserved_amount, expires_at, revoked_at, updated_at";

    private const string PaymentColumns =
        """
        payment_id, request_id, content_hash, kind, status, model_id, payer_account, provider_account, units, unit,
        amount_per_unit, amount, authorization_id, ledger_transfer_id, ledger_sequence, ledger_hash, created_at, response
        """;

    private const string AuthorizationColumns =
        """
        authorization_id, request_id, model_id, payer_account, provider_account, max_units, unit, amount_per_unit, max_amount,
        status, units_used, payment_id, ledger_hold_id, closing_request_id, created_at, expires_at, closed_at, updated_at
        """;

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => dataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one transaction and commits it.</summary>
    public async Task<T> InTransactionAsync<T>(Func<NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        var (connection, transaction) = await BeginAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var result = await work(transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction that the work commits itself, sending COMMIT with its last statements
    /// (<see cref="CommittingTransaction.ExecuteAndCommitAsync"/>: one round trip fewer on a hot path). Work that returns
    /// without having committed is an error, and nothing it did is kept.
    /// </summary>
    public async Task<T> InCommittingTransactionAsync<T>(Func<CommittingTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        var (connection, transaction) = await BeginAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var committing = new CommittingTransaction(transaction);
            var result = await work(committing);
            return committing.Committed ? result : throw new InvalidOperationException("the transaction's work returned without committing: nothing it did is kept");
        }
    }

    public async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)> BeginAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return (connection, await connection.BeginTransactionAsync(cancellationToken));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    // ---------------- allowances ----------------

    public async Task<AllowanceRecord?> AllowanceAsync(string payer, string modelId, NpgsqlTransaction? transaction, bool forUpdate, CancellationToken cancellationToken)
    {
        var sql = $"select {AllowanceColumns} from allowances where payer_account = @payer and model_id = @modelId" + (forUpdate ? " for update" : "");
        if (transaction is null)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            return await connection.QuerySingleOrDefaultAsync<AllowanceRecord>(new CommandDefinition(sql, new { payer, modelId }, cancellationToken: cancellationToken));
        }
        return await transaction.Connection!.QuerySingleOrDefaultAsync<AllowanceRecord>(new CommandDefinition(sql, new { payer, modelId }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Sets a new cap: used restarts at 0, a revocation is lifted, open reservations carry over.</summary>
    public Task<AllowanceRecord> SetAllowanceAsync(NpgsqlTransaction transaction, string payer, string modelId, long cap, DateTime? expiresAt, DateTime now, CancellationToken cancellationToken) =>
        transaction.Connection!.QuerySingleAsync<AllowanceRecord>(new CommandDefinition(
            $"""
            insert into allowances (payer_account, model_id, cap_amount, used_amount, reserved_amount, expires_at, revoked_at, updated_at)
            values (@payer, @modelId, @cap, 0, 0, @expiresAt, null, @now)
            on conflict (payer_account, model_id) do update
               set cap_amount = excluded.cap_amount, used_amount = 0, expires_at = excluded.expires_at, revoked_at = null, updated_at = excluded.updated_at
            returning {AllowanceColumns}
            """, new { payer, modelId, cap, expiresAt, now }, transaction, cancellationToken: cancellationToken));

    public Task<AllowanceRecord> RevokeAllowanceAsync(NpgsqlTransaction transaction, string payer, string modelId, DateTime now, CancellationToken cancellationToken) =>
        transaction.Connection!.QuerySingleAsync<AllowanceRecord>(new CommandDefinition(
            $"""
            update allowances set revoked_at = coalesce(revoked_at, @now), updated_at = @now
            where payer_account = @payer and model_id = @modelId
            returning {AllowanceColumns}
            """, new { payer, modelId, now }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Moves amounts between the allowance's buckets (reserve, release, spend); the row must be locked by the caller or the
    /// statement itself. No clamp: a release that would make the reservation negative is a bug, and the column's check
    /// fails the transaction instead of hiding it.
    /// </summary>
    public Task<AllowanceRecord> AdjustAllowanceAsync(NpgsqlTransaction transaction, string payer, string modelId, long reservedDelta, long usedDelta, DateTime now, CancellationToken cancellationToken) =>
        transaction.Connection!.QuerySingleAsync<AllowanceRecord>(new CommandDefinition(
            $"""
            update allowances
               set reserved_amount = reserved_amount + @reservedDelta, used_amount = used_amount + @usedDelta, updated_at = @now
            where payer_account = @payer and model_id = @modelId
            returning {AllowanceColumns}
            """, new { payer, modelId, reservedDelta, usedDelta, now }, transaction, cancellationToken: cancellationToken));

    public async Task<IReadOnlyList<AllowanceRecord>> AllowancesAsync(string payer, bool includeInactive, DateTime now, string? afterModel, int size, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<AllowanceRecord>(new CommandDefinition(
            $"""
            select {AllowanceColumns} from allowances
            where payer_account = @payer and (@afterModel::text is null or model_id > @afterModel)
              and (@includeInactive or (revoked_at is null and (expires_at is null or expires_at > @now)))
            order by model_id
            limit @size
            """, new { payer, includeInactive, now, afterModel, size }, cancellationToken: cancellationToken))];
    }

    // ---------------- requests (idempotency) ----------------

    public sealed class RequestRow
    {
        public string Kind { get; init; } = "";
        public byte[] ContentHash { get; init; } = [];
        public byte[]? Response { get; init; }
    }

    /// <summary>Claims a request id; false when it was claimed before (a concurrent copy waits here until the first commits).</summary>
    public async Task<bool> ClaimRequestAsync(NpgsqlTransaction transaction, Guid requestId, string kind, byte[] contentHash, DateTime now, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "insert into requests (request_id, kind, content_hash, created_at) values (@requestId, @kind, @contentHash, @now) on conflict do nothing",
            new { requestId, kind, contentHash, now }, transaction, cancellationToken: cancellationToken)) == 1;

    public Task<RequestRow?> RequestAsync(NpgsqlTransaction transaction, Guid requestId, CancellationToken cancellationToken) =>
        transaction.Connection!.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
            "select kind, content_hash, response from requests where request_id = @requestId", new { requestId }, transaction, cancellationToken: cancellationToken));

    public Task CompleteRequestAsync(NpgsqlTransaction transaction, Guid requestId, byte[] response, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "update requests set response = @response where request_id = @requestId", new { requestId, response }, transaction, cancellationToken: cancellationToken));

    public Task ForgetRequestAsync(NpgsqlTransaction transaction, Guid requestId, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "delete from requests where request_id = @requestId", new { requestId }, transaction, cancellationToken: cancellationToken));

    // ---------------- payments ----------------

    public async Task<bool> InsertPaymentAsync(NpgsqlTransaction transaction, PaymentRecord p, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into payments (payment_id, request_id, content_hash, kind, status, model_id, payer_account, provider_account, units, unit,
                                  amount_per_unit, amount, authorization_id, ledger_transfer_id, created_at)
            values (@PaymentId, @RequestId, @ContentHash, @Kind, @Status, @ModelId, @PayerAccount, @ProviderAccount, @Units, @Unit,
                    @AmountPerUnit, @Amount, @AuthorizationId, @LedgerTransferId, @CreatedAt)
            on conflict (request_id) do nothing
            """,
            new
            {
                p.PaymentId,
                p.RequestId,
                p.ContentHash,
                Kind = (short)p.Kind,
                Status = (short)p.Status,
                p.ModelId,
                p.PayerAccount,
                p.ProviderAccount,
                p.Units,
                Unit = (short)p.Unit,
                p.AmountPerUnit,
                p.Amount,
                p.AuthorizationId,
                p.LedgerTransferId,
                p.CreatedAt,
            }, transaction, cancellationToken: cancellationToken)) == 1;

    public async Task<PaymentRecord?> PaymentByRequestAsync(Guid requestId, NpgsqlTransaction? transaction, bool forUpdate, CancellationToken cancellationToken)
    {
        var sql = $"select {PaymentColumns} from payments where request_id = @requestId" + (forUpdate ? " for update" : "");
        if (transaction is null)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            return await connection.QuerySingleOrDefaultAsync<PaymentRecord>(new CommandDefinition(sql, new { requestId }, cancellationToken: cancellationToken));
        }
        return await transaction.Connection!.QuerySingleOrDefaultAsync<PaymentRecord>(new CommandDefinition(sql, new { requestId }, transaction, cancellationToken: cancellationToken));
    }

    public async Task<PaymentRecord?> PaymentAsync(Guid paymentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<PaymentRecord>(new CommandDefinition(
            $"select {PaymentColumns} from payments where payment_id = @paymentId and status = 2", new { paymentId }, cancellationToken: cancellationToken));
    }

    public Task MarkPaidAsync(NpgsqlTransaction transaction, Guid requestId, string? ledgerTransferId, long? ledgerSequence, string? ledgerHash, byte[]? response,
        CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update payments set status = 2, ledger_transfer_id = @ledgerTransferId, ledger_sequence = @ledgerSequence, ledger_hash = @ledgerHash, response = @response
            where request_id = @requestId
            """, new { requestId, ledgerTransferId, ledgerSequence, ledgerHash, response }, transaction, cancellationToken: cancellationToken));

    public Task DeletePaymentAsync(NpgsqlTransaction transaction, Guid requestId, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "delete from payments where request_id = @requestId and status = 1", new { requestId }, transaction, cancellationToken: cancellationToken));

    public async Task<IReadOnlyList<PaymentRecord>> PaymentsAsync(string? payer, string? modelId, DateTime? from, DateTime? to,
        (DateTime CreatedAt, Guid Id)? after, int size, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<PaymentRecord>(new CommandDefinition(
            $"""
            select {PaymentColumns} from payments
            where status = 2
              and (@payer::text is null or payer_account = @payer)
              and (@modelId::text is null or model_id = @modelId)
              and (@from::timestamptz is null or created_at >= @from)
              and (@to::timestamptz is null or created_at < @to)
              and (@afterAt::timestamptz is null or (created_at, payment_id) > (@afterAt, @afterId))
            order by created_at, payment_id
            limit @size
            """, new { payer, modelId, from, to, afterAt = after?.CreatedAt, afterId = after?.Id, size }, cancellationToken: cancellationToken))];
    }

    public async Task<IReadOnlyList<Guid>> StalePendingPaymentsAsync(DateTime before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<Guid>(new CommandDefinition(
            // Charges only: a metered payment pending is its authorization's settle, which the authorization sweep resumes.
            "select request_id from payments where status = 1 and kind = 1 and created_at < @before order by created_at limit @limit",
            new { before, limit }, cancellationToken: cancellationToken))];
    }

    // ---------------- usage authorizations ----------------

    public Task InsertAuthorizationAsync(NpgsqlTransaction transaction, AuthorizationRecord a, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into usage_authorizations (authorization_id, request_id, model_id, payer_account, provider_account, max_units, unit, amount_per_unit,
                                              max_amount, status, ledger_hold_id, created_at, expires_at, updated_at)
            values (@AuthorizationId, @RequestId, @ModelId, @PayerAccount, @ProviderAccount, @MaxUnits, @Unit, @AmountPerUnit,
                    @MaxAmount, @Status, @LedgerHoldId, @CreatedAt, @ExpiresAt, @UpdatedAt)
            """,
            new
            {
                a.AuthorizationId,
                a.RequestId,
                a.ModelId,
                a.PayerAccount,
                a.ProviderAccount,
                a.MaxUnits,
                Unit = (short)a.Unit,
                a.AmountPerUnit,
                a.MaxAmount,
                Status = (short)a.Status,
                a.LedgerHoldId,
                a.CreatedAt,
                a.ExpiresAt,
                a.UpdatedAt,
            }, transaction, cancellationToken: cancellationToken));

    public async Task<AuthorizationRecord?> AuthorizationAsync(Guid authorizationId, NpgsqlTransaction? transaction, bool forUpdate, CancellationToken cancellationToken)
    {
        var sql = $"select {AuthorizationColumns} from usage_authorizations where authorization_id = @authorizationId" + (forUpdate ? " for update" : "");
        if (transaction is null)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            return await connection.QuerySingleOrDefaultAsync<AuthorizationRecord>(new CommandDefinition(sql, new { authorizationId }, cancellationToken: cancellationToken));
        }
        return await transaction.Connection!.QuerySingleOrDefaultAsync<AuthorizationRecord>(new CommandDefinition(sql, new { authorizationId }, transaction, cancellationToken: cancellationToken));
    }

    public Task<AuthorizationRecord?> AuthorizationByRequestAsync(NpgsqlTransaction transaction, Guid requestId, CancellationToken cancellationToken) =>
        transaction.Connection!.QuerySingleOrDefaultAsync<AuthorizationRecord>(new CommandDefinition(
            $"select {AuthorizationColumns} from usage_authorizations where request_id = @requestId or closing_request_id = @requestId for update",
            new { requestId }, transaction, cancellationToken: cancellationToken));

    public Task<AuthorizationRecord> UpdateAuthorizationAsync(NpgsqlTransaction transaction, Guid authorizationId, AuthorizationStatus status, long unitsUsed,
        Guid? paymentId, Guid? closingRequestId, DateTime? closedAt, DateTime now, CancellationToken cancellationToken) =>
        transaction.Connection!.QuerySingleAsync<AuthorizationRecord>(new CommandDefinition(
            $"""
            update usage_authorizations
               set status = @status, units_used = @unitsUsed, payment_id = @paymentId, closing_request_id = @closingRequestId, closed_at = @closedAt, updated_at = @now
            where authorization_id = @authorizationId
            returning {AuthorizationColumns}
            """, new { authorizationId, status = (short)status, unitsUsed, paymentId, closingRequestId, closedAt, now }, transaction, cancellationToken: cancellationToken));

    public Task DeleteAuthorizationAsync(NpgsqlTransaction transaction, Guid authorizationId, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "delete from usage_authorizations where authorization_id = @authorizationId and status = 0", new { authorizationId }, transaction, cancellationToken: cancellationToken));

    public async Task<IReadOnlyList<AuthorizationRecord>> AuthorizationsAsync(string? payer, string? modelId, AuthorizationStatus? status,
        (DateTime CreatedAt, Guid Id)? after, int size, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<AuthorizationRecord>(new CommandDefinition(
            $"""
            select {AuthorizationColumns} from usage_authorizations
            where status <> 0
              and (@payer::text is null or payer_account = @payer)
              and (@modelId::text is null or model_id = @modelId)
              and (@status::smallint is null or status = @status)
              and (@afterAt::timestamptz is null or (created_at, authorization_id) > (@afterAt, @afterId))
            order by created_at, authorization_id
            limit @size
            """, new { payer, modelId, status = (short?)status, afterAt = after?.CreatedAt, afterId = after?.Id, size }, cancellationToken: cancellationToken))];
    }

    /// <summary>Open authorizations past their expiry, and closes (or creations) stuck mid-flight since before <paramref name="staleBefore"/>.</summary>
    public async Task<IReadOnlyList<AuthorizationRecord>> AuthorizationsToSweepAsync(DateTime now, DateTime staleBefore, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<AuthorizationRecord>(new CommandDefinition(
            $"""
            (select {AuthorizationColumns} from usage_authorizations where status = 1 and expires_at <= @now order by expires_at limit @limit)
            union all
            (select {AuthorizationColumns} from usage_authorizations where status in (0, 5, 6, 7) and updated_at < @staleBefore order by updated_at limit @limit)
            """, new { now, staleBefore, limit }, cancellationToken: cancellationToken))];
    }
}
