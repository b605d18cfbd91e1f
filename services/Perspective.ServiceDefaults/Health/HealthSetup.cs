using Dapper;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Perspective.ServiceDefaults.Health;

/// <summary>Tags a service gives its own health checks.</summary>
public static class HealthTags
{
    /// <summary>Checks that decide readiness (the empty gRPC health service name): the database, the broker, and any a service adds.</summary>
    public const string Ready = "ready";

    /// <summary>The check that decides liveness (<c>liveness</c>): the process answers, nothing else.</summary>
    public const string Live = "live";
}

internal static class HealthSetup
{
    private const string Ready = HealthTags.Ready;
    private const string Live = HealthTags.Live;

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
