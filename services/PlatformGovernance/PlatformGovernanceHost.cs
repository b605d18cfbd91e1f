using Microsoft.Extensions.Options;
using Perspective.Governance;
using Perspective.PlatformGovernance.Api;
using Perspective.PlatformGovernance.Data;
using Perspective.PlatformGovernance.Domain;
using Perspective.ServiceDefaults;

namespace Perspective.PlatformGovernance;

/// <summary>PlatformGovernance: the POV DAO: parameters, standards, and the listing of models.</summary>
public static class PlatformGovernanceHost
{
    public static readonly ServiceInfo Service = new("platform", typeof(PlatformGovernanceHost).Assembly);

    /// <summary>Builds the service; tests pass <paramref name="configure"/> to swap configuration or services (a fake clock).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(Service);
        builder.AddGovernanceEngine<PlatformDaoHost>();
        builder.Services.AddOptions<PlatformOptions>().BindConfiguration(PlatformOptions.Section);
        builder.Services.AddSingleton<PlatformStore>();
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PlatformOptions>>().Value;
            return new Parameters(options.PlatformSettings.ToSettings("Governance:PlatformSettings"),
                options.DefaultSettings.ToSettings("Governance:DefaultSettings"));
        });
        builder.Services.AddHostedService<PlatformBootstrap>();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<PlatformGovernanceApi>();
        return app;
    }
}
