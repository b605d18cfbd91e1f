using Perspective.Governance;
using Perspective.ServiceDefaults;
using Perspective.SubDaoGovernance.Api;
using Perspective.SubDaoGovernance.Data;

namespace Perspective.SubDaoGovernance;

/// <summary>SubDaoGovernance: one DAO per model, governed by the holders of its AI token.</summary>
public static class SubDaoGovernanceHost
{
    public static readonly ServiceInfo Service = new("subdao", typeof(SubDaoGovernanceHost).Assembly);

    /// <summary>Builds the service; tests pass <paramref name="configure"/> to swap configuration or services (a fake clock).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(Service);
        builder.AddGovernanceEngine<SubDaoDao>();
        builder.Services.AddOptions<SubDaoOptions>().BindConfiguration(SubDaoOptions.Section);
        builder.Services.AddSingleton<SubDaoStore>();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<SubDaoGovernanceApi>();
        return app;
    }
}
