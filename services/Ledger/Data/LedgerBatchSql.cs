using Npgsql;
using Perspective.Ledger.Writer;
using Perspective.ServiceDefaults.Data;

namespace Perspective.Ledger.Data;

/// <summary>Writes one writer batch with one multi-row statement per table (arrays through <c>unnest</c>), in one transaction.</summary>
public static class LedgerBatchSql
{
    /// <summary>Raises the fencing epoch for a writer that just took the lock; its batches carry the result.</summary>
    public static async Task<long> TakeFenceAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("update writer_fence set epoch = epoch + 1 returning epoch", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The SQLSTATE <c>writer_fence_check</c> raises for a stale epoch (migration 0007).</summary>
    private const string StaleEpoch = "LW001";

    /// <summary>
    /// Writes the batch and commits it, in one round trip: the COMMIT is the batch's last statement. False when another
    /// writer has taken the fence: then nothing was committed (the fence check failed first and stopped the batch).
    /// </summary>
    public static async Task<bool> WriteAndCommitAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, BatchWork work, long writerEpoch, CancellationToken cancellationToken)
    {
        if (work.Entries.Count == 0 && work.Requests.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
        await using var batch = new NpgsqlBatch(connection, transaction);
        // Planned once per connection: these inserts' generic plans are their custom plans (docs/BENCHMARKS.md).
        batch.BatchCommands.Add(HotPath.GenericPlans());
        // First, so a fenced-out writer's transaction holds nothing else when it learns it must roll back.
        batch.BatchCommands.Add(Command("select writer_fence_check(@p0)", writerEpoch));
        var assets = work.NewAssets;
        if (assets.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                """
                insert into assets (code, name, decimals, total_supply, initial_holder_account, created_sequence, created_at)
                select * from unnest(@p0, @p1, @p2, @p3, @p4, @p5, @p6)
                """,
                Array(assets.Select(a => a.Code)), Array(assets.Select(a => a.Name)), Array(assets.Select(a => a.Decimals)),
                Array(assets.Select(a => a.TotalSupply)), Array(assets.Select(a => a.InitialHolderAccount)),
                Array(assets.Select(a => a.CreatedSequence)), Array(assets.Select(a => a.CreatedAt))));
        }

        // A request can succeed without a journal entry (a batch of legs all committed before, unlocking a released
        // lock): its result is still recorded, so its id stays bound to its content.
        if (work.Entries.Count > 0)
        {
            AddEntries(batch, work);
        }

        var requests = work.Requests;
        if (requests.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                """
                insert into requests (request_id, operation, content_hash, response, sequence)
                select * from unnest(@p0, @p1, @p2, @p3, @p4)
                """,
                Array(requests.Select(r => r.RequestId)), Array(requests.Select(r => r.Operation)), Array(requests.Select(r => r.ContentHash)),
                Array(requests.Select(r => r.Response)), Array(requests.Select(r => r.Sequence))));
        }

        batch.BatchCommands.Add(HotPath.Commit());
        try
        {
            await batch.PrepareAsync(cancellationToken); // no round trip once this connection has prepared them
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == StaleEpoch)
        {
            return false;
        }
    }

    private static void AddEntries(NpgsqlBatch batch, BatchWork work)
    {
        var entries = work.Entries;
        batch.BatchCommands.Add(Command(
            """
            insert into journal (sequence, kind, reference_id, memo, committed_at, committed_at_micros, previous_hash, hash)
            select * from unnest(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7)
            """,
            Array(entries.Select(e => e.Entry.Sequence)), Array(entries.Select(e => (short)e.Entry.Kind)),
            Array(entries.Select(e => e.Entry.ReferenceId)), Array(entries.Select(e => e.Entry.Memo)),
            Array(entries.Select(e => e.CommittedAt)), Array(entries.Select(e => e.Entry.CommittedAtMicros)),
            Array(entries.Select(e => e.PreviousHash)), Array(entries.Select(e => e.Hash))));

        var postings = entries.SelectMany(e => e.Entry.Postings.Select((p, i) => (e.Entry.Sequence, Ordinal: i, PostingRecord: p))).ToList();
        batch.BatchCommands.Add(Command(
            """
            insert into postings (sequence, ordinal, account, asset, bucket, amount)
            select * from unnest(@p0, @p1, @p2, @p3, @p4, @p5)
            """,
            Array(postings.Select(p => p.Sequence)), Array(postings.Select(p => p.Ordinal)), Array(postings.Select(p => p.PostingRecord.Account)),
            Array(postings.Select(p => p.PostingRecord.Asset)), Array(postings.Select(p => (short)p.PostingRecord.Bucket)), Array(postings.Select(p => p.PostingRecord.Amount))));

        var transfers = work.Transfers;
        if (transfers.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                """
                insert into transfers (transfer_id, kind, from_account, to_account, asset, amount, memo, reference_id, sequence, committed_at)
                select * from unnest(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)
                """,
                Array(transfers.Select(t => t.TransferId)), Array(transfers.Select(t => t.Kind)), Array(transfers.Select(t => t.From)),
                Array(transfers.Select(t => t.To)), Array(transfers.Select(t => t.Asset)), Array(transfers.Select(t => t.Amount)),
                Array(transfers.Select(t => t.Memo)), Array(transfers.Select(t => t.ReferenceId)), Array(transfers.Select(t => t.Sequence)),
                Array(transfers.Select(t => t.CommittedAt))));
        }

        var touched = work.Touched.Select(k => (k.Account, k.Asset, Row: work.Balances[k])).ToList();
        batch.BatchCommands.Add(Command(
            """
            insert into balances (account, asset, total, held, locked, updated_sequence)
            select * from unnest(@p0, @p1, @p2, @p3, @p4, @p5)
            on conflict (account, asset) do update
              set total = excluded.total, held = excluded.held, locked = excluded.locked, updated_sequence = excluded.updated_sequence
            """,
            Array(touched.Select(t => t.Account)), Array(touched.Select(t => t.Asset)), Array(touched.Select(t => t.Row.Total)),
            Array(touched.Select(t => t.Row.Held)), Array(touched.Select(t => t.Row.Locked)),
            Array(touched.Select(_ => work.HeadSequence))));

        var history = work.History;
        batch.BatchCommands.Add(Command(
            """
            insert into balance_history (asset, account, sequence, total)
            select * from unnest(@p0, @p1, @p2, @p3)
            """,
            Array(history.Select(h => h.Asset)), Array(history.Select(h => h.Account)), Array(history.Select(h => h.Sequence)),
            Array(history.Select(h => h.Total))));


        var holds = work.ChangedHolds.Select(id => work.Holds[id]).ToList();
        if (holds.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                """
                insert into holds (hold_id, from_account, to_account, asset, amount, status, posted_amount, posted_transfer_id, expires_at, memo,
                                   created_by, created_sequence, closed_sequence)
                select * from unnest(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12)
                on conflict (hold_id) do update
                  set status = excluded.status, posted_amount = excluded.posted_amount, posted_transfer_id = excluded.posted_transfer_id,
                      closed_sequence = excluded.closed_sequence
                """,
                Array(holds.Select(h => h.HoldId)), Array(holds.Select(h => h.FromAccount)), Array(holds.Select(h => h.ToAccount)),
                Array(holds.Select(h => h.Asset)), Array(holds.Select(h => h.Amount)), Array(holds.Select(h => h.Status)),
                Array(holds.Select(h => h.PostedAmount)), Array(holds.Select(h => h.PostedTransferId)), Array(holds.Select(h => h.ExpiresAt)),
                Array(holds.Select(h => h.Memo)), Array(holds.Select(h => h.CreatedBy)), Array(holds.Select(h => h.CreatedSequence)),
                Array(holds.Select(h => h.ClosedSequence))));
        }

        var locks = work.ChangedLocks.Select(id => work.Locks[id]).ToList();
        if (locks.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                """
                insert into locks (lock_id, account, asset, amount, until, status, memo, created_sequence, released_sequence)
                select * from unnest(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8)
                on conflict (lock_id) do update set status = excluded.status, released_sequence = excluded.released_sequence
                """,
                Array(locks.Select(l => l.LockId)), Array(locks.Select(l => l.Account)), Array(locks.Select(l => l.Asset)),
                Array(locks.Select(l => l.Amount)), Array(locks.Select(l => l.Until)), Array(locks.Select(l => l.Status)),
                Array(locks.Select(l => l.Memo)), Array(locks.Select(l => l.CreatedSequence)), Array(locks.Select(l => l.ReleasedSequence))));
        }

        var offers = work.ChangedOffers.Select(id => work.Offers[id]).ToList();
        if (offers.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                """
                insert into swap_offers (offer_id, maker_account, give_asset, give_amount, want_asset, want_amount, counterparty_account, expires_at,
                                         status, taker_account, memo, created_sequence, closed_sequence)
                select * from unnest(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12)
                on conflict (offer_id) do update
                  set status = excluded.status, taker_account = excluded.taker_account, closed_sequence = excluded.closed_sequence
                """,
                Array(offers.Select(o => o.OfferId)), Array(offers.Select(o => o.MakerAccount)), Array(offers.Select(o => o.GiveAsset)),
                Array(offers.Select(o => o.GiveAmount)), Array(offers.Select(o => o.WantAsset)), Array(offers.Select(o => o.WantAmount)),
                Array(offers.Select(o => o.CounterpartyAccount)), Array(offers.Select(o => o.ExpiresAt)), Array(offers.Select(o => o.Status)),
                Array(offers.Select(o => o.TakerAccount)), Array(offers.Select(o => o.Memo)), Array(offers.Select(o => o.CreatedSequence)),
                Array(offers.Select(o => o.ClosedSequence))));
        }

    }

    private static T[] Array<T>(IEnumerable<T> values) => values.ToArray();

    private static NpgsqlBatchCommand Command(string sql, params object[] arrays)
    {
        var command = new NpgsqlBatchCommand(sql);
        for (var i = 0; i < arrays.Length; i++)
        {
            command.Parameters.Add(new NpgsqlParameter($"p{i}", arrays[i]));
        }
        return command;
    }
}
