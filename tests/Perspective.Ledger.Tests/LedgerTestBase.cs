using Dapper;
using Grpc.Core;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.Ledger.Tests;

/// <summary>
/// A ledger with POV minted at genesis: alice 1,000,000, bob 500,000, carol 0 base units. Each test gets a fresh
/// database, and every test ends by checking conservation: Σ balances per asset = 0.
/// </summary>
public abstract class LedgerTestBase(TestInfrastructure infrastructure) : IAsyncLifetime
{
    public const long AliceGenesis = 1_000_000;
    public const long BobGenesis = 500_000;

    private ServiceUnderTest? ledger;

    protected TestInfrastructure Infrastructure { get; } = infrastructure;

    protected ServiceUnderTest Ledger => ledger ?? throw new InvalidOperationException("not started");

    protected LedgerService.LedgerServiceClient Client => new(Ledger.Channel);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static Metadata As(string account, string role = Roles.User) => TestTokens.Bearer(account, role);

    protected static Metadata AsService => TestTokens.Bearer("svc-gateway", Roles.Service);

    public static Dictionary<string, string?> GenesisSettings => new()
    {
        ["Ledger:Genesis:Code"] = "POV",
        ["Ledger:Genesis:Name"] = "Perspective",
        ["Ledger:Genesis:Decimals"] = "6",
        ["Ledger:Genesis:Allocations:0:Account"] = "alice",
        ["Ledger:Genesis:Allocations:0:Amount"] = AliceGenesis.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Ledger:Genesis:Allocations:1:Account"] = "bob",
        ["Ledger:Genesis:Allocations:1:Amount"] = BobGenesis.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public virtual async ValueTask InitializeAsync()
    {
        ledger = await StartLedgerAsync(await Infrastructure.CreateDatabaseAsync("ledger"));
        // Genesis is applied by the writer right after start; wait for it like a client would.
        await Eventually.WaitAsync(async () => (await Client.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct)).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
    }

    protected Task<ServiceUnderTest> StartLedgerAsync(string database) =>
        ServiceUnderTest.StartAsync(LedgerHost.Build, Infrastructure, database, Configure, settings: GenesisSettings);

    /// <summary>Lets a test class replace services, such as the clock.</summary>
    protected virtual void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder)
    {
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (ledger is not null)
        {
            await ledger.DisposeAsync();
            await AssertConservedAsync(ledger.DatabaseConnectionString);
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Σ balances per asset is exactly zero, and no account but issuance:* is below zero.</summary>
    protected static async Task AssertConservedAsync(string database)
    {
        await using var db = new NpgsqlConnection(database);
        var sums = (await db.QueryAsync<(string Asset, decimal Sum)>("select asset, sum(total) from balances group by asset")).ToList();
        Assert.All(sums, s => Assert.Equal(0m, s.Sum));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("select count(*) from balances where account not like 'issuance:%' and total - held - locked < 0"));
    }

    protected async Task<long> BalanceAsync(string account, string asset = "POV") =>
        (await Client.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = asset }, As(account), cancellationToken: Ct)).Balance.Total;

    protected async Task<long> HeadAsync() => (await Client.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct)).Sequence;

    protected static TransferRequest Pay(string from, string to, long amount, string? requestId = null, string asset = "POV", string memo = "") => new()
    {
        RequestId = requestId ?? Guid.NewGuid().ToString(),
        FromAccount = from,
        ToAccount = to,
        Asset = asset,
        Amount = amount,
        Memo = memo,
    };

    protected static async Task<RpcException> RejectedAsync<T>(AsyncUnaryCall<T> call) =>
        await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
}
