using Perspective.ServiceDefaults;
using Perspective.Treasury.Api;

namespace Perspective.Treasury;

/// <summary>Treasury: per-model treasury records: revenue, payouts and reward distributions.</summary>
public static class TreasuryHost
{
    public static readonly ServiceInfo Service = new("treasury", typeof(TreasuryHost).Assembly);

    /// <summary>Builds the service; tests pass <paramref name="configure"/> to swap configuration or services (a fake clock).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(Service);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<TreasuryApi>();
        return app;
    }
}
