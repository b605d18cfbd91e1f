using Perspective.Ledger.Api;
using Perspective.ServiceDefaults;

namespace Perspective.Ledger;

/// <summary>Ledger: assets, accounts, balances, transfers, holds, locks, swap offers and the hash-chained journal; the single source of truth for value.</summary>
public static class LedgerHost
{
    public static readonly ServiceInfo Service = new("ledger", typeof(LedgerHost).Assembly);

    /// <summary>Builds the service; tests pass <paramref name="configure"/> to swap configuration or services (a fake clock).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(Service);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<LedgerApi>();
        return app;
    }
}
