using Microsoft.Extensions.Options;
using Perspective.Contracts.Ledger.V1;
using Perspective.ServiceDefaults;
using Perspective.ServiceDefaults.Clients;
using Perspective.Treasury.Api;
using Perspective.Treasury.Commands;
using Perspective.Treasury.Data;

namespace Perspective.Treasury;

/// <summary>Treasury: per-model treasury records: revenue, payouts and reward distributions.</summary>
public static class TreasuryHost
{
    public static readonly ServiceInfo Service = new("treasury", typeof(TreasuryHost).Assembly);

    /// <summary>Builds the service; tests pass <paramref name="configure"/> to swap configuration or services (a fake clock, a Ledger that stops).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(Service);
        builder.AddServiceClient<LedgerService.LedgerServiceClient>("Ledger");
        builder.Services.AddOptions<TreasuryOptions>().BindConfiguration(TreasuryOptions.Section)
            .Validate(options => TreasuryOptions.Invalid(options) is null, "Treasury options out of range (see TreasuryOptions)")
            .ValidateOnStart();
        builder.Services.AddSingleton<ITreasuryLedger, TreasuryLedger>();
        builder.Services.AddSingleton<TreasuryStore>();
        builder.Services.AddSingleton<PayoutStore>();
        builder.Services.AddSingleton<DistributionStore>();
        builder.Services.AddSingleton<TreasuryMetrics>();
        builder.Services.AddSingleton<ProposalAnswers>();
        builder.Services.AddSingleton<SpendJob>();
        builder.Services.AddSingleton<DistributionJob>();
        builder.Services.AddSingleton<Reconciler>();
        builder.Services.AddSingleton<ExecutorLease>();
        builder.Services.AddHostedService<TreasuryExecutor>();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<TreasuryApi>();
        return app;
    }
}
