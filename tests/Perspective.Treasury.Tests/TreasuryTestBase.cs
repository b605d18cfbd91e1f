using System.Globalization;
using Dapper;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Perspective.Contracts.Events.Gateway.V1;
using Perspective.Contracts.Events.Registry.V1;
using Perspective.Contracts.Events.SubDao.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Ledger;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;
using Perspective.Treasury.Events;

namespace Perspective.Treasury.Tests;

/// <summary>A model set up for a test: its id, its AI token on the Ledger and its creator.</summary>
public sealed record TestModel(Guid Id, string Token, string Creator)
{
    public string ModelId => Id.ToString("D");

    public string TreasuryAccount => $"treasury:{ModelId}";
}

/// <summary>
/// A real Ledger (POV at genesis, held by alice) and a treasury that calls it, on one test virtual host with a
/// <see cref="TestBus"/> that publishes what the registry, the gateway and the sub-DAO would (ModelRegistered, UsagePaid,
/// ProposalExecutionRequested) and records the treasury's answers. The treasury runs on a fake clock.
/// </summary>
public abstract class TreasuryTestBase(TestInfrastructure infrastructure) : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>POV alice holds at genesis, enough for every test's treasuries.</summary>
    public const long AliceFunds = 1_000_000_000_000_000_000;

    private readonly List<IAsyncDisposable> started = [];
    private ServiceUnderTest? ledger;
    private ServiceUnderTest? treasury;
    private TestBus? bus;

    protected TestInfrastructure Infrastructure { get; } = infrastructure;

    protected FakeTimeProvider Clock { get; } = new(Start);

    protected string Broker { get; private set; } = "";

    protected string TreasuryDatabase { get; private set; } = "";

    protected ServiceUnderTest LedgerService => ledger ?? throw new InvalidOperationException("not started");

    protected ServiceUnderTest TreasuryService => treasury ?? throw new InvalidOperationException("not started");

    protected TestBus Bus => bus ?? throw new InvalidOperationException("not started");

    protected TreasuryService.TreasuryServiceClient Client => new(TreasuryService.Channel);

    protected LedgerService.LedgerServiceClient Ledger => new(LedgerService.Channel);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static Metadata As(string account, string role = Roles.User) => TestTokens.Bearer(account, role);

    protected static Metadata AsService => TestTokens.Bearer("service:test", Roles.Service);

    /// <summary>Settings of the treasury the base starts; a test class overrides to change configuration.</summary>
    protected virtual Dictionary<string, string?> TreasurySettings => [];

    public virtual async ValueTask InitializeAsync()
    {
        Broker = await Infrastructure.RabbitMq.CreateVirtualHostAsync("test");
        ledger = await StartLedgerAsync(await Infrastructure.CreateDatabaseAsync("ledger"));
        TreasuryDatabase = await Infrastructure.CreateDatabaseAsync("treasury");
        treasury = await StartTreasuryAsync();
        bus = await TestBus.StartAsync(Broker);
    }

    private async Task<ServiceUnderTest> StartLedgerAsync(string database)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ledger:Genesis:Code"] = "POV",
            ["Ledger:Genesis:Name"] = "Perspective",
            ["Ledger:Genesis:Decimals"] = "6",
            ["Ledger:Genesis:Allocations:0:Account"] = "alice",
            ["Ledger:Genesis:Allocations:0:Amount"] = AliceFunds.ToString(CultureInfo.InvariantCulture),
        };
        var service = await ServiceUnderTest.StartAsync(LedgerHost.Build, Infrastructure, database, settings: settings, broker: Broker);
        started.Add(service);
        var client = new LedgerService.LedgerServiceClient(service.Channel);
        await Eventually.WaitAsync(async () => (await client.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct)).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
        return service;
    }

    /// <summary>
    /// A treasury on the test database calling the test Ledger, on the test clock; <paramref name="configure"/> may replace
    /// services (a Ledger that stops halfway). The new host becomes <see cref="TreasuryService"/>.
    /// </summary>
    protected async Task<ServiceUnderTest> StartTreasuryAsync(Action<WebApplicationBuilder>? configure = null)
    {
        var settings = new Dictionary<string, string?>(TreasurySettings)
        {
            ["Services:Ledger"] = LedgerService.Address,
            ["Treasury:ExecutorPollIntervalMs"] = "100",
        };
        var service = await ServiceUnderTest.StartAsync(TreasuryHost.Build, Infrastructure, TreasuryDatabase, builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(Clock);
            configure?.Invoke(builder);
        }, settings, Broker);
        started.Add(service);
        treasury = service;
        return service;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (bus is not null)
        {
            await bus.DisposeAsync();
        }
        // Treasuries first: they call the Ledger.
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    // ------------------------------------------------------------------ models, tokens, holders

    protected static string Tag() => Guid.NewGuid().ToString("N")[..8];

    /// <summary>
    /// Creates an AI token on the Ledger (as the registry does), hands the supply out to <paramref name="holders"/> with
    /// TransferBatch (the creator keeps what is not handed out), announces ModelRegistered and waits for the treasury.
    /// </summary>
    protected async Task<TestModel> NewModelAsync(IReadOnlyList<(string Account, long Balance)> holders, int decimals = 6, long? supply = null)
    {
        var model = new TestModel(Guid.NewGuid(), $"T{Tag().ToUpperInvariant()}", $"creator-{Tag()}");
        long handedOut = 0;
        foreach (var (_, balance) in holders)
        {
            handedOut = checked(handedOut + balance);
        }
        var total = supply ?? Math.Max(handedOut, 1);
        await Ledger.CreateAssetAsync(new CreateAssetRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Code = model.Token,
            Name = $"{model.Token} token",
            Decimals = decimals,
            TotalSupply = total,
            InitialHolderAccount = model.Creator,
        }, AsService, cancellationToken: Ct);
        await MoveTokensAsync(model, model.Creator, holders);
        await RegisterAsync(model);
        return model;
    }

    /// <summary>Publishes ModelRegistered and waits until the treasury has opened the record.</summary>
    protected async Task RegisterAsync(TestModel model)
    {
        await Bus.PublishAsync(new ModelRegistered(model.ModelId, $"model {model.Token}", model.Creator, "provider-1", model.Token, 6, 1, 25,
            PriceUnit.Request, ModelStatus.Listed, Clock.GetUtcNow()));
        await Eventually.WaitAsync(() => TreasuryScalarAsync<int>("select count(*)::int from treasuries where model_id = @id and registered_at is not null",
            new { id = model.Id }), n => n == 1, TimeSpan.FromSeconds(20), "the treasury opened");
    }

    /// <summary>Moves AI tokens from one account to many in Ledger batches of at most 1000 legs.</summary>
    protected async Task MoveTokensAsync(TestModel model, string from, IReadOnlyList<(string Account, long Balance)> to)
    {
        foreach (var chunk in to.Where(h => h.Balance > 0).Chunk(1000))
        {
            var batch = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
            batch.Legs.AddRange(chunk.Select(h => new TransferLeg
            {
                TransferId = Guid.NewGuid().ToString(),
                FromAccount = from,
                ToAccount = h.Account,
                Asset = model.Token,
                Amount = h.Balance,
            }));
            await Ledger.TransferBatchAsync(batch, AsService, cancellationToken: Ct);
        }
    }

    /// <summary>Puts POV into the model's treasury from alice's genesis POV (a donation: not revenue).</summary>
    protected async Task FundTreasuryAsync(TestModel model, long amount) =>
        await Ledger.TransferAsync(new TransferRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = "alice",
            ToAccount = model.TreasuryAccount,
            Asset = "POV",
            Amount = amount,
            Memo = "funding for a test",
        }, As("alice"), cancellationToken: Ct);

    protected async Task<long> HeadAsync() => (await Ledger.GetHeadAsync(new GetHeadRequest(), As("anyone"), cancellationToken: Ct)).Sequence;

    protected async Task<long> PovAsync(string account) => await BalanceAsync(account, "POV");

    protected async Task<long> BalanceAsync(string account, string asset) =>
        (await Ledger.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = asset }, As("anyone"), cancellationToken: Ct)).Balance.Total;

    // ------------------------------------------------------------------ events

    /// <summary>A sub-DAO execution request of the model, as SubDaoGovernance publishes it.</summary>
    protected static ProposalExecutionRequested Execution(TestModel model, string proposalId, long snapshot, params SubDaoAction[] actions) =>
        new(proposalId, model.ModelId, snapshot, actions, Start);

    protected static SubDaoAction Spend(int index, string recipient, long amount, string purpose = "a grant") =>
        new(index, SubDaoActionKind.TreasurySpend, Recipient: recipient, AmountBaseUnits: amount, Purpose: purpose);

    protected static SubDaoAction Distribute(int index, long amount) => new(index, SubDaoActionKind.DistributeRewards, AmountBaseUnits: amount);

    protected static UsagePaid Paid(TestModel model, long amount, DateTimeOffset at, string? paymentId = null, string transferId = "", long sequence = 0) =>
        new(paymentId ?? Guid.NewGuid().ToString(), model.ModelId, "payer-1", "provider-1", 1, amount, transferId, sequence, at);

    /// <summary>Waits until the treasury's consumer <typeparamref name="TConsumer"/> has taken <paramref name="count"/> messages.</summary>
    protected Task WaitConsumedAsync<TConsumer>(int count) => Eventually.WaitAsync(
        () => TreasuryScalarAsync<int>("select count(*)::int from inbox_messages where consumer = @consumer", new { consumer = typeof(TConsumer).FullName }),
        consumed => consumed >= count, TimeSpan.FromSeconds(20), $"{count} message(s) consumed by {typeof(TConsumer).Name}");

    protected Task WaitExecutionsConsumedAsync(int count) => WaitConsumedAsync<SubDaoExecutionConsumer>(count);

    /// <summary>Waits until the distribution of the proposal's action reaches <paramref name="status"/>.</summary>
    protected async Task<Distribution> WaitDistributionAsync(string proposalId, int actionIndex, DistributionStatus status, TimeSpan? timeout = null)
    {
        var id = Domain.DerivedIds.Distribution(proposalId, actionIndex).ToString("D");
        return await Eventually.WaitAsync(async () =>
        {
            try
            {
                return (await Client.GetDistributionAsync(new GetDistributionRequest { DistributionId = id }, As("anyone"), cancellationToken: Ct)).Distribution;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return null;
            }
        }, d => d?.Status == status, timeout ?? TimeSpan.FromSeconds(30), $"distribution of {proposalId}/{actionIndex} {status}") ?? throw new InvalidOperationException();
    }

    protected async Task<IReadOnlyList<DistributionLine>> AllLinesAsync(string distributionId, int pageSize = 1000)
    {
        var lines = new List<DistributionLine>();
        var token = "";
        do
        {
            var page = await Client.ListDistributionLinesAsync(new ListDistributionLinesRequest { DistributionId = distributionId, PageSize = pageSize, PageToken = token },
                As("anyone"), cancellationToken: Ct);
            lines.AddRange(page.Lines);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return lines;
    }

    protected async Task<T> TreasuryScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var db = new NpgsqlConnection(TreasuryService.DatabaseConnectionString);
        return (await db.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    protected async Task TreasuryExecuteAsync(string sql, object? parameters = null)
    {
        await using var db = new NpgsqlConnection(TreasuryService.DatabaseConnectionString);
        await db.ExecuteAsync(sql, parameters);
    }

    /// <summary>Events of a type the treasury wrote to its outbox (deterministic counts, unlike watching the broker).</summary>
    protected Task<int> OutboxCountAsync<TEvent>() => TreasuryScalarAsync<int>(
        "select count(*)::int from outbox_messages where message_type = @type", new { type = typeof(TEvent).FullName });

    protected static async Task<RpcException> RejectedAsync<T>(AsyncUnaryCall<T> call) =>
        await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
}
