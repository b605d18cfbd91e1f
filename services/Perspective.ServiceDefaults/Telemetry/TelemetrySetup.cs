using MassTransit.Logging;
using MassTransit.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Perspective.ServiceDefaults.Telemetry;

internal static class TelemetrySetup
{
    /// <summary>
    /// Traces, metrics and logs through OpenTelemetry, exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
    /// (the standard <c>OTEL_*</c> variables, such as <c>OTEL_TRACES_SAMPLER</c>, apply). Logs always reach the console.
    /// </summary>
    public static void AddPerspectiveTelemetry(this WebApplicationBuilder builder, ServiceInfo service)
    {
        // Without a collector nothing is collected: recording a span for every call and every SQL command costs a
        // measurable share of the ledger's two-core budget, only to be dropped. Telemetry:Enabled collects without
        // OTLP (tests add an in-memory exporter through ConfigureOpenTelemetryTracerProvider).
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!otlp && !builder.Configuration.GetValue<bool>("Telemetry:Enabled"))
        {
            return;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(serviceName: service.Name, serviceNamespace: "perspective", serviceVersion: service.Version))
            .WithTracing(tracing => tracing
                .AddSource(PerspectiveTelemetry.SourceName(service))
                .AddSource(DiagnosticHeaders.DefaultListenerName)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsHealthOrReflection(http.Request.Path))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(PerspectiveTelemetry.MeterName(service))
                .AddMeter(InstrumentationOptions.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation());
        if (otlp)
        {
            otel.UseOtlpExporter();
        }
    }

    private static bool IsHealthOrReflection(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.Ordinal)
        || path.StartsWithSegments("/grpc.reflection.v1alpha.ServerReflection", StringComparison.Ordinal)
        || path.StartsWithSegments("/grpc.reflection.v1.ServerReflection", StringComparison.Ordinal);
}

/// <summary>Names of a service's own activity source and meter, for business spans and counters.</summary>
public static class PerspectiveTelemetry
{
    public static string SourceName(ServiceInfo service) => $"Perspective.{service.Name}";

    public static string MeterName(ServiceInfo service) => $"Perspective.{service.Name}";
}
