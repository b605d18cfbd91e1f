using System.Diagnostics;
using System.Diagnostics.Metrics;
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

/// <summary>What the batch did with one charge; anything but <see cref="Paid"/> is finished by <see cref="ChargeService"/> one by one.</summary>
public enum BatchVerdict
{
    /// <summary>Paid in the batch: the response is final.</summary>
    Paid,

    /// <summary>The request id was stored before (a retry or a concurrent copy): answer from its payment.</summary>
    Known,

    /// <summary>Reserved, but the Ledger refused the batch (some payer short): make this charge's transfer alone.</summary>
    TransferAlone,

    /// <summary>The money moved, but the payment was no longer pending when the batch came to mark it (a concurrent copy).</summary>
    MarkAlone,
}

public sealed record BatchResult(BatchVerdict Verdict, ChargeUsageResponse? Response = null, Contracts.Ledger.V1.Transfer? Transfer = null);

/// <summary>
/// Group commit for ChargeUsage, as the Ledger's writer does for transfers: charges queue up, and each of a few writers
/// takes what has queued and pays it as one batch in three steps, each one round trip or one transaction:
/// (1) insert the pending payments and reserve their amounts on the allowances (one fsync for the batch);
/// (2) one Ledger TransferBatch, each leg with the transfer id derived from its request (a retry replays, never pays twice);
/// (3) mark them paid, turn the reservations into spending and write their UsagePaid events (one fsync).
/// A crash between the steps leaves pending payments, which a retry or the recovery pass finishes one by one exactly as
/// before. Under light load a batch holds one charge and nothing waits; under heavy load batches grow and the cost per
/// charge falls.
/// </summary>
public sealed partial class ChargeBatcher(
    GatewayStore store,
    LedgerService.LedgerServiceClient ledger,
    IOutbox outbox,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    IMeterFactory meters,
    ILogger<ChargeBatcher> logger) : BackgroundService
{
    private const int LedgerLegsMax = 1_000;

    // Spans of a batch: the parent is the first charge's trace (so a lone charge, the usual case under light load, is one
    // trace from the provider's call to the Ledger's commit); the other charges of the batch are links.
    private static readonly ActivitySource Tracing = new(PerspectiveTelemetry.SourceName(UsageGatewayHost.Service));

    private sealed class QueuedCharge(PaymentRecord payment)
    {
        public PaymentRecord Payment { get; } = payment;
        public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;
        public TaskCompletionSource<BatchResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Channel<QueuedCharge> queue = Channel.CreateUnbounded<QueuedCharge>();
    private readonly Histogram<int> batchSizes = meters.Create(PerspectiveTelemetry.MeterName(UsageGatewayHost.Service)).CreateHistogram<int>(
        "gateway.charge.batch.size", "{charge}", "Charges paid together in one batch",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] });

    // Where a batch's time goes: reserving (one transaction), the Ledger call, marking paid (one transaction).
    private readonly Histogram<double> stepDurations = meters.Create(PerspectiveTelemetry.MeterName(UsageGatewayHost.Service)).CreateHistogram<double>(
        "gateway.charge.batch.step.duration", "s", "Time one step of a charge batch took",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });

    /// <summary>Queues a validated pending charge; completes with the batch's verdict or throws the refusal.</summary>
    public Task<BatchResult> SubmitAsync(PaymentRecord payment, CancellationToken cancellationToken)
    {
        var item = new QueuedCharge(payment);
        if (!queue.Writer.TryWrite(item))
        {
            throw new DomainException(DomainErrorKind.Unavailable, "the gateway is shutting down; retry with the same request id");
        }
        // The caller may stop waiting; the batch still finishes the charge, and a retry gets its receipt.
        return item.Done.Task.WaitAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.Value.ChargeWriters)).Select(_ => Task.Run(() => RunWriterAsync(stoppingToken), stoppingToken)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
        while (queue.Reader.TryRead(out var left))
        {
            left.Done.TrySetException(new DomainException(DomainErrorKind.Unavailable, "the gateway is shutting down; retry with the same request id"));
        }
    }

    private async Task RunWriterAsync(CancellationToken stoppingToken)
    {
        var max = Math.Clamp(options.Value.ChargeBatchMax, 1, LedgerLegsMax);
        var batch = new List<QueuedCharge>(max);
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < max && queue.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }
                if (batch.Count == 0)
                {
                    continue;
                }
                batchSizes.Record(batch.Count);
                try
                {
                    await PayAsync(batch, stoppingToken);
                }
                catch (Exception ex)
                {
                    // Whatever was not committed is either absent (step 1) or pending (later steps): a retry with the same
                    // request id, or the recovery pass, finishes it exactly once.
                    LogBatchFailed(logger, batch.Count, ex.Message);
                    var failure = new DomainException(DomainErrorKind.Unavailable, "the charge could not be completed now; retry with the same request id");
                    foreach (var item in batch)
                    {
                        item.Done.TrySetException(failure);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PayAsync(List<QueuedCharge> batch, CancellationToken cancellationToken)
    {
        // Copies of one request in the same batch: the first is paid, the others answer as it did.
        var leaders = new List<QueuedCharge>(batch.Count);
        var copies = new List<(QueuedCharge Copy, QueuedCharge Leader)>();
        var byRequest = new Dictionary<Guid, QueuedCharge>(batch.Count);
        foreach (var item in batch)
        {
            if (byRequest.TryGetValue(item.Payment.RequestId, out var leader))
            {
                copies.Add((item, leader));
            }
            else
            {
                byRequest[item.Payment.RequestId] = item;
                leaders.Add(item);
            }
        }
        var links = batch.Skip(1).Where(c => c.Trace != default).Select(c => new ActivityLink(c.Trace)).ToList();
        using var activity = Tracing.StartActivity("ChargeUsage batch", ActivityKind.Internal, batch[0].Trace,
            tags: [new("gateway.charge.batch.size", batch.Count)], links: links);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var reserved = await ReserveAsync(leaders, cancellationToken);
            started = RecordStep("reserve", started);
            var transferred = await TransferAsync(reserved, cancellationToken);
            started = RecordStep("ledger", started);
            await MarkPaidAsync(transferred, cancellationToken);
            RecordStep("mark_paid", started);
        }
        finally
        {
            foreach (var (copy, leader) in copies)
            {
                _ = AnswerLikeAsync(copy, leader);
            }
        }
    }

    private long RecordStep(string step, long started)
    {
        var now = Stopwatch.GetTimestamp();
        stepDurations.Record(Stopwatch.GetElapsedTime(started, now).TotalSeconds, new KeyValuePair<string, object?>("step", step));
        return now;
    }

    private static async Task AnswerLikeAsync(QueuedCharge copy, QueuedCharge leader)
    {
        if (!copy.Payment.ContentHash.AsSpan().SequenceEqual(leader.Payment.ContentHash))
        {
            // Another request under the same id: let the one-by-one path compare it with what was stored.
            await leader.Done.Task.ContinueWith(_ => copy.Done.TrySetResult(new BatchResult(BatchVerdict.Known)), TaskScheduler.Default);
            return;
        }
        try
        {
            copy.Done.TrySetResult(await leader.Done.Task);
        }
        catch (Exception ex)
        {
            copy.Done.TrySetException(ex);
        }
    }

    /// <summary>Step 1: pending payments and reservations in one transaction. Returns the charges reserved.</summary>
    private async Task<List<QueuedCharge>> ReserveAsync(List<QueuedCharge> charges, CancellationToken cancellationToken)
    {
        var now = GatewayRules.Now(time);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await store.OpenAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                // Payments before allowances, as every one-by-one path takes them, so no two transactions wait on each other in a circle.
                var inserted = await store.InsertPaymentsAsync(transaction, [.. charges.Select(c => c.Payment).OrderBy(p => p.RequestId)], cancellationToken);
                var allowances = await store.LockAllowancesAsync(transaction, [.. charges.Select(Key).Distinct()], cancellationToken);

                var reserved = new List<QueuedCharge>(charges.Count);
                var refused = new List<(QueuedCharge Charge, string Reason)>();
                var deltas = new Dictionary<(string Payer, string Model), (long Reserved, long Used)>();
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
                    allowances[key] = allowance with { ReservedAmount = checked(allowance.ReservedAmount + payment.Amount) };
                    deltas[key] = deltas.TryGetValue(key, out var delta) ? (checked(delta.Reserved + payment.Amount), 0) : (payment.Amount, 0);
                    reserved.Add(charge);
                }
                if (refused.Count > 0)
                {
                    await store.DeletePendingPaymentsAsync(transaction, [.. refused.Select(r => r.Charge.Payment.RequestId)], cancellationToken);
                }
                if (deltas.Count > 0)
                {
                    await store.AdjustAllowancesAsync(transaction, deltas, now.UtcDateTime, cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);

                foreach (var charge in charges.Where(c => !inserted.Contains(c.Payment.RequestId)))
                {
                    charge.Done.TrySetResult(new BatchResult(BatchVerdict.Known));
                }
                foreach (var (charge, reason) in refused)
                {
                    charge.Done.TrySetException(DomainException.FailedPrecondition(reason));
                }
                return reserved;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected && attempt < 3)
            {
                // Another replica's transaction took the same rows in another order (a one-by-one path); the batch is undone whole.
                LogDeadlock(logger, attempt);
            }
        }
    }

    /// <summary>Step 2: the Ledger transfers of the batch. Returns the charges whose money moved (or that cost nothing).</summary>
    private async Task<List<(QueuedCharge Charge, Contracts.Ledger.V1.Transfer? Transfer)>> TransferAsync(List<QueuedCharge> charges, CancellationToken cancellationToken)
    {
        var moved = new List<(QueuedCharge, Contracts.Ledger.V1.Transfer?)>(charges.Count);
        moved.AddRange(charges.Where(c => c.Payment.Amount == 0).Select(c => (c, (Contracts.Ledger.V1.Transfer?)null)));
        foreach (var chunk in charges.Where(c => c.Payment.Amount > 0).Chunk(LedgerLegsMax))
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
                // All or nothing: one leg the Ledger refuses (a payer short) refuses the batch, and nothing moved. Each charge
                // of it is then made alone, so only the charges that must fail do.
                foreach (var charge in chunk)
                {
                    charge.Done.TrySetResult(new BatchResult(BatchVerdict.TransferAlone));
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

    /// <summary>Step 3: payments paid, reservations spent and UsagePaid events written, in one transaction.</summary>
    private async Task MarkPaidAsync(List<(QueuedCharge Charge, Contracts.Ledger.V1.Transfer? Transfer)> moved, CancellationToken cancellationToken)
    {
        if (moved.Count == 0)
        {
            return;
        }
        var now = GatewayRules.Now(time);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await store.OpenAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                var pending = await store.LockPendingPaymentsAsync(transaction, [.. moved.Select(m => m.Charge.Payment.RequestId)], cancellationToken);
                var allowances = await store.LockAllowancesAsync(transaction, [.. moved.Select(m => Key(m.Charge)).Distinct()], cancellationToken);

                var paid = new List<(QueuedCharge Charge, ChargeUsageResponse Response)>(moved.Count);
                var rows = new List<(PaymentRecord, byte[])>(moved.Count);
                var events = new List<IIntegrationEvent>(moved.Count);
                var deltas = new Dictionary<(string Payer, string Model), (long Reserved, long Used)>();
                var alone = new List<(QueuedCharge Charge, Contracts.Ledger.V1.Transfer? Transfer)>();
                foreach (var (charge, transfer) in moved)
                {
                    var key = Key(charge);
                    if (!pending.Contains(charge.Payment.RequestId) || !allowances.TryGetValue(key, out var allowance))
                    {
                        alone.Add((charge, transfer));
                        continue;
                    }
                    var amount = charge.Payment.Amount;
                    allowance = allowance with
                    {
                        ReservedAmount = checked(allowance.ReservedAmount - amount),
                        UsedAmount = checked(allowance.UsedAmount + amount),
                        UpdatedAt = now.UtcDateTime,
                    };
                    allowances[key] = allowance;
                    deltas[key] = deltas.TryGetValue(key, out var delta) ? (checked(delta.Reserved - amount), checked(delta.Used + amount)) : (-amount, amount);
                    var record = charge.Payment.Paid(transfer);
                    var response = new ChargeUsageResponse { Payment = GatewayMapping.ToProto(record), Allowance = GatewayMapping.ToProto(allowance, now) };
                    rows.Add((record, response.ToByteArray()));
                    events.Add(ChargeService.UsagePaidOf(record, now));
                    paid.Add((charge, response));
                }
                if (rows.Count > 0)
                {
                    await store.MarkPaidAsync(transaction, rows, cancellationToken);
                    await store.AdjustAllowancesAsync(transaction, deltas, now.UtcDateTime, cancellationToken);
                    await outbox.EnqueueAsync(transaction, events, cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);

                foreach (var (charge, response) in paid)
                {
                    charge.Done.TrySetResult(new BatchResult(BatchVerdict.Paid, response));
                }
                foreach (var (charge, transfer) in alone)
                {
                    charge.Done.TrySetResult(new BatchResult(BatchVerdict.MarkAlone, Transfer: transfer));
                }
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected && attempt < 3)
            {
                LogDeadlock(logger, attempt);
            }
        }
    }

    private static (string Payer, string Model) Key(QueuedCharge charge) => (charge.Payment.PayerAccount, charge.Payment.ModelId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} charges failed and was answered UNAVAILABLE (pending ones are resumed): {Reason}")]
    private static partial void LogBatchFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Ledger did not take a batch of {Count} charges: {Reason}")]
    private static partial void LogLedgerFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "A charge batch met a deadlock (attempt {Attempt}) and is retried")]
    private static partial void LogDeadlock(ILogger logger, int attempt);
}
