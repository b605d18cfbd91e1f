using System.Globalization;
using Dapper;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Ledger;
using Perspective.ModelRegistry;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

/// <summary>
/// The payment path for real: a Ledger (POV at genesis: alice 1,000,000, bob 500,000), a ModelRegistry calling it,
/// and the gateway calling both, on one test virtual host with a <see cref="TestBus"/>. The gateway runs on a fake
/// clock (allowance and authorization expiry, rate limits, the recovery pass); the others on the real one. Every test
/// ends by checking that the Ledger conserved value and that no allowance has a reservation no open authorization or
/// pending payment explains.
/// </summary>
public abstract class GatewayTestBase(TestInfrastructure infrastructure) : IAsyncLifetime
{
    public const long AliceGenesis = 1_000_000;
    public const long BobGenesis = 500_000;
    public const string Provider = "provider-1";
    public const long Price = 10;

    private readonly List<IAsyncDisposable> started = [];
    private ServiceUnderTest? ledger;
    private ServiceUnderTest? registry;
    private TestBus? bus;

    protected TestInfrastructure Infrastructure { get; } = infrastructure;

    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected string Broker { get; private set; } = "";

    protected ServiceUnderTest LedgerHostUnderTest => ledger ?? throw new InvalidOperationException("not started");

    protected ServiceUnderTest Registry => registry ?? throw new InvalidOperationException("not started");

    protected ServiceUnderTest Gateway { get; set; } = null!;

    protected string GatewayDatabase { get; private set; } = "";

    protected TestBus Bus => bus ?? throw new InvalidOperationException("not started");

    protected UsageGatewayService.UsageGatewayServiceClient Client => new(Gateway.Channel);

    protected LedgerService.LedgerServiceClient Ledger => new(LedgerHostUnderTest.Channel);

    protected ModelRegistryService.ModelRegistryServiceClient Models => new(Registry.Channel);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static Metadata As(string account, string role = Roles.User) => TestTokens.Bearer(account, role);

    protected static Metadata AsProvider => TestTokens.Bearer(Provider, Roles.Provider);

    /// <summary>Gateway settings a test class overrides (rate limits).</summary>
    protected virtual Dictionary<string, string?> GatewaySettings => [];

    /// <summary>Whether the hosts collect traces (the trace test).</summary>
    protected virtual bool Telemetry => false;

    public virtual async ValueTask InitializeAsync()
    {
        Broker = await Infrastructure.RabbitMq.CreateVirtualHostAsync("test");
        ledger = await StartLedgerAsync();
        registry = await Track(ServiceUnderTest.StartAsync(ModelRegistryHost.Build, Infrastructure, await Infrastructure.CreateDatabaseAsync("registry"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = LedgerHostUnderTest.Address }, broker: Broker));
        GatewayDatabase = await Infrastructure.CreateDatabaseAsync("gateway");
        Gateway = await StartGatewayAsync();
        bus = await TestBus.StartAsync(Broker);
    }

    private async Task<ServiceUnderTest> StartLedgerAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ledger:Genesis:Code"] = "POV",
            ["Ledger:Genesis:Name"] = "Perspective",
            ["Ledger:Genesis:Decimals"] = "6",
            ["Ledger:Genesis:Allocations:0:Account"] = "alice",
            ["Ledger:Genesis:Allocations:0:Amount"] = AliceGenesis.ToString(CultureInfo.InvariantCulture),
            ["Ledger:Genesis:Allocations:1:Account"] = "bob",
            ["Ledger:Genesis:Allocations:1:Amount"] = BobGenesis.ToString(CultureInfo.InvariantCulture),
        };
        var service = await Track(ServiceUnderTest.StartAsync(WithTelemetry(LedgerHost.Build), Infrastructure, await Infrastructure.CreateDatabaseAsync("ledger"),
            ConfigureLedger, settings, Broker));
        var client = new LedgerService.LedgerServiceClient(service.Channel);
        await Eventually.WaitAsync(async () => (await client.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct)).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
        return service;
    }

    /// <summary>A gateway on the test's gateway database (a second one is a replica, or the same gateway after a restart).</summary>
    protected Task<ServiceUnderTest> StartGatewayAsync(string? ledgerAddress = null, FakeTimeProvider? clock = null)
    {
        var settings = new Dictionary<string, string?>(GatewaySettings)
        {
            ["Services:Ledger"] = ledgerAddress ?? LedgerHostUnderTest.Address,
            ["Services:ModelRegistry"] = Registry.Address,
        };
        return Track(ServiceUnderTest.StartAsync(WithTelemetry(UsageGatewayHost.Build), Infrastructure, GatewayDatabase, builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(clock ?? Clock);
            ConfigureGateway(builder);
        }, settings, Broker));
    }

    /// <summary>
    /// Telemetry:Enabled must be known when the host adds its defaults, before a test's settings are layered on, so it
    /// goes in as a command-line argument of that host alone.
    /// </summary>
    private BuildService WithTelemetry(BuildService build) =>
        Telemetry ? (args, configure) => build([.. args, "--Telemetry:Enabled=true"], configure) : build;

    protected virtual void ConfigureGateway(WebApplicationBuilder builder)
    {
    }

    protected virtual void ConfigureLedger(WebApplicationBuilder builder)
    {
    }

    private async Task<ServiceUnderTest> Track(Task<ServiceUnderTest> starting)
    {
        var service = await starting;
        started.Add(service);
        return service;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (bus is not null)
        {
            await bus.DisposeAsync();
        }
        // Gateways first (they call the others), the Ledger last.
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].DisposeAsync();
        }
        if (ledger is not null)
        {
            await AssertLedgerConservedAsync(ledger.DatabaseConnectionString);
        }
        if (GatewayDatabase.Length > 0)
        {
            await AssertReservationsExplainedAsync(GatewayDatabase);
        }
        GC.SuppressFinalize(this);
    }

    private static async Task AssertLedgerConservedAsync(string database)
    {
        await using var db = new NpgsqlConnection(database);
        var sums = (await db.QueryAsync<(string Asset, decimal Sum)>("select asset, sum(total) from balances group by asset")).ToList();
        Assert.All(sums, s => Assert.Equal(0m, s.Sum));
    }

    /// <summary>Each allowance's reserved amount is exactly what its open authorizations and pending payments hold.</summary>
    private static async Task AssertReservationsExplainedAsync(string database)
    {
        await using var db = new NpgsqlConnection(database);
        var unexplained = await db.ExecuteScalarAsync<int>(
            """
            select count(*) from allowances a
            where a.reserved_amount <> coalesce((select sum(max_amount) from usage_authorizations u
                                                 where u.payer_account = a.payer_account and u.model_id = a.model_id and u.status in (0, 1, 5, 6, 7)), 0)
                                     + coalesce((select sum(amount) from payments p
                                                 where p.payer_account = a.payer_account and p.model_id = a.model_id and p.status = 1 and p.kind = 1), 0)
            """);
        Assert.Equal(0, unexplained);
    }

    // ---------------- helpers ----------------

    /// <summary>Registers a listed model charged <paramref name="price"/> POV base units per request, provided by <paramref name="provider"/>.</summary>
    protected async Task<Model> RegisterModelAsync(long price = Price, string provider = Provider, string creator = "carol")
    {
        var symbol = "M" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        return (await Models.RegisterModelAsync(new RegisterModelRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Name = $"model {symbol}",
            Description = "a model for gateway tests",
            ProviderAccount = provider,
            Token = new TokenSpec { Symbol = symbol, Name = $"{symbol} token", Decimals = 6, TotalSupply = 1_000_000 },
            Price = new Price { AmountPerUnit = price, Unit = UsageUnit.Request },
        }, As(creator), cancellationToken: Ct)).Model;
    }

    protected async Task<Allowance> AllowAsync(string payer, string modelId, long cap, DateTimeOffset? expiresAt = null)
    {
        var request = new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = modelId, CapAmount = cap };
        if (expiresAt is { } at)
        {
            request.ExpiresAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(at);
        }
        return (await Client.SetAllowanceAsync(request, As(payer), cancellationToken: Ct)).Allowance;
    }

    protected static ChargeUsageRequest Charge(string modelId, string payer, long units, string? requestId = null) => new()
    {
        RequestId = requestId ?? Guid.NewGuid().ToString(),
        ModelId = modelId,
        PayerAccount = payer,
        Units = units,
    };

    protected Task<ChargeUsageResponse> ChargeAsync(ChargeUsageRequest request) =>
        Client.ChargeUsageAsync(request, AsProvider, cancellationToken: Ct).ResponseAsync;

    protected async Task<Allowance> AllowanceAsync(string payer, string modelId) =>
        (await Client.GetAllowanceAsync(new GetAllowanceRequest { PayerAccount = payer, ModelId = modelId }, As(payer), cancellationToken: Ct)).Allowance;

    protected async Task<Contracts.Ledger.V1.Balance> BalanceAsync(string account) =>
        (await Ledger.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = "POV" }, As("anyone"), cancellationToken: Ct)).Balance;

    protected async Task<IReadOnlyList<Payment>> PaymentsOfAsync(string payer) =>
        (await Client.ListPaymentsAsync(new ListPaymentsRequest { PayerAccount = payer, PageSize = 1_000 }, As(payer), cancellationToken: Ct)).Payments;

    protected static async Task<RpcException> RejectedAsync(Task call) => await Assert.ThrowsAsync<RpcException>(() => call);

    protected static string Treasury(string modelId) => $"treasury:{modelId}";
}
