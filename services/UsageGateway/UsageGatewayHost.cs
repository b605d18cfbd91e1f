using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.ServiceDefaults;
using Perspective.ServiceDefaults.Clients;
using Perspective.ServiceDefaults.Health;
using Perspective.UsageGateway.Api;
using Perspective.UsageGateway.Data;
using Perspective.UsageGateway.Models;
using Perspective.UsageGateway.Payments;

namespace Perspective.UsageGateway;

/// <summary>UsageGateway: allowances, payments and metered usage; the payment path providers call on every request.</summary>
public static class UsageGatewayHost
{
    public static readonly ServiceInfo Service = new("gateway", typeof(UsageGatewayHost).Assembly);

    /// <summary>Builds the service; tests pass <paramref name="configure"/> to swap configuration or services (a fake clock).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(Service);
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section);
        // One client (one channel pool) per downstream service for the life of the process, with this service's token.
        builder.AddServiceClient<LedgerService.LedgerServiceClient>("Ledger");
        builder.AddServiceClient<ModelRegistryService.ModelRegistryServiceClient>("ModelRegistry");
        builder.Services.AddSingleton<GatewayStore>();
        builder.Services.AddSingleton<ModelCache>();
        builder.Services.AddSingleton<ProviderRateLimiter>();
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<ChargeBatcher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ChargeBatcher>());
        builder.Services.AddSingleton<ChargeService>();
        builder.Services.AddSingleton<MeteredService>();
        builder.Services.AddSingleton<ModelEventSubscription>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ModelEventSubscription>());
        builder.Services.AddHealthChecks().AddCheck<ModelEventSubscription>("model-events", tags: [HealthTags.Ready]);
        builder.Services.AddHostedService<RecoveryService>();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<UsageGatewayApi>();
        return app;
    }
}
