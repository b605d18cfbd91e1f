using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Contracts.Events;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.ServiceDefaults.Errors;
using Perspective.ServiceDefaults.Messaging;
using Perspective.ServiceDefaults.Telemetry;
using Perspective.UsageGateway.Api;
using Perspective.UsageGateway.Data;
using Perspective.UsageGateway.Domain;

namespace Perspective.UsageGateway.Payments;

/// <summary>What the batch did with one charge.</summary>
public enum BatchVerdict
{
    /// <summary>Paid in the batch: the response is final.</summary>
    Paid,

    /// <summary>
    /// Not finished by the batch in the common way: the request id was stored before (a retry or a concurrent copy), the
    /// Ledger refused this charge's leg (its payer short), or its row changed while the batch was at the Ledger. The
    /// caller finishes it one by one from the stored row (<see cref="ChargeService"/>), which is what a retry would do.
    /// </summary>
    Resume,
}

/// <summary>
/// The verdict; for Paid the response. <paramref name="Moved"/> says the charge's money moved in the batch (with
/// <paramref name="Transfer"/>, none for a free model) although its row could not be marked paid: the one-by-one path
/// must record it even if the row is gone.
/// </summary>
public sealed record BatchResult(BatchVerdict Verdict, ChargeUsageResponse? Response = null, bool Moved = false, Contracts.Ledger.V1.Transfer? Transfer = null);

/// <summary>
/// Group commit for ChargeUsage, as the Ledger's writer does for transfers: charges queue up, and each of a few writers
/// takes what has queued and pays it as one batch in three steps, each one round trip or one transaction:
/// (1) insert the pending payments and reserve their amounts on the allowances (one fsync for the batch);
/// (2) one Ledger TransferBatch, each leg with the transfer id derived from its request (a retry replays, never pays twice);
/// (3) mark them paid, turn the reservations into spending and write their UsagePaid events.
/// Step 3 of a batch is done in the transaction of step 1 of the next one when charges have queued meanwhile (under load
/// they have), so a batch costs one gateway transaction, not two, and the next batch starts a step earlier; with nothing
/// queued it is a transaction of its own at once. A crash between the steps leaves pending payments, which a retry or the
/// recovery pass finishes one by one exactly as before. Under light load a batch holds one charge and nothing waits;
/// under heavy load batches grow and the cost per charge falls.
/// </summary>
public sealed partial class ChargeBatcher(
    GatewayStore store,
    LedgerService.LedgerServiceClient ledger,
    IOutbox outbox,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics,
    ILogger<ChargeBatcher> logger) : BackgroundService
{
    private const int LedgerLegsMax = 1_000;

    // Spans of a batch: the parent is the first charge's trace (so a lone charge, the usual case under light load, is one
    // trace from the provider's call to the Ledger's commit); the other charges of the batch are links.
    private static readonly ActivitySource Tracing = new(PerspectiveTelemetry.SourceName(UsageGatewayHost.Service));

    private sealed class QueuedCharge(PaymentRecord payment, CancellationToken caller)
    {
        /// <summary>The pending payment; its creation time is set when the batch reserves it (the recovery pass measures from it).</summary>
        public PaymentRecord Payment { get; set; } = payment;
        /// <summary>The allowance as the batch's reservations left it (this charge's among them); its response is computed from it.</summary>
        public AllowanceRecord? Allowance { get; set; }
        public CancellationToken Caller { get; } = caller;
        public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;
        public TaskCompletionSource<BatchResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Channel<QueuedCharge> queue = Channel.CreateBounded<QueuedCharge>(new BoundedChannelOptions(Math.Max(1, options.Value.ChargeQueueCapacity))
    {
        FullMode = BoundedChannelFullMode.Wait,
    });

    // Cancelled only when the host's shutdown timeout runs out: until then a stopping gateway finishes what it queued.
    private readonly CancellationTokenSource abort = new();

    /// <summary>Queues a validated pending charge; completes with the batch's verdict or throws the refusal.</summary>
    public Task<BatchResult> SubmitAsync(PaymentRecord payment, CancellationToken cancellationToken)
    {
        var item = new QueuedCharge(payment, cancellationToken);
        if (!queue.Writer.TryWrite(item))
        {
            // Full (the database or the Ledger is slow) or stopping: refused before anything was stored.
            throw new DomainException(DomainErrorKind.Unavailable, "the gateway is overloaded or stopping: nothing was charged; retry with the same request id");
        }
        // A caller gone before its batch starts is dropped unpaid; once the batch has reserved it, the charge is finished
        // even if the caller stopped waiting, and a retry gets its receipt.
        return item.Done.Task.WaitAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.WatchQueue(() => queue.Reader.Count);
        return Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.Value.ChargeWriters)).Select(_ => Task.Run(() => RunWriterAsync(abort.Token), CancellationToken.None)));
    }

    /// <summary>Stops taking charges, lets the writers pay what is queued and in flight, and cuts them off only at the host's shutdown timeout.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        await using (cancellationToken.Register(abort.Cancel))
        {
            await base.StopAsync(cancellationToken);
        }
        while (queue.Reader.TryRead(out var left))
        {
            left.Done.TrySetException(new DomainException(DomainErrorKind.Unavailable, "the gateway is stopping: nothing was charged; retry with the same request id"));
        }
    }

    public override void Dispose()
    {
        abort.Dispose();
        base.Dispose();
    }

    /// <summary>A batch whose money moved and that is not marked paid yet (step 3 still to do), with its trace span.</summary>
    private sealed record Unmarked(List<(QueuedCharge Charge, Contracts.Ledger.V1.Transfer? Transfer)> Moved, Activity? Activity);

    private async Task RunWriterAsync(CancellationToken stoppingToken)
    {
        var max = Math.Clamp(options.Value.ChargeBatchMax, 1, LedgerLegsMax);
        var batch = new List<QueuedCharge>(max);
        Unmarked? unmarked = null;
        try
        {
            // With a batch still to mark the writer does not wait: what queued meanwhile is reserved in the transaction that
            // marks it, and if nothing did, it is marked alone at once.
            while (unmarked is not null || await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < max && queue.Reader.TryRead(out var item))
                {
                    if (item.Caller.IsCancellationRequested)
                    {
                        item.Done.TrySetCanceled(item.Caller);
                        continue;
                    }
                    batch.Add(item);
                }
                if (batch.Count == 0)
                {
                    if (unmarked is not null)
                    {
                        await MarkAloneAsync(unmarked, stoppingToken);
                        unmarked = null;
                    }
                    continue;
                }
                metrics.Batch(batch.Count);
                unmarked = await PayAsync(batch, unmarked, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (unmarked is not null)
            {
                // Cut off at the shutdown timeout with its money moved: pending rows, finished by a retry or the recovery pass.
                Fail(unmarked.Moved.Select(m => m.Charge), "the charge could not be completed now; retry with the same request id");
                End(unmarked.Activity);
            }
        }
    }

    /// <summary>
    /// Steps 1 and 2 of a batch (step 1 also marking <paramref name="previous"/> paid, which it always finishes one way or
    /// another). Returns the batch still to mark, or null when nothing of it moved. Failures answer its charges UNAVAILABLE.
    /// </summary>
    private async Task<Unmarked?> PayAsync(List<QueuedCharge> batch, Unmarked? previous, CancellationToken cancellationToken)
    {
        // Copies of one request in the same batch: the first is paid, the others answer as it did.
        var leaders = new List<QueuedCharge>(batch.Count);
        var byRequest = new Dictionary<Guid, QueuedCharge>(batch.Count);
        foreach (var item in batch)
        {
            if (byRequest.TryGetValue(item.Payment.RequestId, out var leader))
            {
                _ = AnswerLikeAsync(item, leader);
            }
            else
            {
                byRequest[item.Payment.RequestId] = item;
                leaders.Add(item);
            }
        }
        var links = batch.Skip(1).Where(c => c.Trace != default).Select(c => new ActivityLink(c.Trace)).ToList();
        var activity = Tracing.StartActivity("ChargeUsage batch", ActivityKind.Internal, batch[0].Trace,
            tags: [new("gateway.charge.batch.size", batch.Count)], links: links);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var reserved = await ReserveAsync(leaders, previous, cancellationToken);
            started = metrics.Step("reserve", started);
            var transferred = await TransferAsync(reserved, cancellationToken);
            metrics.Step("ledger", started);
            if (transferred.Count > 0)
            {
                return new Unmarked(transferred, activity);
            }
        }
        catch (Exception ex)
        {
            // Whatever was not committed is either absent (step 1) or pending (step 2): a retry with the same request id, or
            // the recovery pass, finishes it exactly once.
            LogBatchFailed(logger, batch.Count, ex.Message);
            Fail(leaders, "the charge could not be completed now; retry with the same request id");
        }
        End(activity);
        return null;
    }

    /// <summary>Step 3 alone: marks a batch paid in a transaction of its own; a failure answers its charges UNAVAILABLE.</summary>
    private async Task MarkAloneAsync(Unmarked unmarked, CancellationToken cancellationToken)
    {
        var current = Activity.Current;
        Activity.Current = unmarked.Activity;
        try
        {
            var started = Stopwatch.GetTimestamp();
            await MarkPaidAsync(unmarked.Moved, cancellationToken);
            metrics.Step("mark_paid", started);
        }
        catch (Exception ex)
        {
            // Paid at the Ledger, still pending here: a retry with the same request id, or the recovery pass, finishes it.
            LogBatchFailed(logger, unmarked.Moved.Count, ex.Message);
            Fail(unmarked.Moved.Select(m => m.Charge), "the charge could not be completed now; retry with the same request id");
        }
        finally
        {
            Activity.Current = current;
            End(unmarked.Activity);
        }
    }

    private static void Fail(IEnumerable<QueuedCharge> charges, string message)
    {
        var failure = new DomainException(DomainErrorKind.Unavailable, message);
        foreach (var charge in charges)
        {
            charge.Done.TrySetException(failure);
        }
    }

    /// <summary>Ends a batch's span without touching the current activity of the writer's flow.</summary>
    private static void End(Activity? activity)
    {
        var current = Activity.Current;
        activity?.Dispose();
        Activity.Current = current == activity ? null : current;
    }

    private static async Task AnswerLikeAsync(QueuedCharge copy, QueuedCharge leader)
    {
        if (!copy.Payment.ContentHash.AsSpan().SequenceEqual(leader.Payment.ContentHash))
        {
            // Another request under the same id: let the one-by-one path compare it with what was stored.
            await leader.Done.Task.ContinueWith(_ => copy.Done.TrySetResult(new BatchResult(BatchVerdict.Resume)), TaskScheduler.Default);
            return;
        }
        try
        {
            // Only a paid answer is shared; anything else is resumed from the stored row by the copy itself.
            var result = await leader.Done.Task;
            copy.Done.TrySetResult(result.Verdict == BatchVerdict.Paid ? result : new BatchResult(BatchVerdict.Resume));
        }
        catch (Exception ex)
        {
            copy.Done.TrySetException(ex);
        }
    }

    /// <summary>
    /// Step 1: pending payments and reservations in one transaction, which also marks <paramref name="previous"/> paid (its
    /// step 3). If that transaction fails, it is undone whole, the previous batch is marked alone and this one reserved
    /// alone, so one batch's trouble is not the other's. Returns the charges reserved.
    /// </summary>
    private async Task<List<QueuedCharge>> ReserveAsync(List<QueuedCharge> charges, Unmarked? previous, CancellationToken cancellationToken)
    {
        if (previous is null)
        {
            return await ReserveAndMarkAsync(charges, null, cancellationToken);
        }
        try
        {
            var reserved = await ReserveAndMarkAsync(charges, previous, cancellationToken);
            End(previous.Activity);
            return reserved;
        }
        catch (Exception ex)
        {
            if (ex is not RowsChangedException)
            {
                LogCombinedFailed(logger, ex.Message);
            }
            await MarkAloneAsync(previous, cancellationToken);
        }
        return await ReserveAndMarkAsync(charges, null, cancellationToken);
    }

    private async Task<List<QueuedCharge>> ReserveAndMarkAsync(List<QueuedCharge> charges, Unmarked? previous, CancellationToken cancellationToken)
    {
        var now = GatewayRules.Now(time);
        foreach (var charge in charges)
        {
            // Stamped now, not when it was queued: the recovery pass resumes a pending payment only once it is older than
            // Gateway:ResumeAfterMs, and a charge must not look stuck while its batch still holds it.
            charge.Payment = charge.Payment with { CreatedAt = now.UtcDateTime };
        }
        var marking = previous is null ? null : Candidates(previous.Moved, now);
        var (inserted, reserved, refused) = await RetryingDeadlocksAsync(() => store.InCommittingTransactionAsync(async committing =>
        {
            var transaction = committing.Transaction;
            var keys = charges.Select(Key).Concat(marking?.Select(m => Key(m.Charge)) ?? []).Distinct().ToList();
            var (marked, inserted, allowances) = await store.InsertPaymentsAndLockAllowancesAsync(transaction,
                [.. charges.Select(c => c.Payment).OrderBy(p => p.RequestId)], keys, marking?.Select(c => (c.Record, c.Response.ToByteArray())).ToList(),
                cancellationToken);

            var deltas = new Dictionary<(string Payer, string Model), (long Reserved, long Used)>();
            var commands = new List<NpgsqlBatchCommand>(4);
            if (marking is not null)
            {
                if (marked.Count != marking.Count)
                {
                    // A row of the previous batch is no longer its own: undone, and that batch is marked alone (which
                    // sorts out such rows one by one).
                    throw new RowsChangedException();
                }
                // Reserved to used: what remains of each allowance is unchanged, so this batch's checks below see the same.
                foreach (var (key, delta) in SpendDeltas(marking))
                {
                    if (allowances.TryGetValue(key, out var allowance))
                    {
                        allowances[key] = allowance with
                        {
                            ReservedAmount = checked(allowance.ReservedAmount + delta.Reserved),
                            UsedAmount = checked(allowance.UsedAmount + delta.Used),
                        };
                    }
                    deltas[key] = delta;
                }
                commands.Add(outbox.EnqueueCommand(UsagePaidOf(marking, now)));
            }

            var reserved = new List<QueuedCharge>(charges.Count);
            var refused = new List<(QueuedCharge Charge, string Reason)>();
            foreach (var charge in charges.Where(c => inserted.Contains(c.Payment.RequestId)))
            {
                var key = Key(charge);
                var payment = charge.Payment;
                if (!allowances.TryGetValue(key, out var allowance))
                {
                    refused.Add((charge, $"no allowance: {payment.PayerAccount} has not granted model {payment.ModelId} an allowance"));
                    continue;
                }
                if (allowance.RefusalAt(now, payment.Amount) is { } refusal)
                {
                    refused.Add((charge, refusal));
                    continue;
                }
                allowances[key] = allowance with { ReservedAmount = checked(allowance.ReservedAmount + payment.Amount), UpdatedAt = now.UtcDateTime };
                deltas[key] = deltas.TryGetValue(key, out var delta) ? (checked(delta.Reserved + payment.Amount), delta.Used) : (payment.Amount, 0);
                reserved.Add(charge);
            }
            foreach (var charge in reserved)
            {
                // The key's state after the whole batch's reservations: marking paid spends from it.
                charge.Allowance = allowances[Key(charge)];
            }
            if (refused.Count > 0)
            {
                commands.Add(GatewayStore.DeletePendingPaymentsCommand([.. refused.Select(r => r.Charge.Payment.RequestId)]));
            }
            if (deltas.Count > 0)
            {
                commands.Add(GatewayStore.AdjustAllowancesCommand(deltas, now.UtcDateTime, locked: true));
            }
            await committing.ExecuteAndCommitAsync(commands, cancellationToken);
            return (inserted, reserved, refused);
        }, cancellationToken));

        if (marking is not null)
        {
            Answer(marking);
        }
        foreach (var charge in charges.Where(c => !inserted.Contains(c.Payment.RequestId)))
        {
            charge.Done.TrySetResult(new BatchResult(BatchVerdict.Resume));
        }
        foreach (var (charge, reason) in refused)
        {
            charge.Done.TrySetException(DomainException.FailedPrecondition(reason));
        }
        return reserved;
    }

    /// <summary>Step 2: the Ledger transfers of the batch. Returns the charges whose money moved (or that cost nothing).</summary>
    private async Task<List<(QueuedCharge Charge, Contracts.Ledger.V1.Transfer? Transfer)>> TransferAsync(List<QueuedCharge> charges, CancellationToken cancellationToken)
    {
        var moved = new List<(QueuedCharge, Contracts.Ledger.V1.Transfer?)>(charges.Count);
        moved.AddRange(charges.Where(c => c.Payment.Amount == 0).Select(c => (c, (Contracts.Ledger.V1.Transfer?)null)));
        var queue = new Queue<QueuedCharge[]>(charges.Where(c => c.Payment.Amount > 0).Chunk(LedgerLegsMax));
        while (queue.TryDequeue(out var chunk))
        {
            var request = new TransferBatchRequest { RequestId = Guid.CreateVersion7(time.GetUtcNow()).ToString() };
            request.Legs.AddRange(chunk.Select(c => LedgerCalls.ChargeLeg(c.Payment)));
            TransferBatchResponse response;
            try
            {
                response = await ledger.TransferBatchAsync(request, cancellationToken: cancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.AlreadyExists or StatusCode.InvalidArgument)
            {
                // All or nothing: the leg the Ledger refused (its payer short) stopped the batch and nothing moved. That
                // charge is finished alone (and refused there, naming the balance); the others go again as a batch.
                var refused = LedgerCalls.RefusedLeg(ex);
                if (refused is { } index && index < chunk.Length)
                {
                    chunk[index].Done.TrySetResult(new BatchResult(BatchVerdict.Resume));
                    if (chunk.Length > 1)
                    {
                        queue.Enqueue([.. chunk[..index], .. chunk[(index + 1)..]]);
                    }
                    continue;
                }
                foreach (var charge in chunk)
                {
                    charge.Done.TrySetResult(new BatchResult(BatchVerdict.Resume));
                }
                continue;
            }
            catch (RpcException ex)
            {
                LogLedgerFailed(logger, chunk.Length, ex.Status.Detail);
                var failure = new DomainException(DomainErrorKind.Unavailable, "the Ledger did not answer; retry with the same request id");
                foreach (var charge in chunk)
                {
                    charge.Done.TrySetException(failure);
                }
                continue;
            }
            moved.AddRange(chunk.Select((charge, i) => (charge, (Contracts.Ledger.V1.Transfer?)response.Transfers[i])));
        }
        return moved;
    }

    /// <summary>A charge of a batch whose money moved, ready to be marked paid: its paid record and its response.</summary>
    private sealed record Candidate(QueuedCharge Charge, Contracts.Ledger.V1.Transfer? Transfer, PaymentRecord Record, ChargeUsageResponse Response);

    /// <summary>
    /// The paid records and responses of a batch. The allowances need no second look: moving an amount from reserved to used
    /// leaves what remains unchanged, so each key starts from the state its reservation step left (the whole batch reserved),
    /// and the batch's charges are spent in order: the last response of a key shows the row as marking leaves it.
    /// </summary>
    private static List<Candidate> Candidates(List<(QueuedCharge Charge, Contracts.Ledger.V1.Transfer? Transfer)> moved, DateTimeOffset now)
    {
        var candidates = new List<Candidate>(moved.Count);
        var allowances = new Dictionary<(string Payer, string Model), AllowanceRecord>();
        foreach (var (charge, _) in moved)
        {
            allowances.TryAdd(Key(charge), charge.Allowance!);
        }
        foreach (var (charge, transfer) in moved)
        {
            var amount = charge.Payment.Amount;
            var before = allowances[Key(charge)];
            var allowance = allowances[Key(charge)] = before with
            {
                ReservedAmount = checked(before.ReservedAmount - amount),
                UsedAmount = checked(before.UsedAmount + amount),
                UpdatedAt = now.UtcDateTime,
            };
            var record = charge.Payment.Paid(transfer);
            candidates.Add(new Candidate(charge, transfer, record, new ChargeUsageResponse { Payment = GatewayMapping.ToProto(record), Allowance = GatewayMapping.ToProto(allowance, now) }));
        }
        return candidates;
    }

    /// <summary>Answers the charges marked paid (after their transaction committed).</summary>
    private void Answer(List<Candidate> paid)
    {
        metrics.Paid("charge", paid.Count, paid.Sum(p => p.Charge.Payment.Amount));
        foreach (var candidate in paid)
        {
            candidate.Charge.Done.TrySetResult(new BatchResult(BatchVerdict.Paid, candidate.Response));
        }
    }

    /// <summary>Step 3 in a transaction of its own: payments paid, reservations spent and UsagePaid events written.</summary>
    private async Task MarkPaidAsync(List<(QueuedCharge Charge, Contracts.Ledger.V1.Transfer? Transfer)> moved, CancellationToken cancellationToken)
    {
        var now = GatewayRules.Now(time);
        var candidates = Candidates(moved, now);
        var rows = candidates.Select(c => (c.Record, c.Response.ToByteArray())).ToList();
        List<Candidate> paid;
        try
        {
            // The common case in one round trip: every row is still this batch's own, so the allowances and the events of all
            // of them go with the update.
            paid = await InTransactionAsync(async transaction =>
            {
                var marked = await store.MarkPaidAsync(transaction, rows,
                    [GatewayStore.AdjustAllowancesCommand(SpendDeltas(candidates), now.UtcDateTime, locked: false), outbox.EnqueueCommand(UsagePaidOf(candidates, now))],
                    cancellationToken);
                return marked.Count == candidates.Count ? candidates : throw new RowsChangedException();
            }, cancellationToken);
        }
        catch (RowsChangedException)
        {
            // Rolled back. Only rows still pending under this batch's payment id: one released and inserted again by another
            // copy while the batch was at the Ledger is finished from what is stored, one by one.
            paid = await InTransactionAsync(async transaction =>
            {
                var marked = await store.MarkPaidAsync(transaction, rows, [], cancellationToken);
                var paid = candidates.Where(c => marked.Contains(c.Record.RequestId)).ToList();
                if (paid.Count > 0)
                {
                    await store.AdjustAllowancesAsync(transaction, SpendDeltas(paid), now.UtcDateTime, locked: false, cancellationToken);
                    await outbox.EnqueueAsync(transaction, UsagePaidOf(paid, now), cancellationToken);
                }
                return paid;
            }, cancellationToken);
        }
        Answer(paid);
        var paidIds = paid.Select(p => p.Record.RequestId).ToHashSet();
        foreach (var candidate in candidates.Where(c => !paidIds.Contains(c.Record.RequestId)))
        {
            candidate.Charge.Done.TrySetResult(new BatchResult(BatchVerdict.Resume, Moved: true, Transfer: candidate.Transfer));
        }
    }

    /// <summary>
    /// One transaction of a batch, tried again (at most three times in all) when PostgreSQL picks it as a deadlock's victim:
    /// another replica's one-by-one path took the same rows in another order, and the batch's work is undone whole.
    /// </summary>
    private Task<T> InTransactionAsync<T>(Func<NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RetryingDeadlocksAsync(() => store.InTransactionAsync(work, cancellationToken));

    private async Task<T> RetryingDeadlocksAsync<T>(Func<Task<T>> transaction)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await transaction();
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected && attempt < 3)
            {
                LogDeadlock(logger, attempt);
            }
        }
    }

    private static (string Payer, string Model) Key(QueuedCharge charge) => (charge.Payment.PayerAccount, charge.Payment.ModelId);

    /// <summary>Reserved to used, per allowance, for the charges marked paid.</summary>
    private static Dictionary<(string Payer, string Model), (long Reserved, long Used)> SpendDeltas(IEnumerable<Candidate> paid)
    {
        var deltas = new Dictionary<(string Payer, string Model), (long Reserved, long Used)>();
        foreach (var candidate in paid)
        {
            var amount = candidate.Charge.Payment.Amount;
            var key = Key(candidate.Charge);
            deltas[key] = deltas.TryGetValue(key, out var delta)
                ? (checked(delta.Reserved - amount), checked(delta.Used + amount))
                : (-amount, amount);
        }
        return deltas;
    }

    private static List<IIntegrationEvent> UsagePaidOf(IEnumerable<Candidate> paid, DateTimeOffset now) =>
        [.. paid.Select(p => (IIntegrationEvent)ChargeService.UsagePaidOf(p.Record, now))];

    /// <summary>The optimistic one-round-trip mark found a row that is no longer the batch's own; its transaction is rolled back.</summary>
    private sealed class RowsChangedException : Exception;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} charges failed and was answered UNAVAILABLE (pending ones are resumed): {Reason}")]
    private static partial void LogBatchFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Ledger did not take a batch of {Count} charges: {Reason}")]
    private static partial void LogLedgerFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Marking a batch paid with the next one's reservation failed; both are done alone: {Reason}")]
    private static partial void LogCombinedFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "A charge batch met a deadlock (attempt {Attempt}) and is retried")]
    private static partial void LogDeadlock(ILogger logger, int attempt);
}
