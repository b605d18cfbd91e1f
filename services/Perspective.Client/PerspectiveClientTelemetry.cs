using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Perspective.Client;

/// <summary>
/// The client's traces and metrics, through System.Diagnostics only (no OpenTelemetry SDK dependency). With the SDK:
/// <c>tracing.AddSource(PerspectiveClientTelemetry.Name)</c> and <c>metrics.AddMeter(PerspectiveClientTelemetry.Name)</c>.
/// </summary>
public static class PerspectiveClientTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> and of the <see cref="Meter"/>: <c>Perspective.Client</c>.</summary>
    public const string Name = "Perspective.Client";

    /// <summary>Tag names on spans (and, for operation and outcome, on metrics).</summary>
    public static class Tags
    {
        /// <summary><c>perspective.operation</c></summary>
        public const string Operation = "perspective.operation";
        /// <summary><c>perspective.request_id</c></summary>
        public const string RequestId = "perspective.request_id";
        /// <summary><c>perspective.model_id</c></summary>
        public const string ModelId = "perspective.model_id";
        /// <summary><c>perspective.payer_account</c></summary>
        public const string PayerAccount = "perspective.payer_account";
        /// <summary><c>perspective.units</c></summary>
        public const string Units = "perspective.units";
        /// <summary><c>perspective.authorization_id</c></summary>
        public const string AuthorizationId = "perspective.authorization_id";
        /// <summary><c>perspective.payment_id</c></summary>
        public const string PaymentId = "perspective.payment_id";
        /// <summary><c>perspective.amount_base_units</c></summary>
        public const string AmountBaseUnits = "perspective.amount_base_units";
        /// <summary><c>perspective.attempt</c></summary>
        public const string Attempt = "perspective.attempt";
        /// <summary><c>perspective.attempts</c></summary>
        public const string Attempts = "perspective.attempts";
        /// <summary><c>perspective.retry_delay_ms</c></summary>
        public const string RetryDelayMs = "perspective.retry_delay_ms";

        /// <summary><c>OK</c> or the gRPC status code name (<c>FailedPrecondition</c>, <c>Unavailable</c>…).</summary>
        public const string Outcome = "perspective.outcome";
        /// <summary><c>rpc.system</c></summary>
        public const string RpcSystem = "rpc.system";
        /// <summary><c>rpc.service</c></summary>
        public const string RpcService = "rpc.service";
        /// <summary><c>rpc.method</c></summary>
        public const string RpcMethod = "rpc.method";
        /// <summary><c>rpc.grpc.status_code</c></summary>
        public const string GrpcStatusCode = "rpc.grpc.status_code";
    }

    private static readonly string? Version = typeof(PerspectiveClientTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>
    /// One span per call (<c>Perspective ChargeUsage</c>, kind Client) with the tags above; a child span per attempt
    /// (<c>Perspective ChargeUsage attempt</c>) and a <c>retry</c> event on the call's span before each retry.
    /// </summary>
    public static readonly ActivitySource Source = new(Name, Version);

    /// <summary>Meter <c>Perspective.Client</c>.</summary>
    public static readonly Meter Meter = new(Name, Version);

    /// <summary>Calls made (tags: operation, outcome), counted once per call whatever its retries.</summary>
    public static readonly Counter<long> Calls = Meter.CreateCounter<long>("perspective.client.calls", "{call}", "Calls to the gateway, once per call");

    /// <summary>Retries (tags: operation, outcome of the attempt retried).</summary>
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("perspective.client.retries", "{retry}", "Attempts repeated after a transient failure");

    /// <summary>Duration of a call including its retries and waits, in seconds (tags: operation, outcome).</summary>
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("perspective.client.call.duration", "s", "Duration of a call with its retries");
}
