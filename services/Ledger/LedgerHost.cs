using Perspective.Ledger.Api;
using Perspective.Ledger.Data;
using Perspective.Ledger.Writer;
using Perspective.ServiceDefaults;
using Perspective.ServiceDefaults.Health;

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
        // Genesis allocations for local runs live in a file (deploy/local/genesis.json); clusters set them in configuration.
        if (builder.Configuration["Ledger:GenesisFile"] is { Length: > 0 } genesisFile)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(genesisFile), optional: false);
        }
        builder.Services.AddOptions<LedgerOptions>().BindConfiguration(LedgerOptions.Section);
        builder.Services.AddSingleton<LedgerReads>();
        builder.Services.AddSingleton<LedgerMetrics>();
        builder.Services.AddSingleton<LedgerWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<LedgerWriter>());
        builder.Services.AddHostedService<ExpirySweeper>();
        builder.Services.AddHealthChecks().AddCheck<WriterHealthCheck>("ledger-writer", tags: [HealthTags.Ready]);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<LedgerApi>();
        return app;
    }
}
