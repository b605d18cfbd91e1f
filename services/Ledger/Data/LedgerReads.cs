using Dapper;
using Npgsql;
using Perspective.Ledger.Domain;
using Perspective.Ledger.Writer;

namespace Perspective.Ledger.Data;

/// <summary>Read queries. They read committed rows only, so they never wait for the writer.</summary>
public sealed class LedgerReads(NpgsqlDataSource dataSource)
{
    public const string AssetColumns =
        "code as Code, name as Name, decimals as Decimals, total_supply as TotalSupply, initial_holder_account as InitialHolderAccount, " +
        "created_sequence as CreatedSequence, created_at as CreatedAt";

    public const string HoldColumns =
        "h.hold_id as HoldId, h.from_account as FromAccount, h.to_account as ToAccount, h.asset as Asset, h.amount as Amount, h.status as Status, " +
        "h.posted_amount as PostedAmount, h.posted_transfer_id as PostedTransferId, h.expires_at as ExpiresAt, h.memo as Memo, " +
        "h.created_by as CreatedBy, h.created_sequence as CreatedSequence, h.closed_sequence as ClosedSequence, " +
        "j.hash as CreatedHash, j.committed_at as CreatedAt";

    public const string HoldFrom = "holds h join journal j on j.sequence = h.created_sequence";

    public const string LockColumns =
        "l.lock_id as LockId, l.account as Account, l.asset as Asset, l.amount as Amount, l.until as Until, l.status as Status, l.memo as Memo, " +
        "l.created_sequence as CreatedSequence, l.released_sequence as ReleasedSequence, j.hash as CreatedHash, j.committed_at as CreatedAt";

    public const string LockFrom = "locks l join journal j on j.sequence = l.created_sequence";

    public const string OfferColumns =
        "o.offer_id as OfferId, o.maker_account as MakerAccount, o.give_asset as GiveAsset, o.give_amount as GiveAmount, o.want_asset as WantAsset, " +
        "o.want_amount as WantAmount, o.counterparty_account as CounterpartyAccount, o.expires_at as ExpiresAt, o.status as Status, " +
        "o.taker_account as TakerAccount, o.memo as Memo, o.created_sequence as CreatedSequence, o.closed_sequence as ClosedSequence, " +
        "j.hash as CreatedHash, j.committed_at as CreatedAt";

    public const string OfferFrom = "swap_offers o join journal j on j.sequence = o.created_sequence";

    public sealed record JournalRow(long Sequence, short Kind, string ReferenceId, string Memo, DateTime CommittedAt, long CommittedAtMicros,
        byte[] PreviousHash, byte[] Hash);

    public sealed record PostingRow(long Sequence, int Ordinal, string Account, string Asset, short Bucket, long Amount);

    public async Task<(long Sequence, byte[] Hash, DateTime? CommittedAt)> HeadAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var head = (await connection.QueryAsync<(long Sequence, byte[] Hash, DateTime CommittedAt)>(new CommandDefinition(
            "select sequence, hash, committed_at from journal order by sequence desc limit 1", cancellationToken: ct))).ToList();
        return head.Count == 1 ? (head[0].Sequence, head[0].Hash, head[0].CommittedAt) : (0, JournalRecord.GenesisHash, null);
    }

    public async Task<AssetRow?> AssetAsync(string code, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<AssetRow>(new CommandDefinition(
            $"select {AssetColumns} from assets where code = @code",
            new { code }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<AssetRow>> AssetsAsync(string? after, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<AssetRow>(new CommandDefinition(
            $"""
            select {AssetColumns}
            from assets where @after::text is null or code > @after order by code limit @limit
            """, new { after, limit }, cancellationToken: ct))).ToList();
    }

    public async Task<TransferRow?> TransferAsync(string transferId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TransferRow>(new CommandDefinition(
            """
            select transfer_id as TransferId, kind as Kind, from_account as "From", to_account as "To", asset as Asset,
                   amount as Amount, memo as Memo, reference_id as ReferenceId, sequence as Sequence, committed_at as CommittedAt
            from transfers where transfer_id = @transferId
            """, new { transferId }, cancellationToken: ct));
    }

    public async Task<BalanceRow> BalanceAsync(string account, string asset, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<BalanceRow>(new CommandDefinition(
            "select total, held, locked from balances where account = @account and asset = @asset", new { account, asset }, cancellationToken: ct))
            ?? new BalanceRow(0, 0, 0);
    }

    public async Task<IReadOnlyList<(string Asset, BalanceRow Balance)>> BalancesAsync(string account, string? after, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Asset, long Total, long Held, long Locked)>(new CommandDefinition(
            """
            select asset, total, held, locked from balances
            where account = @account and (@after::text is null or asset > @after)
            order by asset limit @limit
            """, new { account, after, limit }, cancellationToken: ct));
        return rows.Select(r => (r.Asset, new BalanceRow(r.Total, r.Held, r.Locked))).ToList();
    }

    /// <summary>The account's total as of <paramref name="sequence"/>: its last history row at or before it (0 if none).</summary>
    public async Task<long> BalanceAtAsync(string account, string asset, long sequence, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            """
            select total from balance_history
            where asset = @asset and account = @account and sequence <= @sequence
            order by sequence desc limit 1
            """, new { account, asset, sequence }, cancellationToken: ct)) ?? 0;
    }

    /// <summary>
    /// Holders with a positive total as of <paramref name="sequence"/>, in ordinal (byte) order of the account id, issuance
    /// accounts excluded. Collation "C" is spelled out in the order and the keyset comparison so the order never depends
    /// on the database's default collation; the column has the same collation (migration 0006), so its index serves both.
    /// </summary>
    public async Task<IReadOnlyList<(string Account, long Total)>> HoldersAtAsync(string asset, long sequence, string? after, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Account, long Total)>(new CommandDefinition(
            """
            select account, total from (
                select distinct on (account collate "C") account, total
                from balance_history
                where asset = @asset and sequence <= @sequence and (@after::text is null or account collate "C" > @after)
                  and account not like 'issuance:%'
                order by account collate "C", sequence desc
            ) latest
            where total > 0
            order by account collate "C"
            limit @limit
            """, new { asset, sequence, after, limit }, cancellationToken: ct));
        return rows.ToList();
    }

    public async Task<IReadOnlyList<JournalRow>> JournalAsync(long from, long to, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<JournalRow>(new CommandDefinition(
            """
            select sequence as Sequence, kind as Kind, reference_id as ReferenceId, memo as Memo, committed_at as CommittedAt,
                   committed_at_micros as CommittedAtMicros, previous_hash as PreviousHash, hash as Hash
            from journal where sequence between @from and @to order by sequence
            """, new { from, to }, cancellationToken: ct))).ToList();
    }

    public async Task<ILookup<long, PostingRow>> PostingsAsync(long from, long to, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<PostingRow>(new CommandDefinition(
            """
            select sequence as Sequence, ordinal as Ordinal, account as Account, asset as Asset, bucket as Bucket, amount as Amount
            from postings where sequence between @from and @to order by sequence, ordinal
            """, new { from, to }, cancellationToken: ct))).ToLookup(p => p.Sequence);
    }

    public async Task<byte[]?> HashAtAsync(long sequence, CancellationToken ct)
    {
        if (sequence == 0)
        {
            return JournalRecord.GenesisHash;
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition(
            "select hash from journal where sequence = @sequence", new { sequence }, cancellationToken: ct));
    }

    public async Task<HoldRow?> HoldAsync(string holdId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<HoldRow>(new CommandDefinition(
            $"select {HoldColumns} from {HoldFrom} where h.hold_id = @holdId", new { holdId }, cancellationToken: ct));
    }

    /// <summary>Holds from <paramref name="account"/>, by hold id; <paramref name="status"/> 0 means any.</summary>
    public async Task<IReadOnlyList<HoldRow>> HoldsAsync(string account, short status, string? after, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<HoldRow>(new CommandDefinition(
            $"""
            select {HoldColumns} from {HoldFrom}
            where h.from_account = @account and (@status = 0 or h.status = @status) and (@after::text is null or h.hold_id > @after)
            order by h.hold_id limit @limit
            """, new { account, status, after, limit }, cancellationToken: ct))).ToList();
    }

    public async Task<LockRow?> LockAsync(string lockId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<LockRow>(new CommandDefinition(
            $"select {LockColumns} from {LockFrom} where l.lock_id = @lockId", new { lockId }, cancellationToken: ct));
    }

    /// <summary>Locks of <paramref name="account"/>, by lock id; empty asset and status 0 mean any.</summary>
    public async Task<IReadOnlyList<LockRow>> LocksAsync(string account, string asset, short status, string? after, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<LockRow>(new CommandDefinition(
            $"""
            select {LockColumns} from {LockFrom}
            where l.account = @account and (@asset = '' or l.asset = @asset) and (@status = 0 or l.status = @status)
              and (@after::text is null or l.lock_id > @after)
            order by l.lock_id limit @limit
            """, new { account, asset, status, after, limit }, cancellationToken: ct))).ToList();
    }

    /// <summary>The receipts of the given entries (nulls skipped), in one query.</summary>
    public async Task<IReadOnlyDictionary<long, (byte[] Hash, DateTime CommittedAt)>> EntriesAsync(IEnumerable<long?> sequences, CancellationToken ct)
    {
        var wanted = sequences.OfType<long>().Distinct().ToArray();
        if (wanted.Length == 0)
        {
            return new Dictionary<long, (byte[], DateTime)>();
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(long Sequence, byte[] Hash, DateTime CommittedAt)>(new CommandDefinition(
            "select sequence, hash, committed_at from journal where sequence = any(@wanted)", new { wanted }, cancellationToken: ct));
        return rows.ToDictionary(r => r.Sequence, r => (r.Hash, r.CommittedAt));
    }

    /// <summary>The receipt of entry <paramref name="sequence"/>, or null when there is none (an open hold has no closing entry).</summary>
    public async Task<(long Sequence, byte[] Hash, DateTime CommittedAt)?> EntryAsync(long? sequence, CancellationToken ct)
    {
        if (sequence is null)
        {
            return null;
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<(long Sequence, byte[] Hash, DateTime CommittedAt)>(new CommandDefinition(
            "select sequence, hash, committed_at from journal where sequence = @sequence", new { sequence }, cancellationToken: ct))).ToList();
        return rows.Count == 1 ? rows[0] : null;
    }

    public async Task<OfferRow?> OfferAsync(string offerId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<OfferRow>(new CommandDefinition(
            $"select {OfferColumns} from {OfferFrom} where o.offer_id = @offerId", new { offerId }, cancellationToken: ct));
    }

    /// <summary>Offers by id; every filter is optional (empty or 0 means any).</summary>
    public async Task<IReadOnlyList<OfferRow>> OffersAsync(string maker, string acceptableBy, string asset, short status, string? after, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<OfferRow>(new CommandDefinition(
            $"""
            select {OfferColumns} from {OfferFrom}
            where (@maker = '' or o.maker_account = @maker)
              and (@acceptableBy = '' or (o.maker_account <> @acceptableBy and o.counterparty_account in ('', @acceptableBy)))
              and (@asset = '' or o.give_asset = @asset or o.want_asset = @asset)
              and (@status = 0 or o.status = @status)
              and (@after::text is null or o.offer_id > @after)
            order by o.offer_id limit @limit
            """, new { maker, acceptableBy, asset, status, after, limit }, cancellationToken: ct))).ToList();
    }

    /// <summary>Transfers touching <paramref name="account"/> and/or of <paramref name="asset"/> (empty = any), by (sequence, transfer id).</summary>
    public async Task<IReadOnlyList<(TransferRow Transfer, byte[] Hash)>> TransfersAsync(
        string account, string asset, long fromSequence, long toSequence, (long Sequence, string TransferId)? after, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string TransferId, short Kind, string From, string To, string Asset, long Amount, string Memo,
            string ReferenceId, long Sequence, DateTime CommittedAt, byte[] Hash)>(new CommandDefinition(
            """
            select t.transfer_id, t.kind, t.from_account, t.to_account, t.asset, t.amount, t.memo, t.reference_id, t.sequence, t.committed_at, j.hash
            from transfers t join journal j on j.sequence = t.sequence
            where (@account = '' or t.from_account = @account or t.to_account = @account)
              and (@asset = '' or t.asset = @asset)
              and t.sequence >= @fromSequence and (@toSequence = 0 or t.sequence <= @toSequence)
              and (@afterSequence::bigint is null or (t.sequence, t.transfer_id) > (@afterSequence, @afterId))
            order by t.sequence, t.transfer_id
            limit @limit
            """, new { account, asset, fromSequence, toSequence, afterSequence = after?.Sequence, afterId = after?.TransferId ?? "", limit },
            cancellationToken: ct));
        return rows.Select(r => (new TransferRow(r.TransferId, r.Kind, r.From, r.To, r.Asset, r.Amount, r.Memo, r.ReferenceId, r.Sequence, r.CommittedAt),
            r.Hash)).ToList();
    }
}
