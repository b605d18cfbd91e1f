using System.Diagnostics;
using System.Diagnostics.Metrics;
using Perspective.ServiceDefaults.Errors;
using Perspective.ServiceDefaults.Telemetry;

namespace Perspective.UsageGateway.Payments;

/// <summary>
/// The payment path's business metrics, on the service's own meter (exported only when telemetry is on). The collector's
/// Prometheus exporter turns them into <c>gateway_charges_total</c>, <c>gateway_charge_duration_seconds_bucket</c>,
/// <c>gateway_paid_amount_total</c> and so on, which deploy/k8s/dashboards/payments.json queries.
/// </summary>
public sealed class GatewayMetrics
{
    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly Meter meter;
    private readonly Counter<long> charges;
    private readonly Histogram<double> chargeDuration;
    private readonly Counter<long> paidAmount;
    private readonly Counter<long> paid;
    private readonly Histogram<int> batchSize;
    private readonly Histogram<double> stepDuration;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        meter = meterFactory.Create(PerspectiveTelemetry.MeterName(UsageGatewayHost.Service));
        charges = meter.CreateCounter<long>("gateway.charges", "{charge}",
            "ChargeUsage calls answered, by outcome: paid (a new charge or a retry's receipt) or the gRPC status of the refusal.");
        chargeDuration = meter.CreateHistogram("gateway.charge.duration", "s",
            "Time to answer a ChargeUsage call, rate limiting included, by outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        paid = meter.CreateCounter<long>("gateway.payments.paid", "{payment}",
            "Payments recorded paid (each once, however often its request is retried), by kind: charge or metered.");
        paidAmount = meter.CreateCounter<long>("gateway.paid.amount", "{base_unit}",
            "POV base units moved to model treasuries by the payments recorded paid, by kind.");
        batchSize = meter.CreateHistogram("gateway.charge.batch.size", "{charge}", "Charges paid together in one batch (group commit).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] });
        stepDuration = meter.CreateHistogram("gateway.charge.batch.step.duration", "s",
            "Time one step of a charge batch took: reserve (one transaction, which also marks the previous batch paid when there is one), ledger (one TransferBatch), mark_paid (one transaction, when no next batch was waiting).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, .. SecondsBuckets] });
    }

    /// <summary>Records one answered ChargeUsage call timed from <paramref name="startedAt"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void ChargeAnswered(long startedAt, Exception? refusal)
    {
        var outcome = refusal switch
        {
            null => "paid",
            DomainException domain => ErrorInterceptor.ToStatusCode(domain.Kind).ToString(),
            Grpc.Core.RpcException rpc => rpc.StatusCode.ToString(),
            OperationCanceledException => "Cancelled",
            _ => "Internal",
        };
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        charges.Add(1, tag);
        chargeDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, tag);
    }

    public void Paid(string kind, int payments, long amount)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        paid.Add(payments, tag);
        paidAmount.Add(amount, tag);
    }

    public void Batch(int charges) => batchSize.Record(charges);

    /// <summary>Observes the charge queue; called once by the batcher when it starts.</summary>
    public void WatchQueue(Func<int> depth) =>
        meter.CreateObservableGauge("gateway.charge.queue.depth", depth, "{charge}",
            "Charges waiting for a batch writer (bounded by Gateway:ChargeQueueCapacity; beyond it charges are refused UNAVAILABLE).");

    /// <summary>Records a batch step that started at <paramref name="started"/>; returns now, the start of the next step.</summary>
    public long Step(string step, long started)
    {
        var now = Stopwatch.GetTimestamp();
        stepDuration.Record(Stopwatch.GetElapsedTime(started, now).TotalSeconds, new KeyValuePair<string, object?>("step", step));
        return now;
    }
}
