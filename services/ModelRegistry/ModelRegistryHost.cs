using Perspective.Contracts.Ledger.V1;
using Perspective.ModelRegistry.Api;
using Perspective.ModelRegistry.Commands;
using Perspective.ModelRegistry.Data;
using Perspective.ServiceDefaults;
using Perspective.ServiceDefaults.Clients;

namespace Perspective.ModelRegistry;

/// <summary>ModelRegistry: models, their AI token, pricing, provider and listing status.</summary>
public static class ModelRegistryHost
{
    public static readonly ServiceInfo Service = new("registry", typeof(ModelRegistryHost).Assembly);

    /// <summary>Builds the service; tests pass <paramref name="configure"/> to swap configuration or services (a fake clock).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(Service);
        builder.AddServiceClient<LedgerService.LedgerServiceClient>("Ledger");
        builder.Services.AddOptions<RegistryOptions>().BindConfiguration(RegistryOptions.Section);
        builder.Services.AddSingleton<ModelStore>();
        builder.Services.AddSingleton<GovernanceStore>();
        builder.Services.AddSingleton<ListingPolicy>();
        builder.Services.AddSingleton<LedgerAssets>();
        builder.Services.AddSingleton<ModelCommands>();
        builder.Services.AddSingleton<GovernanceActions>();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<ModelRegistryApi>();
        return app;
    }
}
