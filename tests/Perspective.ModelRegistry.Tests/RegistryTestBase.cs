using System.Globalization;
using Dapper;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Ledger;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.ModelRegistry.Tests;

/// <summary>
/// A real Ledger (POV at genesis) and a registry that calls it, both on one test virtual host with a
/// <see cref="TestBus"/> that publishes governance decisions and records what the registry publishes. The registry
/// runs on a fake clock, so the times it records are known exactly.
/// </summary>
public abstract class RegistryTestBase(TestInfrastructure infrastructure) : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<IAsyncDisposable> started = [];
    private ServiceUnderTest? ledger;
    private ServiceUnderTest? registry;
    private TestBus? bus;

    protected TestInfrastructure Infrastructure { get; } = infrastructure;

    protected FakeTimeProvider Clock { get; } = new(Start);

    protected string Broker { get; private set; } = "";

    protected ServiceUnderTest LedgerService => ledger ?? throw new InvalidOperationException("not started");

    protected ServiceUnderTest Registry => registry ?? throw new InvalidOperationException("not started");

    protected TestBus Bus => bus ?? throw new InvalidOperationException("not started");

    protected ModelRegistryService.ModelRegistryServiceClient Client => new(Registry.Channel);

    protected LedgerService.LedgerServiceClient Ledger => new(LedgerService.Channel);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static Metadata As(string account, string role = Roles.User) => TestTokens.Bearer(account, role);

    /// <summary>Settings of the registry the base starts; a test class overrides to change configuration.</summary>
    protected virtual Dictionary<string, string?> RegistrySettings => [];

    public static Dictionary<string, string?> GenesisSettings => new()
    {
        ["Ledger:Genesis:Code"] = "POV",
        ["Ledger:Genesis:Name"] = "Perspective",
        ["Ledger:Genesis:Decimals"] = "6",
        ["Ledger:Genesis:Allocations:0:Account"] = "alice",
        ["Ledger:Genesis:Allocations:0:Amount"] = "1000000",
    };

    public virtual async ValueTask InitializeAsync()
    {
        Broker = await Infrastructure.RabbitMq.CreateVirtualHostAsync("test");
        ledger = await StartLedgerAsync(await Infrastructure.CreateDatabaseAsync("ledger"));
        registry = await StartRegistryAsync(await Infrastructure.CreateDatabaseAsync("registry"), LedgerService.Address, RegistrySettings);
        bus = await TestBus.StartAsync(Broker);
    }

    /// <summary>A Ledger with POV minted, ready once genesis is in the journal; <paramref name="url"/> pins its address.</summary>
    protected async Task<ServiceUnderTest> StartLedgerAsync(string database, string? url = null)
    {
        var settings = GenesisSettings;
        if (url is not null)
        {
            settings["Kestrel:Endpoints:Grpc:Url"] = url;
        }
        var service = await ServiceUnderTest.StartAsync(LedgerHost.Build, Infrastructure, database, settings: settings, broker: Broker);
        started.Add(service);
        var client = new LedgerService.LedgerServiceClient(service.Channel);
        await Eventually.WaitAsync(async () => (await client.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct)).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
        return service;
    }

    /// <summary>A registry on <paramref name="database"/> calling the Ledger at <paramref name="ledgerAddress"/>, on the test clock.</summary>
    protected async Task<ServiceUnderTest> StartRegistryAsync(string database, string ledgerAddress, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? []) { ["Services:Ledger"] = ledgerAddress };
        var service = await ServiceUnderTest.StartAsync(ModelRegistryHost.Build, Infrastructure, database, Configure, settings, Broker);
        started.Add(service);
        return service;
    }

    private void Configure(WebApplicationBuilder builder) => builder.Services.AddSingleton<TimeProvider>(Clock);

    public virtual async ValueTask DisposeAsync()
    {
        if (bus is not null)
        {
            await bus.DisposeAsync();
        }
        // Registries first: they call the Ledger.
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    protected static RegisterModelRequest NewModel(string name, string symbol, long supply = 1_000_000, string provider = "provider-1",
        long price = 25, UsageUnit unit = UsageUnit.Request, string? requestId = null) => new()
        {
            RequestId = requestId ?? Guid.NewGuid().ToString(),
            Name = name,
            Description = $"{name}, a model for tests",
            ProviderAccount = provider,
            Token = new TokenSpec { Symbol = symbol, Name = $"{name} token", Decimals = 6, TotalSupply = supply },
            Price = new Price { AmountPerUnit = price, Unit = unit },
        };

    protected async Task<Model> RegisterAsync(RegisterModelRequest request, string creator = "carol") =>
        (await Client.RegisterModelAsync(request, As(creator), cancellationToken: Ct)).Model;

    protected async Task<Model> GetAsync(string modelId) =>
        (await Client.GetModelAsync(new GetModelRequest { ModelId = modelId }, As("anyone"), cancellationToken: Ct)).Model;

    protected async Task<IReadOnlyList<ModelHistoryEntry>> HistoryAsync(string modelId) =>
        (await Client.GetModelHistoryAsync(new GetModelHistoryRequest { ModelId = modelId }, As("anyone"), cancellationToken: Ct)).Entries;

    protected async Task<long> LedgerBalanceAsync(string account, string asset) =>
        (await Ledger.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = asset }, As(account), cancellationToken: Ct)).Balance.Total;

    protected async Task<IReadOnlyList<string>> LedgerAssetCodesAsync() =>
        (await Ledger.ListAssetsAsync(new ListAssetsRequest(), As("anyone"), cancellationToken: Ct)).Assets.Select(a => a.Code).ToList();

    protected async Task<IReadOnlyList<Model>> AllModelsAsync(string creator = "") =>
        (await Client.ListModelsAsync(new ListModelsRequest { CreatorAccount = creator, PageSize = 1000 }, As("anyone"), cancellationToken: Ct)).Models;

    /// <summary>Events of a type the registry wrote to its outbox (deterministic counts, unlike watching the broker).</summary>
    protected Task<int> OutboxCountAsync<TEvent>() => RegistryScalarAsync<int>(
        "select count(*)::int from outbox_messages where message_type = @type", new { type = typeof(TEvent).FullName });

    protected async Task<T> RegistryScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var db = new NpgsqlConnection(Registry.DatabaseConnectionString);
        return (await db.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    /// <summary>Waits until the registry's consumer <typeparamref name="TConsumer"/> has taken <paramref name="count"/> messages.</summary>
    protected Task WaitConsumedAsync<TConsumer>(int count) => Eventually.WaitAsync(
        () => RegistryScalarAsync<int>("select count(*)::int from inbox_messages where consumer = @consumer", new { consumer = typeof(TConsumer).FullName }),
        consumed => consumed >= count, TimeSpan.FromSeconds(20), $"{count} message(s) consumed by {typeof(TConsumer).Name}");

    protected static async Task<RpcException> RejectedAsync<T>(AsyncUnaryCall<T> call) =>
        await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

    protected static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
