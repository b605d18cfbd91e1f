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
    /// <summary>
    /// Checks that decide readiness (the empty gRPC health service name): what a request needs — the database, the bus's
    /// first connection since the process started, and any a service adds. Not the broker after that: events go through
    /// the outbox, so a broker outage must not take every replica out of rotation.
    /// </summary>
    public const string Ready = "ready";

    /// <summary>The check that decides liveness (<c>liveness</c>): the process answers, nothing else.</summary>
    public const string Live = "live";

    /// <summary>The check behind the <c>broker</c> gRPC health service name: SERVING only while the bus is healthy.</summary>
    public const string Broker = "broker";
}

internal static class HealthSetup
{
    private const string Ready = HealthTags.Ready;
    private const string Live = HealthTags.Live;
    private const string Broker = HealthTags.Broker;

    /// <summary>
    /// The standard gRPC health service: the empty service name answers readiness, which checks the database and that
    /// the bus has connected once (its queues declared and bound); <c>broker</c> answers SERVING while the bus is healthy;
    /// <c>liveness</c> answers SERVING while the process runs.
    /// </summary>
    public static void AddPerspectiveHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<BrokerState>();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [Ready])
            .AddCheck<BrokerConnectedOnceHealthCheck>("broker-connected-once", tags: [Ready])
            .AddCheck<BrokerHealthCheck>("broker", tags: [Broker])
            .AddCheck("process", () => HealthCheckResult.Healthy(), tags: [Live]);
        builder.Services.AddGrpcHealthChecks(options =>
        {
            options.Services.Map("", result => result.Tags.Contains(Ready));
            options.Services.Map("broker", result => result.Tags.Contains(Broker));
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

/// <summary>
/// The bus's health, and whether it has been healthy (connected, every receive endpoint up) at least once since the
/// process started. One per process: health checks are created per check run, so the latch lives here.
/// </summary>
internal sealed class BrokerState(IBusControl bus)
{
    private volatile bool connectedOnce;

    public bool ConnectedOnce => connectedOnce;

    public BusHealthResult Check()
    {
        var health = bus.CheckHealth();
        if (health.Status == BusHealthStatus.Healthy)
        {
            connectedOnce = true;
        }
        return health;
    }
}

/// <summary>
/// The <c>broker</c> health service: healthy only while the bus is connected and every receive endpoint is up
/// (MassTransit's own check calls a lost broker Degraded, which gRPC would show as SERVING).
/// </summary>
internal sealed class BrokerHealthCheck(BrokerState broker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = broker.Check();
        return Task.FromResult(health.Status == BusHealthStatus.Healthy
            ? HealthCheckResult.Healthy(health.Description)
            : HealthCheckResult.Unhealthy($"broker: {health.Description}"));
    }
}

/// <summary>
/// Readiness' part of the broker: the first connection gates it, so a new replica's queues are declared and bound before
/// it takes traffic (an event published to an exchange without a bound queue is lost). After that a broker outage leaves
/// readiness alone: the outbox holds the events until the bus reconnects.
/// </summary>
internal sealed class BrokerConnectedOnceHealthCheck(BrokerState broker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (broker.ConnectedOnce)
        {
            return Task.FromResult(HealthCheckResult.Healthy("the bus has connected since the process started"));
        }
        var health = broker.Check();
        return Task.FromResult(health.Status == BusHealthStatus.Healthy
            ? HealthCheckResult.Healthy(health.Description)
            : HealthCheckResult.Unhealthy($"broker not connected yet since start: {health.Description}"));
    }
}
