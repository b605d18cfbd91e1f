using Dapper;
using Npgsql;
using Perspective.Contracts.Events.Gateway.V1;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Data;

/// <summary>A treasury record; creator and token are null until ModelRegistered has arrived.</summary>
public sealed record TreasuryRow(Guid ModelId, string? CreatorAccount, string? TokenAsset, DateTime OpenedAt);

/// <summary>Lifetime revenue of one model.</summary>
public sealed record RevenueTotals(long Amount, long PaymentCount, DateTime? LastRevenueAt);

/// <summary>Revenue of one UTC day (zero days included by the query).</summary>
public sealed record RevenueDayRow(DateTime Day, long Amount, long PaymentCount);

/// <summary>A counted payment as reconciliation compares it with the Ledger.</summary>
public sealed record CountedPaymentRow(string PaymentId, string LedgerTransferId, long Amount, long LedgerSequence);

/// <summary>SQL of the treasury records and the revenue counted from UsagePaid.</summary>
public sealed class TreasuryStore(NpgsqlDataSource dataSource)
{
    /// <summary>Opens or completes the record from ModelRegistered (a UsagePaid may have opened it first).</summary>
    public Task OpenAsync(NpgsqlTransaction tx, Guid modelId, string creator, string tokenAsset, DateTimeOffset registeredAt, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into treasuries (model_id, creator_account, token_asset, opened_at, registered_at)
            values (@modelId, @creator, @tokenAsset, @registeredAt, @registeredAt)
            on conflict (model_id) do update
               set creator_account = excluded.creator_account,
                   token_asset = excluded.token_asset,
                   opened_at = least(treasuries.opened_at, excluded.opened_at),
                   registered_at = excluded.registered_at
             where treasuries.registered_at is null
            """, new { modelId, creator, tokenAsset, registeredAt }, tx, cancellationToken: ct));

    /// <summary>
    /// Counts a payment once: returns false if this payment id was counted before (under any message id). Only a first
    /// count adds to the day's totals; PostgreSQL's bigint addition raises on overflow instead of wrapping.
    /// </summary>
    public async Task<bool> CountPaymentAsync(NpgsqlTransaction tx, Guid modelId, UsagePaid paid, DateTimeOffset now, CancellationToken ct)
    {
        var connection = tx.Connection!;
        var paidAt = paid.OccurredAt.ToUniversalTime();
        var day = TreasuryRules.Day(paidAt).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into counted_payments (payment_id, model_id, amount, ledger_transfer_id, ledger_sequence, paid_at, day, counted_at)
            values (@PaymentId, @modelId, @Amount, @TransferId, @Sequence, @paidAt, @day::date, @now)
            on conflict (payment_id) do nothing
            """,
            new
            {
                paid.PaymentId,
                modelId,
                Amount = paid.AmountBaseUnits,
                TransferId = paid.LedgerTransferId ?? "",
                Sequence = paid.LedgerSequence,
                paidAt,
                day,
                now,
            }, tx, cancellationToken: ct)) == 1;
        if (!inserted)
        {
            return false;
        }
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into revenue_days (model_id, day, amount, payment_count) values (@modelId, @day::date, @Amount, 1)
            on conflict (model_id, day) do update
               set amount = revenue_days.amount + excluded.amount,
                   payment_count = revenue_days.payment_count + 1
            """, new { modelId, day, Amount = paid.AmountBaseUnits }, tx, cancellationToken: ct));
        // A payment may arrive before ModelRegistered: it opens the record, which the registration completes. Payments
        // arrive in no order, so the opening is the earliest time seen (registration or payment), whichever came first.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into treasuries (model_id, opened_at) values (@modelId, @paidAt)
            on conflict (model_id) do update set opened_at = least(treasuries.opened_at, excluded.opened_at)
            """, new { modelId, paidAt }, tx, cancellationToken: ct));
        return true;
    }

    public async Task<TreasuryRow?> GetAsync(Guid modelId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TreasuryRow>(new CommandDefinition(
            "select model_id as ModelId, creator_account as CreatorAccount, token_asset as TokenAsset, opened_at as OpenedAt from treasuries where model_id = @modelId",
            new { modelId }, cancellationToken: ct));
    }

    public async Task<RevenueTotals> TotalsAsync(Guid modelId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // sum(bigint) is numeric; the cast back to bigint raises rather than wraps.
        return await connection.QuerySingleAsync<RevenueTotals>(new CommandDefinition(
            """
            select coalesce((select sum(amount) from revenue_days where model_id = @modelId), 0)::bigint as Amount,
                   coalesce((select sum(payment_count) from revenue_days where model_id = @modelId), 0)::bigint as PaymentCount,
                   (select max(paid_at) from counted_payments where model_id = @modelId) as LastRevenueAt
            """, new { modelId }, cancellationToken: ct));
    }

    /// <summary>Days from <paramref name="from"/> to <paramref name="to"/> (inclusive), zero days included, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<RevenueDayRow>> DaysAsync(Guid modelId, DateOnly from, DateOnly to, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<RevenueDayRow>(new CommandDefinition(
            """
            select d.day::timestamp as Day, coalesce(r.amount, 0) as Amount, coalesce(r.payment_count, 0) as PaymentCount
            from generate_series(@from::date, @to::date, interval '1 day') as d(day)
            left join revenue_days r on r.model_id = @modelId and r.day = d.day::date
            order by d.day
            limit @limit
            """, new { modelId, from = Unspecified(from), to = Unspecified(to), limit }, cancellationToken: ct))).ToList();
    }

    public async Task<long> RangeTotalAsync(Guid modelId, DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select coalesce(sum(amount), 0)::bigint from revenue_days where model_id = @modelId and day between @from::date and @to::date",
            new { modelId, from = Unspecified(from), to = Unspecified(to) }, cancellationToken: ct));
    }

    /// <summary>The counted payments that moved POV (a Ledger transfer id) up to a Ledger sequence, first counted first.</summary>
    public async Task<IReadOnlyList<CountedPaymentRow>> CountedWithTransferAsync(Guid modelId, long upToSequence, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<CountedPaymentRow>(new CommandDefinition(
            """
            select payment_id as PaymentId, ledger_transfer_id as LedgerTransferId, amount as Amount, ledger_sequence as LedgerSequence from counted_payments
            where model_id = @modelId and ledger_transfer_id <> '' and ledger_sequence <= @upToSequence
            order by counted_at, payment_id
            """, new { modelId, upToSequence }, cancellationToken: ct))).ToList();
    }

    // A date parameter as timestamp without time zone, so ::date never depends on the session's time zone.
    private static DateTime Unspecified(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
}
