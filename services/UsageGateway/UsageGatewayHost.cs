using Perspective.ServiceDefaults;
using Perspective.UsageGateway.Api;

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
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<UsageGatewayApi>();
        return app;
    }
}
