using Dapper;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Governance.Engine;
using Perspective.ModelRegistry;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.PlatformGovernance.Tests;

/// <summary>
/// A real Ledger (POV at genesis: alice 600,000, bob 300,000, carol 100,000), a ModelRegistry calling it, and the
/// platform DAO calling the Ledger, on one test virtual host with a <see cref="TestBus"/>. The platform DAO runs on a
/// fake clock with its background scheduler off; a test moves the clock and runs passes (<see cref="StepAsync"/>).
/// Platform settings: 60 s delay, 1 h voting, 20 % quorum, majority, 1,000 POV to propose, 10 min timelock, 1 h grace.
/// </summary>
public abstract class PlatformTestBase(TestInfrastructure infrastructure) : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2031, 6, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly List<IAsyncDisposable> started = [];
    private TestBus? bus;

    protected TestInfrastructure Infrastructure { get; } = infrastructure;

    protected FakeTimeProvider Clock { get; } = new(Start);

    protected string Broker { get; private set; } = "";

    protected ServiceUnderTest LedgerHost { get; private set; } = null!;

    protected ServiceUnderTest Registry { get; private set; } = null!;

    protected ServiceUnderTest Platform { get; private set; } = null!;

    protected TestBus Bus => bus ?? throw new InvalidOperationException("not started");

    protected PlatformGovernanceService.PlatformGovernanceServiceClient Client => new(Platform.Channel);

    protected ModelRegistryService.ModelRegistryServiceClient Models => new(Registry.Channel);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static Metadata As(string account, string role = Roles.User) => TestTokens.Bearer(account, role);

    public virtual async ValueTask InitializeAsync()
    {
        Broker = await Infrastructure.RabbitMq.CreateVirtualHostAsync("test");
        LedgerHost = await Track(ServiceUnderTest.StartAsync(Perspective.Ledger.LedgerHost.Build, Infrastructure, await Infrastructure.CreateDatabaseAsync("ledger"),
            settings: new Dictionary<string, string?>
            {
                ["Ledger:Genesis:Code"] = "POV",
                ["Ledger:Genesis:Name"] = "Perspective",
                ["Ledger:Genesis:Decimals"] = "6",
                ["Ledger:Genesis:Allocations:0:Account"] = "alice",
                ["Ledger:Genesis:Allocations:0:Amount"] = "600000",
                ["Ledger:Genesis:Allocations:1:Account"] = "bob",
                ["Ledger:Genesis:Allocations:1:Amount"] = "300000",
                ["Ledger:Genesis:Allocations:2:Account"] = "carol",
                ["Ledger:Genesis:Allocations:2:Amount"] = "100000",
            }, broker: Broker));
        var ledger = new LedgerService.LedgerServiceClient(LedgerHost.Channel);
        await Eventually.WaitAsync(async () => (await ledger.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct)).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
        Registry = await Track(ServiceUnderTest.StartAsync(ModelRegistryHost.Build, Infrastructure, await Infrastructure.CreateDatabaseAsync("registry"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = LedgerHost.Address }, broker: Broker));
        Platform = await Track(ServiceUnderTest.StartAsync(PlatformGovernanceHost.Build, Infrastructure, await Infrastructure.CreateDatabaseAsync("platform"),
            builder => builder.Services.AddSingleton<TimeProvider>(Clock), new Dictionary<string, string?>
            {
                ["Services:Ledger"] = LedgerHost.Address,
                ["Governance:Scheduler:Enabled"] = "false",
                ["Governance:PlatformSettings:VotingDelaySeconds"] = "60",
                ["Governance:PlatformSettings:VotingPeriodSeconds"] = "3600",
                ["Governance:PlatformSettings:QuorumBps"] = "2000",
                ["Governance:PlatformSettings:PassThresholdBps"] = "5000",
                ["Governance:PlatformSettings:ProposalThreshold"] = "1000",
                ["Governance:PlatformSettings:ExecutionDelaySeconds"] = "600",
                ["Governance:PlatformSettings:GracePeriodSeconds"] = "3600",
            }, Broker));
        bus = await TestBus.StartAsync(Broker);
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

    protected async Task<Model> NewModelAsync(string symbol) =>
        (await Models.RegisterModelAsync(new RegisterModelRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Name = $"Model {symbol}",
            Description = "a model for platform governance tests",
            ProviderAccount = "provider-1",
            Token = new TokenSpec { Symbol = symbol, Name = $"{symbol} token", Decimals = 0, TotalSupply = 1000 },
            Price = new Price { AmountPerUnit = 10, Unit = UsageUnit.Request },
        }, As("dave"), cancellationToken: Ct)).Model;

    protected async Task<Model> ModelAsync(string modelId) =>
        (await Models.GetModelAsync(new GetModelRequest { ModelId = modelId }, As("anyone"), cancellationToken: Ct)).Model;

    protected static PlatformAction SetParameter(string key, ParameterValue value) =>
        new() { SetParameter = new SetParameterAction { Key = key, Value = value } };

    protected static CreateProposalRequest Proposal(params PlatformAction[] actions)
    {
        var request = new CreateProposalRequest { RequestId = Guid.NewGuid().ToString(), Title = "A platform proposal", Description = "why" };
        request.Actions.AddRange(actions);
        return request;
    }

    protected async Task<PlatformProposal> ProposeAsync(string proposer, params PlatformAction[] actions) =>
        (await Client.CreateProposalAsync(Proposal(actions), As(proposer), cancellationToken: Ct)).Proposal;

    protected async Task<PlatformProposal> GetAsync(string proposalId) =>
        (await Client.GetProposalAsync(new GetProposalRequest { ProposalId = proposalId }, As("anyone"), cancellationToken: Ct)).Proposal;

    protected async Task<CastVoteResponse> VoteAsync(string voter, string proposalId, VoteSupport support) =>
        await Client.CastVoteAsync(new CastVoteRequest { RequestId = Guid.NewGuid().ToString(), ProposalId = proposalId, Support = support }, As(voter),
            cancellationToken: Ct);

    protected Task<int> StepAsync() => Platform.Services.GetRequiredService<ProposalScheduler>().RunOnceAsync(Ct);

    protected async Task<int> AtAsync(DateTimeOffset at)
    {
        if (at > Clock.GetUtcNow())
        {
            Clock.SetUtcNow(at);
        }
        return await StepAsync();
    }

    protected static DateTimeOffset Time(Google.Protobuf.WellKnownTypes.Timestamp t) => t.ToDateTimeOffset();

    /// <summary>Proposes, has alice (60 % of POV) vote For, closes voting and runs the timelock out: the execution is requested.</summary>
    protected async Task<PlatformProposal> PassAndRequestAsync(params PlatformAction[] actions)
    {
        var p = await ProposeAsync("alice", actions);
        await AtAsync(Time(p.Timeline.VotingStartsAt));
        await VoteAsync("alice", p.ProposalId, VoteSupport.For);
        await AtAsync(Time(p.Timeline.VotingEndsAt));
        Assert.Equal(ProposalState.Succeeded, (await GetAsync(p.ProposalId)).State);
        await StepAsync();
        var queued = await GetAsync(p.ProposalId);
        Assert.Equal(ProposalState.Queued, queued.State);
        await AtAsync(Time(queued.Timeline.ExecutableAt));
        return await GetAsync(p.ProposalId);
    }

    protected Task<PlatformProposal> WaitStateAsync(string proposalId, ProposalState state) =>
        Eventually.WaitAsync(() => GetAsync(proposalId), p => p.State == state, TimeSpan.FromSeconds(20), $"proposal {proposalId} {state}");

    protected static async Task<RpcException> RejectedAsync<T>(AsyncUnaryCall<T> call) =>
        await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

    protected async Task<T> ScalarAsync<T>(ServiceUnderTest service, string sql, object? parameters = null)
    {
        await using var db = new NpgsqlConnection(service.DatabaseConnectionString);
        return (await db.ExecuteScalarAsync<T>(sql, parameters))!;
    }
}
