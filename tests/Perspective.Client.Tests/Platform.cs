using System.Globalization;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.Ledger;
using Perspective.ModelRegistry;
using Perspective.Testing;
using Perspective.UsageGateway;

namespace Perspective.Client.Tests;

/// <summary>
/// The real payment path (as in the gateway's own tests), started once for all client tests: a Ledger with POV at
/// genesis for alice, a ModelRegistry and the UsageGateway on a fake clock, in-process on real HTTP/2, PostgreSQL and
/// RabbitMQ. Tests keep apart by using a provider, a payer and models of their own. At the end the Ledger must have
/// conserved value.
/// </summary>
public sealed class Platform(TestInfrastructure infrastructure) : IAsyncLifetime
{
    public const long AliceGenesis = 1_000_000_000;

    /// <summary>Charges and authorizations one provider may make at once before the gateway's rate limit answers RESOURCE_EXHAUSTED.</summary>
    public const int RateLimitBurst = 6;

    /// <summary>Tokens per second: after the burst, the next one is free 1,000 ms later.</summary>
    public const int RateLimitPerSecond = 1;

    private readonly List<ServiceUnderTest> started = [];

    /// <summary>The gateway's clock (rate limit, expiry).</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public ServiceUnderTest Ledger { get; private set; } = null!;

    public ServiceUnderTest Registry { get; private set; } = null!;

    public ServiceUnderTest Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var broker = await infrastructure.RabbitMq.CreateVirtualHostAsync("client");
        Ledger = await Track(ServiceUnderTest.StartAsync(LedgerHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("ledger"),
            settings: new Dictionary<string, string?>
            {
                ["Ledger:Genesis:Code"] = "POV",
                ["Ledger:Genesis:Name"] = "Perspective",
                ["Ledger:Genesis:Decimals"] = "6",
                ["Ledger:Genesis:Allocations:0:Account"] = "alice",
                ["Ledger:Genesis:Allocations:0:Amount"] = AliceGenesis.ToString(CultureInfo.InvariantCulture),
            }, broker: broker));
        var ledger = new LedgerService.LedgerServiceClient(Ledger.Channel);
        await Eventually.WaitAsync(async () => (await ledger.GetHeadAsync(new GetHeadRequest(), TestTokens.Bearer("alice"))).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
        Registry = await Track(ServiceUnderTest.StartAsync(ModelRegistryHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("registry"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = Ledger.Address }, broker: broker));
        Gateway = await Track(ServiceUnderTest.StartAsync(UsageGatewayHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("gateway"),
            builder => builder.Services.AddSingleton<TimeProvider>(Clock),
            new Dictionary<string, string?>
            {
                ["Services:Ledger"] = Ledger.Address,
                ["Services:ModelRegistry"] = Registry.Address,
                ["Gateway:RateLimitPerSecond"] = RateLimitPerSecond.ToString(CultureInfo.InvariantCulture),
                ["Gateway:RateLimitBurst"] = RateLimitBurst.ToString(CultureInfo.InvariantCulture),
            }, broker));
    }

    private async Task<ServiceUnderTest> Track(Task<ServiceUnderTest> starting)
    {
        var service = await starting;
        started.Add(service);
        return service;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].DisposeAsync();
        }
        if (Ledger is not null)
        {
            await using var db = new NpgsqlConnection(Ledger.DatabaseConnectionString);
            var sums = (await db.QueryAsync<(string Asset, decimal Sum)>("select asset, sum(total) from balances group by asset")).ToList();
            Assert.All(sums, s => Assert.Equal(0m, s.Sum));
        }
    }
}

/// <summary>Every client test shares one <see cref="Platform"/> and runs one at a time (the telemetry test counts metrics).</summary>
[CollectionDefinition(nameof(PlatformCollection))]
public sealed class PlatformCollection : ICollectionFixture<Platform>;
