using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Perspective.Ledger.Writer;

/// <summary>Readiness: only the replica that holds the writer lock takes calls; a standby reports NOT_SERVING until it takes over.</summary>
public sealed class WriterHealthCheck(LedgerWriter writer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(writer.IsActive
            ? HealthCheckResult.Healthy("this replica is the ledger writer")
            : HealthCheckResult.Unhealthy("standby: waiting for the ledger writer lock"));
}
