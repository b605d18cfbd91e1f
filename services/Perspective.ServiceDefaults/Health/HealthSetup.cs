using Dapper;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Perspective.ServiceDefaults.Health;

internal static class HealthSetup
{
    /// <summary>Tag of the checks that decide readiness: the database and the broker.</summary>
    public const string Ready = "ready";

    /// <summary>Tag of the check that decides liveness: the process answers, nothing else.</summary>
    public const string Live = "live";

    /// <summary>
    /// The standard gRPC health service: the empty service name answers readiness, which checks the database and
    /// the broker; <c>liveness</c> answers SERVING while the process runs.
    /// </summary>
    public static void AddPerspectiveHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [Ready])
            .AddCheck<BrokerHealthCheck>("broker", tags: [Ready])
            .AddCheck("process", () => HealthCheckResult.Healthy(), tags: [Live]);
        builder.Services.AddGrpcHealthChecks(options =>
        {
            options.Services.Map("", result => result.Tags.Contains(Ready));
            options.Services.Map("liveness", result => result.Tags.Contains(Live));
        });
    }
}

internal sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("select 1", cancellationToken: cancellationToken));
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy("database unreachable", ex);
        }
    }
}

/// <summary>Ready only while the bus is connected and every receive endpoint is up.</summary>
internal sealed class BrokerHealthCheck(IBusControl bus) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = bus.CheckHealth();
        return Task.FromResult(health.Status == BusHealthStatus.Healthy
            ? HealthCheckResult.Healthy(health.Description)
            : HealthCheckResult.Unhealthy($"broker: {health.Description}"));
    }
}
