using System.Diagnostics;
using System.Diagnostics.Metrics;
using Perspective.ServiceDefaults.Telemetry;

namespace Perspective.Ledger.Writer;

/// <summary>
/// The writer's business metrics, on the service's own meter (exported only when telemetry is on). Names follow the
/// OpenTelemetry conventions (dotted, no unit or <c>_total</c> in the name, unit in UCUM); the collector's Prometheus
/// exporter turns them into <c>ledger_transfers_committed_total</c>, <c>ledger_batch_commit_duration_seconds_bucket</c> and
/// so on, which is what deploy/k8s/dashboards/ledger.json queries.
/// </summary>
public sealed class LedgerMetrics
{
    // Group commit sizes range from one lone request to BatchSizeMax (500 by default); the SDK's default buckets are for
    // milliseconds and would put every batch into the first few.
    private static readonly int[] BatchSizeBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

    // A batch commits in about a millisecond with fsync on a fast disk, and anything beyond a second is an incident.
    private static readonly double[] CommitSecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly Meter meter;
    private readonly Counter<long> transfersCommitted;
    private readonly Histogram<int> batchSize;
    private readonly Histogram<double> commitDuration;

    public LedgerMetrics(IMeterFactory meterFactory)
    {
        meter = meterFactory.Create(PerspectiveTelemetry.MeterName(LedgerHost.Service));
        transfersCommitted = meter.CreateCounter<long>("ledger.transfers.committed", "{transfer}",
            "Transfers written to the journal (plain transfers, batch legs, issuance, hold posts and swap legs).");
        batchSize = meter.CreateHistogram("ledger.batch.size", "{request}",
            "Requests in one committed writer batch (group commit).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchSizeBuckets });
        commitDuration = meter.CreateHistogram("ledger.batch.commit.duration", "s",
            "Time to write and commit one writer batch, from opening its transaction to the commit returning.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CommitSecondsBuckets });
    }

    /// <summary>
    /// Observes the writer's state: its queue, the last committed journal sequence, and whether this process is the
    /// active writer (1) or a standby (0). Called once by the writer when it starts.
    /// </summary>
    public void Watch(Func<int> queueDepth, Func<long> journalHead, Func<bool> active)
    {
        meter.CreateObservableGauge("ledger.writer.queue.depth", queueDepth, "{request}",
            "Requests waiting for the writer (bounded by Ledger:QueueCapacity; callers wait when it is full).");
        meter.CreateObservableGauge("ledger.journal.head", journalHead, "{entry}",
            "Sequence of the last committed journal entry as this replica knows it; the active writer's is the journal head.");
        meter.CreateObservableGauge("ledger.writer.active", () => active() ? 1 : 0, "{writer}",
            "1 while this replica holds the writer lock, 0 while it waits as a standby.");
    }

    /// <summary>Records one committed batch, timed from <paramref name="startedAt"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void BatchCommitted(int requests, int transfers, long startedAt)
    {
        commitDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds);
        batchSize.Record(requests);
        if (transfers > 0)
        {
            transfersCommitted.Add(transfers);
        }
    }
}
