using System.Diagnostics;
using System.Threading.Channels;
using Dapper;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.Ledger.Data;
using Perspective.Ledger.Domain;
using Perspective.ServiceDefaults.Errors;
using Transfer = Perspective.Contracts.Ledger.V1.Transfer;

namespace Perspective.Ledger.Writer;

/// <summary>
/// The only code that changes the ledger. One loop takes every request that arrived while the previous batch was
/// being handled (group commit, at most <see cref="LedgerOptions.BatchSizeMax"/>), applies them in arrival order against
/// the balances it holds in memory, and writes the whole batch in one transaction. Each request gets its own result:
/// one that breaks a rule changes nothing and does not fail its neighbours. Batches are pipelined: while batch N is
/// written and committed, batch N+1 (plain transfers only) is read and applied on top of N's state; N+1 is written
/// only after N committed, and fails with it. Only one process writes: it holds a PostgreSQL session advisory lock
/// for its lifetime (another replica waits for the lock as a standby), so balances need no row locks, and the
/// journal's sequence primary key refuses any batch built on a head that is no longer the last.
/// </summary>
public sealed partial class LedgerWriter(
    NpgsqlDataSource dataSource,
    TimeProvider time,
    IOptions<LedgerOptions> options,
    LedgerMetrics metrics,
    ILogger<LedgerWriter> logger) : BackgroundService
{
    public const long WriterLockKey = 0x5045_5253_4C45_4447; // "PERSLEDG"

    /// <summary>Most expired holds, locks and offers one sweep handles (each kind); the next tick takes the rest.</summary>
    public const int SweepBatchMax = 1_000;

    private sealed record Pending(LedgerCommand Command, TaskCompletionSource<IMessage> Completion);

    /// <summary>A batch applied in memory, with each request's result, waiting for its write and commit.</summary>
    private sealed record PreparedBatch(List<Pending> Batch, BatchWork Work, Dictionary<Pending, object> Results);

    private readonly Channel<Pending> queue = Channel.CreateBounded<Pending>(
        new BoundedChannelOptions(options.Value.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Dictionary<string, AssetRow> assets = new(StringComparer.Ordinal);
    private volatile bool active;

    /// <summary>True once this process holds the writer lock and has loaded the head; a standby is not ready.</summary>
    public bool IsActive => active;

    // The chain's tip as of the last prepared batch (committed or in its commit): the next batch links onto it.
    private long headSequence;
    private byte[] headHash = JournalRecord.GenesisHash;

    // Balances as of the last prepared batch. Only this writer changes balances, so a cached value stays exact; any
    // failure drops the cache and the head and reloads them from committed rows.
    private readonly Dictionary<(string Account, string Asset), BalanceRow> balanceCache = [];

    // This writer's fencing token, taken with the lock; set when a batch found another writer's token instead.
    private long writerEpoch;
    private volatile bool fenced;

    // The tip as of the last committed batch: where a failure rewinds to when the database cannot be read.
    private long committedSequence;
    private byte[] committedHash = JournalRecord.GenesisHash;

    /// <summary>Queues a command and waits for its own result (a response message, or the rule it broke).</summary>
    public async Task<IMessage> SubmitAsync(LedgerCommand command, CancellationToken cancellationToken)
    {
        var pending = new Pending(command, new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
        await queue.Writer.WriteAsync(pending, cancellationToken);
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.Watch(() => queue.Reader.Count, () => Volatile.Read(ref committedSequence), () => active);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunAsync(stoppingToken); // returns when the writer lost its lock
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return; // shutting down, possibly while waiting as a standby: a cancelled lock wait is not an error
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogDatabaseUnreachable(logger, ex.Message);
            }
            // A standby again: nobody may be left waiting on a writer that no longer writes.
            active = false;
            var queued = new List<Pending>();
            while (queue.Reader.TryRead(out var pending))
            {
                queued.Add(pending);
            }
            Fail(queued);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); // wall-clock back-off, not ledger time
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        // Held while this process writes: the connection closing releases it and a standby takes over.
        await using var lockConnection = await dataSource.OpenConnectionAsync(stoppingToken);
        LogWaitingForLock(logger);
        await lockConnection.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(@WriterLockKey)", new { WriterLockKey },
            commandTimeout: 0, cancellationToken: stoppingToken));
        writerEpoch = await LedgerBatchSql.TakeFenceAsync(lockConnection, stoppingToken);
        fenced = false;
        await LoadStateAsync(stoppingToken);
        LogWriting(logger, headSequence);
        await ApplyGenesisAsync(stoppingToken);
        active = true;

        Task<bool>? committing = null; // the write and commit of the previous batch: true once committed
        PreparedBatch? inFlight = null;
        try
        {
            while (true)
            {
                var next = queue.Reader.WaitToReadAsync(stoppingToken).AsTask();
                if (committing is not null && await Task.WhenAny(next, committing) == committing)
                {
                    // Idle while the last batch commits: settle it now, so a failure (or a lost fence) is acted on at once.
                    var committed = await SettleAsync(committing, inFlight!, stoppingToken);
                    committing = null;
                    if (!committed && !await HoldsLockAsync(lockConnection, stoppingToken))
                    {
                        return;
                    }
                }
                if (!await next)
                {
                    break;
                }
                var batch = new List<Pending>(Math.Min(queue.Reader.Count, options.Value.BatchSizeMax));
                while (batch.Count < options.Value.BatchSizeMax && queue.Reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                }
                if (committing is not null && !CanOverlap(batch, inFlight!))
                {
                    await SettleAsync(committing, inFlight!, stoppingToken);
                    committing = null;
                }

                PreparedBatch prepared;
                try
                {
                    prepared = await PrepareAsync(batch, committing is null ? null : inFlight, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogBatchFailed(logger, ex, batch.Count);
                    Fail(batch);
                    if (committing is not null)
                    {
                        await SettleAsync(committing, inFlight!, stoppingToken);
                        committing = null;
                    }
                    await ResetAsync(stoppingToken);
                    if (!await HoldsLockAsync(lockConnection, stoppingToken))
                    {
                        return;
                    }
                    continue;
                }

                if (committing is not null)
                {
                    var committed = await SettleAsync(committing, inFlight!, stoppingToken);
                    committing = null;
                    if (!committed)
                    {
                        // Built on a batch that did not commit: its results are void (SettleAsync has reloaded).
                        Fail(batch);
                        if (!await HoldsLockAsync(lockConnection, stoppingToken))
                        {
                            return;
                        }
                        continue;
                    }
                }
                if (balanceCache.Count > options.Value.BalanceCacheMax)
                {
                    balanceCache.Clear(); // nothing is in flight here, so the committed rows are the whole truth
                }
                inFlight = prepared;
                // On the thread pool, so building the statements overlaps with preparing the next batch.
                committing = Task.Run(() => CommitAsync(prepared, stoppingToken), CancellationToken.None);
            }
        }
        finally
        {
            if (committing is not null)
            {
                await committing; // never throws: a failed commit has already answered its requests
            }
        }
    }

    /// <summary>
    /// After a failed batch: whether this process still holds the writer lock. If its session is gone, another replica
    /// may be writing already, so this one stops writing and waits for the lock again.
    /// </summary>
    private async Task<bool> HoldsLockAsync(NpgsqlConnection lockConnection, CancellationToken cancellationToken)
    {
        if (fenced)
        {
            LogLostLock(logger, "another writer took the fence");
            return false;
        }
        try
        {
            await lockConnection.ExecuteScalarAsync<int>(new CommandDefinition("select 1", commandTimeout: 5, cancellationToken: cancellationToken));
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            LogLostLock(logger, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Whether a batch may be prepared while <paramref name="inFlight"/> commits: only plain transfers, which read
    /// nothing an uncommitted batch changed except balances (cached), request ids and transfer ids (both checked
    /// against the batch in flight), and only when the batch in flight creates no asset.
    /// </summary>
    private static bool CanOverlap(List<Pending> batch, PreparedBatch inFlight) =>
        inFlight.Work.NewAssets.Count == 0 && batch.TrueForAll(p => p.Command is TransferCommand);

    /// <summary>Waits for a batch's commit; after a failure, drops what memory holds and reloads it.</summary>
    private async Task<bool> SettleAsync(Task<bool> committing, PreparedBatch inFlight, CancellationToken cancellationToken)
    {
        if (!await committing)
        {
            await ResetAsync(cancellationToken);
            return false;
        }
        foreach (var asset in inFlight.Work.NewAssets)
        {
            assets[asset.Code] = asset;
        }
        (committedSequence, committedHash) = (inFlight.Work.HeadSequence, inFlight.Work.HeadHash);
        return true;
    }

    private async Task LoadStateAsync(CancellationToken cancellationToken)
    {
        balanceCache.Clear();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var head = (await connection.QueryAsync<(long Sequence, byte[] Hash)>(new CommandDefinition(
            "select sequence, hash from journal order by sequence desc limit 1", cancellationToken: cancellationToken))).ToList();
        (headSequence, headHash) = head.Count == 1 ? (head[0].Sequence, head[0].Hash) : (0, JournalRecord.GenesisHash);
        (committedSequence, committedHash) = (headSequence, headHash);
        assets.Clear();
        foreach (var asset in await connection.QueryAsync<AssetRow>(new CommandDefinition(
                     $"select {LedgerReads.AssetColumns} from assets",
                     cancellationToken: cancellationToken)))
        {
            assets[asset.Code] = asset;
        }
    }

    /// <summary>Creates POV from the genesis allocations once: the request id is fixed, so a second start replays it.</summary>
    private async Task ApplyGenesisAsync(CancellationToken cancellationToken)
    {
        var genesis = options.Value.Genesis;
        if (genesis is null || genesis.Allocations.Count == 0 || assets.ContainsKey(genesis.Code))
        {
            return;
        }
        var allocations = genesis.Allocations.Select(a => new Allocation(a.Account, a.Amount)).ToList();
        var total = allocations.Aggregate(0L, (sum, a) => checked(sum + a.Amount));
        var command = new CreateAssetCommand(Genesis.RequestId, [], genesis.Code, genesis.Name, genesis.Decimals, total, allocations);
        var pending = new Pending(command, new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
        var prepared = await PrepareAsync([pending], null, cancellationToken);
        await SettleAsync(CommitAsync(prepared, cancellationToken), prepared, cancellationToken);
        var result = await pending.Completion.Task; // a broken genesis file stops the start here, loudly
        LogGenesis(logger, genesis.Code, total, ((CreateAssetResponse)result).Receipt.Sequence);
    }

    /// <summary>
    /// Reads what the batch needs that memory does not hold (stored request ids, transfer ids, holds, locks, offers,
    /// uncached balances) and applies its commands in arrival order. <paramref name="inFlight"/> is the batch still
    /// committing, whose request ids and transfer ids the database cannot show yet.
    /// </summary>
    private async Task<PreparedBatch> PrepareAsync(List<Pending> batch, PreparedBatch? inFlight, CancellationToken cancellationToken)
    {
        // Microseconds: what PostgreSQL keeps, so a receipt read back equals the one returned, and the hashed value survives.
        var now = time.GetUtcNow();
        var committedAt = now.AddTicks(-(now.UtcTicks % 10));
        var results = new Dictionary<Pending, object>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        var ids = batch.Select(p => p.Command.RequestId).Distinct().ToArray();
        var legIds = batch.Select(p => p.Command).OfType<TransferCommand>().SelectMany(c => c.Legs).Select(l => l.TransferId).Distinct().ToArray();
        // One round trip for both lookups. Joining the id list (not "= any") makes an index probe per id the plan
        // whatever the statistics say: on tables not yet analyzed, "= any" was planned as scans costing milliseconds.
        Dictionary<string, (string RequestId, string Operation, byte[] ContentHash, byte[] Response)> stored;
        Dictionary<string, (TransferRow Row, byte[] Hash)> existingTransfers;
        await using (var lookups = await connection.QueryMultipleAsync(new CommandDefinition(
            """
            select r.request_id, r.operation, r.content_hash, r.response from unnest(@ids) as k(id) join requests r on r.request_id = k.id;
            select t.transfer_id, t.kind, t.from_account, t.to_account, t.asset, t.amount, t.memo, t.reference_id, t.sequence, t.committed_at, j.hash
            from unnest(@legIds) as k(id) join transfers t on t.transfer_id = k.id join journal j on j.sequence = t.sequence;
            """, new { ids, legIds }, cancellationToken: cancellationToken)))
        {
            stored = (await lookups.ReadAsync<(string RequestId, string Operation, byte[] ContentHash, byte[] Response)>())
                .ToDictionary(r => r.RequestId, StringComparer.Ordinal);
            existingTransfers = (await lookups.ReadAsync<(string TransferId, short Kind, string From, string To, string Asset, long Amount,
                    string Memo, string ReferenceId, long Sequence, DateTime CommittedAt, byte[] Hash)>())
                .ToDictionary(r => r.TransferId, r => (Row: new TransferRow(r.TransferId, r.Kind, r.From, r.To, r.Asset, r.Amount, r.Memo, r.ReferenceId,
                    r.Sequence, r.CommittedAt), r.Hash), StringComparer.Ordinal);
        }
        if (inFlight is not null)
        {
            // Its requests answer a repeat exactly as if committed; if it fails, this batch fails with it.
            var wanted = ids.ToHashSet(StringComparer.Ordinal);
            foreach (var request in inFlight.Work.Requests.Where(r => wanted.Contains(r.RequestId)))
            {
                stored[request.RequestId] = (request.RequestId, request.Operation, request.ContentHash, request.Response);
            }
        }

        var (holds, locks, offers) = await LoadHoldsAndLocksAsync(connection, batch, cancellationToken);
        var work = new BatchWork(headSequence, headHash, await LoadBalancesAsync(connection, batch, holds, locks, offers, cancellationToken))
        {
            KnownAsset = code => assets.ContainsKey(code),
        };
        if (inFlight is not null)
        {
            // Transfer ids still committing are taken, as they would be within one batch (and replayed to an identical leg).
            foreach (var legId in legIds)
            {
                if (inFlight.Work.NewTransfers.TryGetValue(legId, out var committing))
                {
                    work.NewTransfers[legId] = committing;
                }
            }
        }
        foreach (var hold in holds)
        {
            work.Holds[hold.HoldId] = hold;
        }
        foreach (var held in locks)
        {
            work.Locks[held.LockId] = held;
        }
        foreach (var offer in offers)
        {
            work.Offers[offer.OfferId] = offer;
        }

        var seen = new Dictionary<string, (LedgerCommand Command, Pending First)>(StringComparer.Ordinal);
        foreach (var pending in batch)
        {
            var command = pending.Command;
            if (stored.TryGetValue(command.RequestId, out var previous))
            {
                results[pending] = SameRequest(command, previous.Operation, previous.ContentHash)
                    ? Parse(previous.Operation, previous.Response)
                    : ReusedId(command);
                continue;
            }
            if (seen.TryGetValue(command.RequestId, out var earlier))
            {
                // The same request twice in one batch: the second gets the first one's result.
                results[pending] = SameRequest(command, earlier.Command.Operation, earlier.Command.ContentHash)
                    ? results[earlier.First]
                    : ReusedId(command);
                continue;
            }
            seen[command.RequestId] = (command, pending);
            try
            {
                var response = command switch
                {
                    CreateAssetCommand create => ApplyCreateAsset(create, work, committedAt),
                    TransferCommand transfer => ApplyTransfer(transfer, work, committedAt, existingTransfers),
                    CreateHoldCommand hold => ApplyCreateHold(hold, work, committedAt),
                    PostHoldCommand post => ApplyPostHold(post, work, committedAt),
                    VoidHoldCommand cancel => ApplyVoidHold(cancel, work, committedAt),
                    LockCommand freeze => ApplyLock(freeze, work, committedAt),
                    UnlockCommand unfreeze => ApplyUnlock(unfreeze, work, committedAt),
                    SweepCommand sweep => ApplySweep(sweep, work, committedAt),
                    CreateSwapOfferCommand offer => ApplyCreateSwapOffer(offer, work, committedAt),
                    AcceptSwapOfferCommand accept => ApplyAcceptSwapOffer(accept, work, committedAt),
                    CancelSwapOfferCommand cancelOffer => ApplyCancelSwapOffer(cancelOffer, work, committedAt),
                    _ => throw new InvalidOperationException($"unknown command {command.GetType().Name}"),
                };
                if (command is not SweepCommand)
                {
                    work.Requests.Add(new StagedRequest(command.RequestId, command.Operation, command.ContentHash, response.ToByteArray(), work.HeadSequence));
                }
                results[pending] = response;
            }
            catch (DomainException rule)
            {
                results[pending] = rule;
            }
        }

        // Last, with nothing left to fail: the next batch starts from this one's state.
        foreach (var key in work.Touched)
        {
            balanceCache[key] = work.Balances[key];
        }
        headSequence = work.HeadSequence;
        headHash = work.HeadHash;
        return new PreparedBatch(batch, work, results);
    }

    /// <summary>Writes and commits a prepared batch, then answers each request; on failure answers all of them Unavailable.</summary>
    private async Task<bool> CommitAsync(PreparedBatch prepared, CancellationToken cancellationToken)
    {
        var startedAt = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (!await LedgerBatchSql.WriteAndCommitAsync(connection, transaction, prepared.Work, writerEpoch, cancellationToken))
            {
                fenced = true;
                await transaction.RollbackAsync(cancellationToken);
                throw new InvalidOperationException($"another ledger writer has taken over (this writer's epoch {writerEpoch} is stale)");
            }
            metrics.BatchCommitted(prepared.Batch.Count, prepared.Work.Transfers.Count, startedAt);
        }
        catch (Exception ex)
        {
            // Nothing of this batch is committed (or we cannot tell): every request in it may be retried with its id.
            if (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogBatchFailed(logger, ex, prepared.Batch.Count);
            }
            Fail(prepared.Batch);
            return false;
        }

        foreach (var pending in prepared.Batch)
        {
            if (prepared.Results[pending] is IMessage message)
            {
                pending.Completion.TrySetResult(message);
            }
            else
            {
                pending.Completion.TrySetException((Exception)prepared.Results[pending]);
            }
        }
        return true;
    }

    private static void Fail(List<Pending> batch)
    {
        foreach (var pending in batch)
        {
            pending.Completion.TrySetException(new DomainException(DomainErrorKind.Unavailable,
                "the ledger could not commit this request; retry it with the same request_id"));
        }
    }

    /// <summary>After a failure: forget the cached balances and the uncommitted head, and reload both from committed rows.</summary>
    private async Task ResetAsync(CancellationToken cancellationToken)
    {
        balanceCache.Clear();
        (headSequence, headHash) = (committedSequence, committedHash);
        try
        {
            await LoadStateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // The database is gone: go on from the last committed head; the next batch fails the same way until it
            // returns, and a commit never happens on a stale head because the journal's primary key refuses a reused sequence.
            LogReloadFailed(logger, ex.Message);
        }
    }

    /// <summary>
    /// The holds, locks and offers the batch's commands name (all of them), and for a sweep up to
    /// <see cref="SweepBatchMax"/> of each whose time has come; rows locked for the batch.
    /// </summary>
    private static async Task<(List<HoldRow> Holds, List<LockRow> Locks, List<OfferRow> Offers)> LoadHoldsAndLocksAsync(
        NpgsqlConnection connection, List<Pending> batch, CancellationToken cancellationToken)
    {
        var commands = batch.Select(p => p.Command).ToList();
        var holdIds = commands.Select(c => c switch { PostHoldCommand p => p.HoldId, VoidHoldCommand v => v.HoldId, _ => null })
            .OfType<string>().Distinct().ToArray();
        var lockIds = commands.OfType<UnlockCommand>().Select(u => u.LockId).Distinct().ToArray();
        var offerIds = commands.Select(c => c switch { AcceptSwapOfferCommand a => a.OfferId, CancelSwapOfferCommand x => x.OfferId, _ => null })
            .OfType<string>().Distinct().ToArray();
        var sweepAt = commands.OfType<SweepCommand>().Select(s => (DateTime?)s.Now.UtcDateTime).Max();

        // Named rows and sweep candidates are separate queries, so a long list of overdue rows never hides a named one.
        async Task<List<T>> RowsAsync<T>(string[] ids, string columns, string from, string alias, string idColumn, string dueCondition)
        {
            var rows = new List<T>();
            if (ids.Length > 0)
            {
                rows.AddRange(await connection.QueryAsync<T>(new CommandDefinition(
                    $"select {columns} from {from} where {alias}.{idColumn} = any(@ids) order by {alias}.{idColumn}",
                    new { ids }, cancellationToken: cancellationToken)));
            }
            if (sweepAt is not null)
            {
                rows.AddRange(await connection.QueryAsync<T>(new CommandDefinition(
                    $"""
                    select {columns} from {from}
                    where {dueCondition} and not ({alias}.{idColumn} = any(@ids))
                    order by {alias}.{idColumn} limit {SweepBatchMax}
                    """, new { ids, sweepAt }, cancellationToken: cancellationToken)));
            }
            return rows;
        }

        // Each lookup only when a command of the batch needs it: most batches are plain transfers.
        var holds = await RowsAsync<HoldRow>(holdIds, LedgerReads.HoldColumns, LedgerReads.HoldFrom, "h", "hold_id", "h.status = 1 and h.expires_at <= @sweepAt");
        var locks = await RowsAsync<LockRow>(lockIds, LedgerReads.LockColumns, LedgerReads.LockFrom, "l", "lock_id", "l.status = 1 and l.until <= @sweepAt");
        var offers = await RowsAsync<OfferRow>(offerIds, LedgerReads.OfferColumns, LedgerReads.OfferFrom, "o", "offer_id",
            "o.status = 1 and o.expires_at <= @sweepAt");
        return (holds, locks, offers);
    }

    private async Task<Dictionary<(string Account, string Asset), BalanceRow>> LoadBalancesAsync(
        NpgsqlConnection connection, List<Pending> batch, List<HoldRow> holds, List<LockRow> locks,
        List<OfferRow> offers, CancellationToken cancellationToken)
    {
        var keys = new HashSet<(string Account, string Asset)>();
        foreach (var offer in offers)
        {
            keys.Add((offer.MakerAccount, offer.GiveAsset));
            keys.Add((offer.MakerAccount, offer.WantAsset));
        }
        foreach (var hold in holds)
        {
            keys.Add((hold.FromAccount, hold.Asset));
            keys.Add((hold.ToAccount, hold.Asset));
        }
        foreach (var held in locks)
        {
            keys.Add((held.Account, held.Asset));
        }
        var offerAssets = offers.ToDictionary(o => o.OfferId, o => (o.GiveAsset, o.WantAsset), StringComparer.Ordinal);
        foreach (var create in batch.Select(p => p.Command).OfType<CreateSwapOfferCommand>())
        {
            offerAssets.TryAdd(create.RequestId, (create.GiveAsset, create.WantAsset));
        }
        foreach (var accept in batch.Select(p => p.Command).OfType<AcceptSwapOfferCommand>())
        {
            if (offerAssets.TryGetValue(accept.OfferId, out var pair))
            {
                keys.Add((accept.Taker, pair.GiveAsset));
                keys.Add((accept.Taker, pair.WantAsset));
            }
        }
        foreach (var command in batch.Select(p => p.Command))
        {
            switch (command)
            {
                case TransferCommand transfer:
                    foreach (var leg in transfer.Legs)
                    {
                        keys.Add((leg.From, leg.Asset));
                        keys.Add((leg.To, leg.Asset));
                    }
                    break;
                case CreateHoldCommand hold:
                    keys.Add((hold.From, hold.Asset));
                    keys.Add((hold.To, hold.Asset)); // a post of this hold may follow in the same batch
                    break;
                case LockCommand freeze:
                    keys.Add((freeze.Account, freeze.Asset));
                    break;
                case CreateSwapOfferCommand offer:
                    keys.Add((offer.Maker, offer.GiveAsset));
                    keys.Add((offer.Maker, offer.WantAsset));
                    break;
                case CreateAssetCommand create:
                    keys.Add((LedgerRules.IssuanceAccount(create.Code), create.Code));
                    foreach (var allocation in create.Allocations)
                    {
                        keys.Add((allocation.Account, create.Code));
                    }
                    break;
            }
        }
        var balances = new Dictionary<(string Account, string Asset), BalanceRow>(keys.Count);
        var missing = new List<(string Account, string Asset)>();
        foreach (var key in keys)
        {
            if (balanceCache.TryGetValue(key, out var cached))
            {
                balances[key] = cached;
            }
            else
            {
                missing.Add(key);
            }
        }
        if (missing.Count == 0)
        {
            return balances;
        }
        var rows = await connection.QueryAsync<(string Account, string Asset, long Total, long Held, long Locked)>(new CommandDefinition(
            """
            select b.account, b.asset, b.total, b.held, b.locked
            from balances b
            join unnest(@accounts, @assetCodes) as k(account, asset) on b.account = k.account and b.asset = k.asset
            """,
            new { accounts = missing.Select(k => k.Account).ToArray(), assetCodes = missing.Select(k => k.Asset).ToArray() },
            cancellationToken: cancellationToken));
        foreach (var row in rows)
        {
            balances[(row.Account, row.Asset)] = balanceCache[(row.Account, row.Asset)] = new BalanceRow(row.Total, row.Held, row.Locked);
        }
        // Keys asked for but without a row are accounts that hold nothing yet: zero, and known to be zero.
        foreach (var key in missing.Where(k => !balances.ContainsKey(k)))
        {
            balances[key] = balanceCache[key] = new BalanceRow(0, 0, 0);
        }
        return balances;
    }

    private IMessage ApplyCreateAsset(CreateAssetCommand command, BatchWork work, DateTimeOffset committedAt)
    {
        if (assets.ContainsKey(command.Code) || work.NewAssets.Any(a => a.Code == command.Code))
        {
            throw DomainException.AlreadyExists($"code: asset {command.Code} already exists");
        }
        var issuance = LedgerRules.IssuanceAccount(command.Code);
        var changed = new Dictionary<(string Account, string Asset), BalanceRow>
        {
            [(issuance, command.Code)] = new(checked(-command.TotalSupply), 0, 0),
        };
        var postings = new List<PostingRecord> { new(issuance, command.Code, Bucket.Available, -command.TotalSupply) };
        var sequence = work.HeadSequence + 1;
        var transfers = new List<TransferRow>();
        for (var i = 0; i < command.Allocations.Count; i++)
        {
            var allocation = command.Allocations[i];
            var key = (allocation.Account, command.Code);
            var before = changed.TryGetValue(key, out var row) ? row : new BalanceRow(0, 0, 0);
            changed[key] = before with { Total = checked(before.Total + allocation.Amount) };
            postings.Add(new PostingRecord(allocation.Account, command.Code, Bucket.Available, allocation.Amount));
            transfers.Add(new TransferRow($"{command.RequestId}/{i}", (short)TransferKind.Issuance, issuance, allocation.Account,
                command.Code, allocation.Amount, "", command.Code, sequence, committedAt.UtcDateTime));
        }
        var entry = new JournalRecord(sequence, EntryKind.AssetCreated, command.Code, command.Name, ToMicros(committedAt), postings);
        var staged = work.Commit(entry, committedAt, changed);
        work.Transfers.AddRange(transfers);
        var asset = new AssetRow(command.Code, command.Name, command.Decimals, command.TotalSupply,
            command.Allocations.Count == 1 ? command.Allocations[0].Account : "", sequence, committedAt.UtcDateTime);
        work.NewAssets.Add(asset);
        return new CreateAssetResponse { Asset = Api.LedgerMapping.ToProto(asset), Receipt = Receipt(staged) };
    }

    /// <summary>
    /// Applies a Transfer or TransferBatch. A batch leg whose transfer id was committed before with the same content is not
    /// applied again: the original record comes back in its place, so a payer that resumes after a crash (with a new batch
    /// made of the same derived leg ids) never pays twice. The same id with other content fails the batch.
    /// </summary>
    private static IMessage ApplyTransfer(
        TransferCommand command, BatchWork work, DateTimeOffset committedAt, IReadOnlyDictionary<string, (TransferRow Row, byte[] Hash)> existing)
    {
        var changed = new Dictionary<(string Account, string Asset), BalanceRow>();
        var postings = new List<PostingRecord>(command.Legs.Count * 2);
        var applied = new List<LegInput>(command.Legs.Count);
        var earlier = new Dictionary<string, Contracts.Ledger.V1.Transfer>(StringComparer.Ordinal);
        for (var i = 0; i < command.Legs.Count; i++)
        {
            var leg = command.Legs[i];
            var field = command.IsBatch ? $"legs[{i}]." : "";
            if (!work.KnownAsset(leg.Asset))
            {
                throw DomainException.InvalidArgument($"{field}asset", $"unknown asset {leg.Asset}");
            }
            // Committed before, or staged earlier in this batch or the one committing before it: the same leg is replayed.
            if (existing.TryGetValue(leg.TransferId, out var original) || work.NewTransfers.TryGetValue(leg.TransferId, out original))
            {
                var row = original.Row;
                if (command.IsBatch && row.Kind == (short)TransferKind.Transfer && row.From == leg.From && row.To == leg.To && row.Asset == leg.Asset
                    && row.Amount == leg.Amount && row.Memo == leg.Memo)
                {
                    earlier[leg.TransferId] = Api.LedgerMapping.ToProto(row, Api.LedgerMapping.Receipt(row.Sequence, original.Hash, row.CommittedAt));
                    continue;
                }
                throw DomainException.AlreadyExists(
                    $"{(command.IsBatch ? field + "transfer_id" : "request_id")}: transfer {leg.TransferId} already exists with other content");
            }
            applied.Add(leg);
            var source = changed.TryGetValue((leg.From, leg.Asset), out var s) ? s : work.BalanceOf(leg.From, leg.Asset);
            if (source.Available < leg.Amount)
            {
                throw DomainException.FailedPrecondition(
                    $"{field}amount: insufficient available balance in {leg.From}: {source.Available} {leg.Asset} base units available, {leg.Amount} needed");
            }
            var target = changed.TryGetValue((leg.To, leg.Asset), out var t) ? t : work.BalanceOf(leg.To, leg.Asset);
            long targetTotal;
            try
            {
                targetTotal = checked(target.Total + leg.Amount);
            }
            catch (OverflowException)
            {
                throw DomainException.InvalidArgument($"{field}amount", $"would overflow the balance of {leg.To}");
            }
            changed[(leg.From, leg.Asset)] = source with { Total = source.Total - leg.Amount };
            changed[(leg.To, leg.Asset)] = target with { Total = targetTotal };
            postings.Add(new PostingRecord(leg.From, leg.Asset, Bucket.Available, -leg.Amount));
            postings.Add(new PostingRecord(leg.To, leg.Asset, Bucket.Available, leg.Amount));
        }

        if (applied.Count == 0)
        {
            // Every leg was committed before: nothing new to record, the original records answer.
            var replay = new TransferBatchResponse();
            replay.Transfers.AddRange(command.Legs.Select(leg => earlier[leg.TransferId]));
            return replay;
        }
        var sequence = work.HeadSequence + 1;
        var memo = command.IsBatch ? "" : command.Legs[0].Memo;
        var entry = new JournalRecord(sequence, EntryKind.Transfer, command.RequestId, memo, ToMicros(committedAt), postings);
        var staged = work.Commit(entry, committedAt, changed);
        var receipt = Receipt(staged);
        var transfers = applied.Select(leg => new TransferRow(leg.TransferId, (short)TransferKind.Transfer, leg.From, leg.To, leg.Asset,
            leg.Amount, leg.Memo, command.IsBatch ? command.RequestId : "", sequence, committedAt.UtcDateTime)).ToList();
        work.Transfers.AddRange(transfers);
        foreach (var row in transfers)
        {
            work.NewTransfers[row.TransferId] = (row, staged.Hash);
        }
        if (!command.IsBatch)
        {
            return new TransferResponse { Transfer = Api.LedgerMapping.ToProto(transfers[0], receipt) };
        }
        var fresh = transfers.ToDictionary(row => row.TransferId, row => Api.LedgerMapping.ToProto(row, receipt), StringComparer.Ordinal);
        var response = new TransferBatchResponse { Receipt = receipt };
        response.Transfers.AddRange(command.Legs.Select(leg => fresh.TryGetValue(leg.TransferId, out var made) ? made : earlier[leg.TransferId]));
        return response;
    }

    private static bool SameRequest(LedgerCommand command, string operation, byte[] contentHash) =>
        command.Operation == operation && command.ContentHash.AsSpan().SequenceEqual(contentHash);

    private static DomainException ReusedId(LedgerCommand command) =>
        DomainException.AlreadyExists($"request_id: {command.RequestId} was already used for a different request");

    private static IMessage Parse(string operation, byte[] response) => operation switch
    {
        "CreateAsset" => CreateAssetResponse.Parser.ParseFrom(response),
        "Transfer" => TransferResponse.Parser.ParseFrom(response),
        "TransferBatch" => TransferBatchResponse.Parser.ParseFrom(response),
        "CreateHold" => CreateHoldResponse.Parser.ParseFrom(response),
        "PostHold" => PostHoldResponse.Parser.ParseFrom(response),
        "VoidHold" => VoidHoldResponse.Parser.ParseFrom(response),
        "Lock" => LockResponse.Parser.ParseFrom(response),
        "Unlock" => UnlockResponse.Parser.ParseFrom(response),
        "CreateSwapOffer" => CreateSwapOfferResponse.Parser.ParseFrom(response),
        "AcceptSwapOffer" => AcceptSwapOfferResponse.Parser.ParseFrom(response),
        "CancelSwapOffer" => CancelSwapOfferResponse.Parser.ParseFrom(response),
        _ => throw new InvalidOperationException($"unknown stored operation {operation}"),
    };

    private static Receipt Receipt(StagedEntry staged) => new()
    {
        Sequence = staged.Entry.Sequence,
        Hash = Convert.ToHexStringLower(staged.Hash),
        CommittedAt = Timestamp.FromDateTimeOffset(staged.CommittedAt),
    };

    /// <summary>Microsecond precision: what PostgreSQL stores, so the hashed value survives the round trip.</summary>
    public static long ToMicros(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the ledger writer lock (another replica may hold it)")]
    private static partial void LogWaitingForLock(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ledger writer active at journal sequence {Sequence}")]
    private static partial void LogWriting(ILogger logger, long sequence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Genesis: created {Code} with {Total} base units at sequence {Sequence}")]
    private static partial void LogGenesis(ILogger logger, string code, long total, long sequence);

    [LoggerMessage(Level = LogLevel.Error, Message = "A ledger batch of {Count} requests failed; none of it is committed")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The ledger writer lost its lock session ({Reason}); it stops writing and waits for the lock again")]
    private static partial void LogLostLock(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The ledger writer cannot reach its database ({Reason}); retrying")]
    private static partial void LogDatabaseUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the ledger head failed: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);
}
