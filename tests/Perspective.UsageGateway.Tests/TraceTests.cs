using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using OpenTelemetry.Trace;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

/// <summary>One ChargeUsage is one trace: the gateway's server span, its call to the Ledger, and the Ledger's server span.</summary>
public sealed class TraceTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
    private readonly List<Activity> gatewaySpans = [];
    private readonly List<Activity> ledgerSpans = [];

    protected override bool Telemetry => true;

    protected override void ConfigureGateway(WebApplicationBuilder builder) =>
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(gatewaySpans));

    protected override void ConfigureLedger(WebApplicationBuilder builder) =>
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(ledgerSpans));

    [Fact]
    public async Task One_charge_produces_spans_in_the_gateway_and_the_ledger_under_one_trace_id()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);

        var payment = (await ChargeAsync(Charge(model.ModelId, "alice", 1))).Payment;

        // Spans are exported when they end; the server span ends as the response is written.
        var charge = await Eventually.WaitAsync(
            () => Task.FromResult(Snapshot(gatewaySpans).FirstOrDefault(s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("ChargeUsage", StringComparison.Ordinal))),
            span => span is not null, TimeSpan.FromSeconds(10), "the gateway's ChargeUsage span");
        var traceId = charge!.TraceId;
        var ledgerTransfer = await Eventually.WaitAsync(
            () => Task.FromResult(Snapshot(ledgerSpans).FirstOrDefault(s => s.TraceId == traceId && s.Kind == ActivityKind.Server
                                                                             && s.DisplayName.Contains("LedgerService/Transfer", StringComparison.Ordinal))),
            span => span is not null, TimeSpan.FromSeconds(10), "the ledger's Transfer span in the same trace");

        var gatewayTrace = Snapshot(gatewaySpans).Where(s => s.TraceId == traceId).ToList();
        Assert.Contains(gatewayTrace, s => s.Kind == ActivityKind.Client && s.DisplayName.Contains("LedgerService/Transfer", StringComparison.Ordinal));
        Assert.Contains(gatewayTrace, s => s.Source.Name == "Npgsql");
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
