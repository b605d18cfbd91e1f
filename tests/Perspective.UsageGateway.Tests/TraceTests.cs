using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using OpenTelemetry.Trace;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

/// <summary>
/// Runs alone: the tracer providers of this test listen to the activity sources of every host in the process, and
/// hosts of other test classes running at the same time made the Ledger's span go missing.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class TraceCollection;

/// <summary>One ChargeUsage is one trace: the gateway's server span, its call to the Ledger, and the Ledger's server span.</summary>
[Collection(typeof(TraceCollection))]
public sealed class TraceTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
    // Both hosts run in this process and their tracer providers listen to the same activity sources, so which provider
    // records a given span is not fixed: both export into one list, and the assertions look at the whole trace.
    private readonly List<Activity> spans = [];

    protected override bool Telemetry => true;

    protected override void ConfigureGateway(WebApplicationBuilder builder) =>
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));

    protected override void ConfigureLedger(WebApplicationBuilder builder) =>
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));

    [Fact]
    public async Task One_charge_produces_spans_in_the_gateway_and_the_ledger_under_one_trace_id()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);

        var payment = (await ChargeAsync(Charge(model.ModelId, "alice", 1))).Payment;

        // Spans are exported when they end; the server span ends as the response is written.
        var charge = await Eventually.WaitAsync(
            () => Task.FromResult(Snapshot(spans).FirstOrDefault(s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("ChargeUsage", StringComparison.Ordinal))),
            span => span is not null, TimeSpan.FromSeconds(10), "the gateway's ChargeUsage span");
        var traceId = charge!.TraceId;
        var ledgerTransfer = await Eventually.WaitAsync(
            () => Task.FromResult(Snapshot(spans).FirstOrDefault(s => s.TraceId == traceId && s.Kind == ActivityKind.Server
                                                                             && s.DisplayName.Contains("LedgerService/TransferBatch", StringComparison.Ordinal))),
            span => span is not null, TimeSpan.FromSeconds(20), "the ledger's TransferBatch span in the same trace");

        var trace = Snapshot(spans).Where(s => s.TraceId == traceId).ToList();
        Assert.Contains(trace, s => s.Kind == ActivityKind.Client && s.DisplayName.Contains("LedgerService/TransferBatch", StringComparison.Ordinal));
        Assert.Contains(trace, s => s.Source.Name == "Npgsql");
        // The charge was paid by a batch of its own, whose span is in the charge's trace.
        Assert.Contains(trace, s => s.DisplayName == "ChargeUsage batch" && (int?)s.GetTagItem("gateway.charge.batch.size") == 1);
        Assert.NotEqual(charge.SpanId, ledgerTransfer!.SpanId);
        Assert.False(string.IsNullOrEmpty(payment.LedgerTransferId));
    }

    // The exporter appends while the test reads; a copy taken under the list's lock may still catch a slot mid-resize, hence the null filter.
    private static List<Activity> Snapshot(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans.Where(s => s is not null)];
        }
    }
}
