using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;
using Perspective.Testing;
using Tags = Perspective.Client.PerspectiveClientTelemetry.Tags;

namespace Perspective.Client.Tests;

/// <summary>What the client reports through System.Diagnostics, as an OpenTelemetry SDK or any listener would receive it.</summary>
public sealed class TelemetryTests(Platform platform) : ClientTestBase(platform)
{
    [Fact]
    public async Task A_retried_charge_is_one_span_with_its_request_id_a_child_span_per_attempt_and_is_counted_in_the_meter()
    {
        var model = await ModelAllowedAsync(cap: 100);
        var spans = new ConcurrentQueue<Activity>();
        using var tracing = new ActivityListener
        {
            // The gateway's server spans too (its host runs in this process): the trace must continue there.
            ShouldListenTo = source => source.Name is PerspectiveClientTelemetry.Name or "Microsoft.AspNetCore",
            Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(tracing);
        var measurements = new ConcurrentQueue<(string Instrument, double Value, string? Operation, string? Outcome)>();
        using var metrics = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PerspectiveClientTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        metrics.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, Tag(tags, Tags.Operation), Tag(tags, Tags.Outcome))));
        metrics.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, Tag(tags, Tags.Operation), Tag(tags, Tags.Outcome))));
        metrics.Start();
        using var client = NewClient();
        Network.Next(Fault.LoseAnswer);

        var charge = await client.ChargeUsageAsync(model.ModelId, Payer, units: 4, cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<PerspectiveException>(() => client.ChargeUsageAsync(model.ModelId, Payer, units: 1_000, cancellationToken: Ct));

        var call = Assert.Single(spans, s => s.OperationName == "Perspective ChargeUsage" && Equals(s.GetTagItem(Tags.RequestId), charge.RequestId));
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal(ActivityStatusCode.Unset, call.Status);
        Assert.Equal((model.ModelId, Payer, 4L, "OK", 2, charge.Payment.PaymentId, 40L),
            ((string?)call.GetTagItem(Tags.ModelId), (string?)call.GetTagItem(Tags.PayerAccount), (long?)call.GetTagItem(Tags.Units),
             (string?)call.GetTagItem(Tags.Outcome), (int?)call.GetTagItem(Tags.Attempts), (string?)call.GetTagItem(Tags.PaymentId),
             (long?)call.GetTagItem(Tags.AmountBaseUnits)));
        var attempts = spans.Where(s => s.ParentSpanId == call.SpanId).OrderBy(s => (int?)s.GetTagItem(Tags.Attempt)).ToList();
        Assert.Equal(["Unavailable", "OK"], attempts.Select(s => (string?)s.GetTagItem(Tags.Outcome)));
        Assert.All(attempts, s => Assert.Equal(charge.RequestId, s.GetTagItem(Tags.RequestId)));
        Assert.Equal(call.TraceId, attempts[0].TraceId);
        // The trace context rides each attempt to the gateway (under the HTTP client's own span, not listened to here).
        await Eventually.WaitAsync(
            () => Task.FromResult(spans.Count(s => s.Kind == ActivityKind.Server && s.TraceId == call.TraceId)),
            count => count == 2, TimeSpan.FromSeconds(10), "the gateway's server spans of both attempts in the call's trace");
        var retry = Assert.Single(call.Events);
        Assert.Equal(("retry", "Unavailable"), (retry.Name, (string?)retry.Tags.Single(t => t.Key == Tags.Outcome).Value));

        var refusal = Assert.Single(spans, s => s.OperationName == "Perspective ChargeUsage" && Equals(s.GetTagItem(Tags.RequestId), refused.RequestId));
        Assert.Equal((ActivityStatusCode.Error, "FailedPrecondition", 1, (int)StatusCode.FailedPrecondition),
            (refusal.Status, (string?)refusal.GetTagItem(Tags.Outcome), (int?)refusal.GetTagItem(Tags.Attempts), (int?)refusal.GetTagItem(Tags.GrpcStatusCode)));

        var charges = measurements.Where(m => m.Operation == "ChargeUsage").ToList();
        Assert.Equal(1, charges.Where(m => m is { Instrument: "perspective.client.calls", Outcome: "OK" }).Sum(m => m.Value));
        Assert.Equal(1, charges.Where(m => m is { Instrument: "perspective.client.calls", Outcome: "FailedPrecondition" }).Sum(m => m.Value));
        Assert.Equal(1, charges.Where(m => m is { Instrument: "perspective.client.retries", Outcome: "Unavailable" }).Sum(m => m.Value));
        Assert.Equal(2, charges.Count(m => m.Instrument == "perspective.client.call.duration" && m.Value > 0));
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }
        return null;
    }
}
