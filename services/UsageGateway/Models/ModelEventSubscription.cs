using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Perspective.Contracts.Events.Registry.V1;

namespace Perspective.UsageGateway.Models;

/// <summary>
/// Keeps <see cref="ModelCache"/> fresh from ModelStatusChanged, ModelPricingChanged and ModelProviderChanged. Every replica holds its own
/// cache, so every replica must see every event: a normal consumer queue is shared by the replicas of a service (one
/// would get each message), so these handlers listen on a temporary, per-instance queue (auto-deleted with the
/// instance). They touch only this process's memory and applying an event twice changes nothing, so they need no
/// inbox — a shared inbox row would even hide the event from every replica but the first.
/// </summary>
public sealed class ModelEventSubscription(IBus bus, ModelCache cache) : IHostedService, IHealthCheck
{
    private HostReceiveEndpointHandle? handle;
    private volatile bool ready;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        handle = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition("gateway-model-cache"), DefaultEndpointNameFormatter.Instance, endpoint =>
        {
            endpoint.Handler<ModelStatusChanged>(context =>
            {
                cache.OnStatusChanged(context.Message);
                return Task.CompletedTask;
            });
            endpoint.Handler<ModelProviderChanged>(context =>
            {
                cache.OnProviderChanged(context.Message);
                return Task.CompletedTask;
            });
            endpoint.Handler<ModelPricingChanged>(context =>
            {
                cache.OnPricingChanged(context.Message);
                return Task.CompletedTask;
            });
        });
        // Not awaited here: the bus may still be connecting. Readiness waits for it (below).
        _ = handle.Ready.ContinueWith(t => ready = t.IsCompletedSuccessfully, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (handle is not null)
        {
            await handle.StopAsync(cancellationToken);
        }
    }

    /// <summary>Not ready until the queue is bound: before that a delisting would not reach this replica.</summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("model event subscription not bound yet"));
}
