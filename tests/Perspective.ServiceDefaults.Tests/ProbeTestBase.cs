using Microsoft.AspNetCore.Builder;
using Perspective.ServiceDefaults.Tests.Probe;
using Perspective.Testing;

namespace Perspective.ServiceDefaults.Tests;

/// <summary>Starts the probe service on its own database for each test class.</summary>
public abstract class ProbeTestBase(TestInfrastructure infrastructure) : IAsyncLifetime
{
    private ServiceUnderTest? probe;

    protected TestInfrastructure Infrastructure { get; } = infrastructure;

    protected ServiceUnderTest Probe => probe ?? throw new InvalidOperationException("not started");

    protected ProbeService.ProbeServiceClient Client => new(Probe.Channel);

    public virtual async ValueTask InitializeAsync()
    {
        probe = await ServiceUnderTest.StartAsync(ProbeHost.Build, Infrastructure, await Infrastructure.CreateDatabaseAsync("probe"), Configure);
    }

    /// <summary>Lets a test class add to the probe's services.</summary>
    protected virtual void Configure(WebApplicationBuilder builder)
    {
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (probe is not null)
        {
            await probe.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}
