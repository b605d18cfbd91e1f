using Perspective.ModelRegistry.Api;
using Perspective.ServiceDefaults;

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
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<ModelRegistryApi>();
        return app;
    }
}
