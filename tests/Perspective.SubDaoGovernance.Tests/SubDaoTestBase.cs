using System.Collections.Concurrent;
using System.Globalization;
using Dapper;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Governance.Engine;
using Perspective.Ledger;
using Perspective.ModelRegistry;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>
/// A real Ledger (POV at genesis), a ModelRegistry calling it, and the sub-DAO service calling the Ledger, on one test
/// virtual host with a <see cref="TestBus"/>. The sub-DAO runs on a fake clock with its background scheduler off: a
/// test moves time with <see cref="Clock"/> and runs scheduler passes itself (<see cref="StepAsync"/>), so every
/// state is observed exactly. Sub-DAO defaults: 60 s delay, 1 h voting, 20 % quorum, majority, 1,000 to propose,
/// 10 min timelock, 1 h grace.
/// </summary>
public abstract class SubDaoTestBase(TestInfrastructure infrastructure) : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);
    public const long Supply = 1_000_000;

    private readonly List<IAsyncDisposable> started = [];
    private TestBus? bus;

    protected TestInfrastructure Infrastructure { get; } = infrastructure;

    protected FakeTimeProvider Clock { get; } = new(Start);

    protected string Broker { get; private set; } = "";

    protected ServiceUnderTest LedgerHost { get; private set; } = null!;

    protected ServiceUnderTest Registry { get; private set; } = null!;

    protected ServiceUnderTest SubDao { get; private set; } = null!;

    protected string SubDaoDatabase { get; private set; } = "";

    protected TestBus Bus => bus ?? throw new InvalidOperationException("not started");

    protected SubDaoGovernanceService.SubDaoGovernanceServiceClient Client => new(SubDao.Channel);

    protected LedgerService.LedgerServiceClient Ledger => new(LedgerHost.Channel);

    protected ModelRegistryService.ModelRegistryServiceClient Models => new(Registry.Channel);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static Metadata As(string account, string role = Roles.User) => TestTokens.Bearer(account, role);

    public static Dictionary<string, string?> SubDaoSettings => new()
    {
        ["Governance:Scheduler:Enabled"] = "false",
        ["Governance:DefaultSettings:VotingDelaySeconds"] = "60",
        ["Governance:DefaultSettings:VotingPeriodSeconds"] = "3600",
        ["Governance:DefaultSettings:QuorumBps"] = "2000",
        ["Governance:DefaultSettings:PassThresholdBps"] = "5000",
        ["Governance:DefaultSettings:ProposalThreshold"] = "1000",
        ["Governance:DefaultSettings:ExecutionDelaySeconds"] = "600",
        ["Governance:DefaultSettings:GracePeriodSeconds"] = "3600",
        ["Governance:DefaultSettings:LateQuorumExtensionSeconds"] = "0",
    };

    /// <summary>Calls the sub-DAO services made to the Ledger, by gRPC method name.</summary>
    protected ConcurrentDictionary<string, int> LedgerCalls { get; } = new(StringComparer.Ordinal);

    private sealed class CountingHandler(ConcurrentDictionary<string, int> calls) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            calls.AddOrUpdate(request.RequestUri!.Segments[^1], 1, (_, n) => n + 1);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Settings a test class adds to the sub-DAO the base starts.</summary>
    protected virtual Dictionary<string, string?> ExtraSubDaoSettings => [];

    public virtual async ValueTask InitializeAsync()
    {
        Broker = await Infrastructure.RabbitMq.CreateVirtualHostAsync("test");
        LedgerHost = await StartLedgerAsync();
        Registry = await Track(ServiceUnderTest.StartAsync(ModelRegistryHost.Build, Infrastructure, await Infrastructure.CreateDatabaseAsync("registry"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = LedgerHost.Address }, broker: Broker));
        SubDaoDatabase = await Infrastructure.CreateDatabaseAsync("subdao");
        SubDao = await StartSubDaoAsync(ExtraSubDaoSettings);
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
            ["Ledger:Genesis:Allocations:0:Amount"] = "1000000",
        };
        var service = await Track(ServiceUnderTest.StartAsync(Perspective.Ledger.LedgerHost.Build, Infrastructure,
            await Infrastructure.CreateDatabaseAsync("ledger"), settings: settings, broker: Broker));
        var client = new LedgerService.LedgerServiceClient(service.Channel);
        await Eventually.WaitAsync(async () => (await client.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct)).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
        return service;
    }

    /// <summary>A sub-DAO service on the test's database (a second one is a replica).</summary>
    protected Task<ServiceUnderTest> StartSubDaoAsync(Dictionary<string, string?>? extra = null)
    {
        var settings = SubDaoSettings;
        settings["Services:Ledger"] = LedgerHost.Address;
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        return Track(ServiceUnderTest.StartAsync(SubDaoGovernanceHost.Build, Infrastructure, SubDaoDatabase, builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(Clock);
            // Counts the calls this service makes to the Ledger, by method (the gRPC client is named after its type).
            builder.Services.Configure<HttpClientFactoryOptions>(nameof(LedgerService.LedgerServiceClient),
                options => options.HttpMessageHandlerBuilderActions.Add(handlers => handlers.AdditionalHandlers.Add(new CountingHandler(LedgerCalls))));
        }, settings, Broker));
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
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    // ---------------- models and tokens ----------------

    /// <summary>Registers a model (carol is the creator and holds the whole AI-token supply) and waits for its sub-DAO.</summary>
    protected async Task<Model> NewModelAsync(string symbol, long price = 25, string creator = "carol")
    {
        var model = (await Models.RegisterModelAsync(new RegisterModelRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Name = $"Model {symbol}",
            Description = "a model for governance tests",
            ProviderAccount = "provider-1",
            Token = new TokenSpec { Symbol = symbol, Name = $"{symbol} token", Decimals = 0, TotalSupply = Supply },
            Price = new Price { AmountPerUnit = price, Unit = UsageUnit.Request },
        }, As(creator), cancellationToken: Ct)).Model;
        await Eventually.WaitAsync(() => DaoExistsAsync(model.ModelId), exists => exists, TimeSpan.FromSeconds(20), $"the sub-DAO of {symbol}");
        return model;
    }

    private async Task<bool> DaoExistsAsync(string modelId)
    {
        try
        {
            await Client.GetDaoAsync(new GetDaoRequest { ModelId = modelId }, As("anyone"), cancellationToken: Ct);
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
    }

    protected async Task<long> SendAsync(string from, string to, string asset, long amount) =>
        (await Ledger.TransferAsync(new TransferRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = from,
            ToAccount = to,
            Asset = asset,
            Amount = amount,
        }, As(from), cancellationToken: Ct)).Transfer.Receipt.Sequence;

    protected async Task<long> HeadAsync() => (await Ledger.GetHeadAsync(new GetHeadRequest(), As("anyone"), cancellationToken: Ct)).Sequence;

    // ---------------- proposals and votes ----------------

    protected static SubDaoAction Fee(long amount) => new() { SetUsageFee = new SetUsageFeeAction { AmountPerUnit = amount } };

    protected static SubDaoAction Signal() => new() { Signal = new SignalAction() };

    protected static SubDaoAction Spend(string recipient, long amount) =>
        new() { TreasurySpend = new TreasurySpendAction { RecipientAccount = recipient, Amount = amount, Purpose = "hosting" } };

    protected static CreateProposalRequest Proposal(string modelId, params SubDaoAction[] actions)
    {
        var request = new CreateProposalRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = modelId,
            Title = "A proposal",
            Description = "what and why",
        };
        request.Actions.AddRange(actions);
        return request;
    }

    protected async Task<SubDaoProposal> ProposeAsync(string proposer, CreateProposalRequest request) =>
        (await Client.CreateProposalAsync(request, As(proposer), cancellationToken: Ct)).Proposal;

    protected Task<SubDaoProposal> ProposeAsync(string proposer, string modelId, params SubDaoAction[] actions) =>
        ProposeAsync(proposer, Proposal(modelId, actions));

    protected static CastVoteRequest Ballot(string proposalId, VoteSupport support, string reason = "") => new()
    {
        RequestId = Guid.NewGuid().ToString(),
        ProposalId = proposalId,
        Support = support,
        Reason = reason,
    };

    protected async Task<CastVoteResponse> VoteAsync(string voter, string proposalId, VoteSupport support, string reason = "") =>
        await Client.CastVoteAsync(Ballot(proposalId, support, reason), As(voter), cancellationToken: Ct);

    protected async Task<SubDaoProposal> GetAsync(string proposalId) =>
        (await Client.GetProposalAsync(new GetProposalRequest { ProposalId = proposalId }, As("anyone"), cancellationToken: Ct)).Proposal;

    protected async Task<Tally> TallyAsync(string proposalId) =>
        (await Client.GetTallyAsync(new GetTallyRequest { ProposalId = proposalId }, As("anyone"), cancellationToken: Ct)).Tally;

    protected async Task<ModelDao> DaoAsync(string modelId) =>
        (await Client.GetDaoAsync(new GetDaoRequest { ModelId = modelId }, As("anyone"), cancellationToken: Ct)).Dao;

    /// <summary>One scheduler pass of the sub-DAO service (as its background loop would run it).</summary>
    protected Task<int> StepAsync(ServiceUnderTest? replica = null) =>
        (replica ?? SubDao).Services.GetRequiredService<ProposalScheduler>().RunOnceAsync(Ct);

    /// <summary>Moves the clock to <paramref name="at"/> (never back) and runs one scheduler pass.</summary>
    protected async Task<int> AtAsync(DateTimeOffset at)
    {
        if (at > Clock.GetUtcNow())
        {
            Clock.SetUtcNow(at);
        }
        return await StepAsync();
    }

    protected static DateTimeOffset Time(Google.Protobuf.WellKnownTypes.Timestamp timestamp) => timestamp.ToDateTimeOffset();

    /// <summary>Votes open: the clock at voting start and the proposal Active.</summary>
    protected async Task OpenAsync(SubDaoProposal p)
    {
        Assert.True(await AtAsync(Time(p.Timeline.VotingStartsAt)) >= 1);
        Assert.Equal(ProposalState.Active, (await GetAsync(p.ProposalId)).State);
    }

    /// <summary>Voting over: the clock at the (current) voting end and the result recorded.</summary>
    protected async Task<SubDaoProposal> CloseAsync(string proposalId)
    {
        var p = await GetAsync(proposalId);
        await AtAsync(Time(p.Timeline.VotingEndsAt));
        return await GetAsync(proposalId);
    }

    /// <summary>From Succeeded through Queued to the execution request at the end of the timelock.</summary>
    protected async Task<SubDaoProposal> ExecuteAsync(string proposalId)
    {
        await StepAsync();
        var queued = await GetAsync(proposalId);
        Assert.Equal(ProposalState.Queued, queued.State);
        await AtAsync(Time(queued.Timeline.ExecutableAt));
        return await GetAsync(proposalId);
    }

    protected Task<SubDaoProposal> WaitStateAsync(string proposalId, ProposalState state) =>
        Eventually.WaitAsync(() => GetAsync(proposalId), p => p.State == state, TimeSpan.FromSeconds(20), $"proposal {proposalId} {state}");

    protected static async Task<RpcException> RejectedAsync<T>(AsyncUnaryCall<T> call) =>
        await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

    protected async Task<T> SubDaoScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var db = new NpgsqlConnection(SubDao.DatabaseConnectionString);
        return (await db.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    /// <summary>Events of a type the sub-DAO wrote to its outbox (exact counts, unlike watching the broker).</summary>
    protected Task<int> OutboxCountAsync<TEvent>() => SubDaoScalarAsync<int>(
        "select count(*)::int from outbox_messages where message_type = @type", new { type = typeof(TEvent).FullName });

    protected Task<string> OutboxPayloadAsync<TEvent>() => SubDaoScalarAsync<string>(
        "select payload::text from outbox_messages where message_type = @type order by position desc limit 1", new { type = typeof(TEvent).FullName });

    protected static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
