using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Perspective.Contracts.Ledger.V1;
using Perspective.Governance.Api;
using Perspective.Governance.Data;
using Perspective.Governance.Engine;
using Perspective.ServiceDefaults.Clients;

namespace Perspective.Governance;

public static class GovernanceEngineExtensions
{
    /// <summary>The engine for a DAO service: its store, commands, scheduler and the Ledger client (service token).</summary>
    public static WebApplicationBuilder AddGovernanceEngine<THost>(this WebApplicationBuilder builder) where THost : class, IDaoHost
    {
        builder.AddServiceClient<LedgerService.LedgerServiceClient>("Ledger");
        builder.Services.AddOptions<SchedulerOptions>().BindConfiguration(SchedulerOptions.Section);
        builder.Services.AddSingleton<GovernanceStore>();
        builder.Services.AddSingleton<GovernanceMetrics>();
        builder.Services.AddSingleton<LedgerSnapshots>();
        builder.Services.AddSingleton<ProposalCommands>();
        builder.Services.AddSingleton<GovernanceQueries>();
        builder.Services.AddSingleton<ExecutionAnswers>();
        builder.Services.AddSingleton<GovernanceRpcs>();
        builder.Services.AddSingleton<THost>();
        builder.Services.AddSingleton<IDaoHost>(sp => sp.GetRequiredService<THost>());
        builder.Services.AddSingleton<ProposalScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ProposalScheduler>());
        return builder;
    }
}
