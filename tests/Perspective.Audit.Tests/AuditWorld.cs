using Dapper;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Governance.Engine;
using Perspective.Ledger;
using Perspective.ModelRegistry;
using Perspective.ServiceDefaults.Auth;
using Perspective.SubDaoGovernance;
using Perspective.Testing;
using Perspective.Treasury;
using Perspective.UsageGateway;

namespace Perspective.Audit.Tests;

/// <summary>
/// One small platform for the auditor to read, built once: the Ledger (POV at genesis, held by alice),
/// the registry, the gateway, the sub-DAO service and the treasury in-process on one broker. A model registered by carol
/// (provider-1 serves it at 25 POV a request), three charges and one metered settle paid by alice (250 POV of revenue),
/// a quarter of the AI tokens moved to dave, and a sub-DAO proposal that distributes 200 POV, voted, executed and paid.
/// The sub-DAO and the treasury run on a fake clock (the sub-DAO's scheduler is stepped by hand). Built once for the
/// <see cref="Collection"/>, whose tests run one after another.
/// </summary>
public sealed class AuditWorld(TestInfrastructure infrastructure) : IAsyncLifetime
{
    public const string Collection = "audit world";

    public const long Charge = 50;
    public const long Settled = 100;
    public const long Revenue = 3 * Charge + Settled;
    public const long Distributed = 200;
    public const long TokenSupply = 1_000_000;

    private readonly List<ServiceUnderTest> started = [];

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2031, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public ServiceUnderTest Ledger { get; private set; } = null!;

    public ServiceUnderTest Registry { get; private set; } = null!;

    public ServiceUnderTest Gateway { get; private set; } = null!;

    public ServiceUnderTest SubDao { get; private set; } = null!;

    public ServiceUnderTest Treasury { get; private set; } = null!;

    /// <summary>A database with an outbox table and no service behind it, so a row put there stays as it was put.</summary>
    public string IdleDatabase { get; private set; } = "";

    public string ModelId { get; private set; } = "";

    public string TokenSymbol { get; } = $"AU{Guid.NewGuid().ToString("N")[..6].ToUpperInvariant()}";

    public Distribution Distribution { get; private set; } = null!;

    public IReadOnlyList<Payment> Payments { get; private set; } = [];

    /// <summary>The auditor's view: admin token, every service database, nothing in flight after the setup settled.</summary>
    public AuditTargets Targets => new(Ledger.Address, Registry.Address, Gateway.Address, Treasury.Address, TestTokens.Create("auditor", [Roles.Admin]),
        new Dictionary<string, string>
        {
            ["ledger"] = Ledger.DatabaseConnectionString,
            ["registry"] = Registry.DatabaseConnectionString,
            ["gateway"] = Gateway.DatabaseConnectionString,
            ["subdao"] = SubDao.DatabaseConnectionString,
            ["treasury"] = Treasury.DatabaseConnectionString,
            ["platform"] = IdleDatabase,
        })
    { InFlightGrace = TimeSpan.Zero };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Metadata As(string account, string role = Roles.User) => TestTokens.Bearer(account, role);

    public async ValueTask InitializeAsync()
    {
        var broker = await infrastructure.RabbitMq.CreateVirtualHostAsync("audit");
        Ledger = await StartAsync(LedgerHost.Build, "ledger", broker, new()
        {
            ["Ledger:Genesis:Code"] = "POV",
            ["Ledger:Genesis:Name"] = "Perspective",
            ["Ledger:Genesis:Decimals"] = "6",
            ["Ledger:Genesis:Allocations:0:Account"] = "alice",
            ["Ledger:Genesis:Allocations:0:Amount"] = "1000000000",
        });
        await Eventually.WaitAsync(HeadAsync, head => head >= 1, TimeSpan.FromSeconds(30), "genesis");
        Registry = await StartAsync(ModelRegistryHost.Build, "registry", broker, new() { ["Services:Ledger"] = Ledger.Address });
        Gateway = await StartAsync(UsageGatewayHost.Build, "gateway", broker, new() { ["Services:Ledger"] = Ledger.Address, ["Services:ModelRegistry"] = Registry.Address });
        SubDao = await StartAsync(SubDaoGovernanceHost.Build, "subdao", broker, new()
        {
            ["Services:Ledger"] = Ledger.Address,
            ["Governance:Scheduler:Enabled"] = "false",
            ["Governance:DefaultSettings:VotingDelaySeconds"] = "60",
            ["Governance:DefaultSettings:VotingPeriodSeconds"] = "3600",
            ["Governance:DefaultSettings:QuorumBps"] = "2000",
            ["Governance:DefaultSettings:PassThresholdBps"] = "5000",
            ["Governance:DefaultSettings:ProposalThreshold"] = "1000",
            ["Governance:DefaultSettings:ExecutionDelaySeconds"] = "600",
            ["Governance:DefaultSettings:GracePeriodSeconds"] = "3600",
            ["Governance:DefaultSettings:LateQuorumExtensionSeconds"] = "0",
        }, fakeClock: true);
        Treasury = await StartAsync(TreasuryHost.Build, "treasury", broker, new()
        {
            ["Services:Ledger"] = Ledger.Address,
            ["Treasury:ExecutorPollIntervalMs"] = "100",
        }, fakeClock: true);
        IdleDatabase = await infrastructure.CreateDatabaseAsync("idle");
        await using (var idle = new NpgsqlConnection(IdleDatabase))
        {
            // The outbox table as Perspective.ServiceDefaults creates it (Migrations/0001_outbox_inbox.sql).
            await idle.ExecuteAsync("""
                create table outbox_messages (
                    position bigint generated always as identity primary key, id uuid not null unique, message_type text not null,
                    payload jsonb not null, created_at timestamptz not null, sent_at timestamptz, parked_at timestamptz,
                    attempts integer not null default 0, last_error text)
                """);
        }

        await RegisterModelAsync();
        await PayAsync();
        await DistributeAsync();
    }

    private async Task<ServiceUnderTest> StartAsync(BuildService build, string name, string broker, Dictionary<string, string?> settings, bool fakeClock = false)
    {
        var service = await ServiceUnderTest.StartAsync(build, infrastructure, await infrastructure.CreateDatabaseAsync(name),
            fakeClock ? builder => builder.Services.AddSingleton<TimeProvider>(Clock) : null, settings, broker);
        started.Add(service);
        return service;
    }

    public async Task<long> HeadAsync() =>
        (await new LedgerService.LedgerServiceClient(Ledger.Channel).GetHeadAsync(new GetHeadRequest(), As("anyone"), cancellationToken: Ct)).Sequence;

    private async Task RegisterModelAsync()
    {
        var models = new ModelRegistryService.ModelRegistryServiceClient(Registry.Channel);
        ModelId = (await models.RegisterModelAsync(new RegisterModelRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Name = $"Model {TokenSymbol}",
            Description = "a model for the auditor's tests",
            ProviderAccount = "provider-1",
            Token = new TokenSpec { Symbol = TokenSymbol, Name = $"{TokenSymbol} token", Decimals = 0, TotalSupply = TokenSupply },
            Price = new Price { AmountPerUnit = 25, Unit = UsageUnit.Request },
        }, As("carol"), cancellationToken: Ct)).Model.ModelId;
        var dao = new SubDaoGovernanceService.SubDaoGovernanceServiceClient(SubDao.Channel);
        await Eventually.WaitAsync(() => Exists(() => dao.GetDaoAsync(new GetDaoRequest { ModelId = ModelId }, As("anyone"), cancellationToken: Ct)),
            found => found, TimeSpan.FromSeconds(20), "the model's sub-DAO");
        await Eventually.WaitAsync(() => Exists(() => TreasuryClient.GetTreasuryAsync(new GetTreasuryRequest { ModelId = ModelId }, As("anyone"), cancellationToken: Ct)),
            found => found, TimeSpan.FromSeconds(20), "the model's treasury");
    }

    private TreasuryService.TreasuryServiceClient TreasuryClient => new(Treasury.Channel);

    private static async Task<bool> Exists<T>(Func<AsyncUnaryCall<T>> call)
    {
        try
        {
            await call();
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Three charges and one metered settle, until the treasury has counted all four.</summary>
    private async Task PayAsync()
    {
        var gateway = new UsageGatewayService.UsageGatewayServiceClient(Gateway.Channel);
        var provider = As("provider-1", Roles.Provider);
        await gateway.SetAllowanceAsync(new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = ModelId, CapAmount = 1_000_000 },
            As("alice"), cancellationToken: Ct);
        var payments = new List<Payment>();
        for (var i = 0; i < 3; i++)
        {
            payments.Add((await gateway.ChargeUsageAsync(new ChargeUsageRequest { RequestId = Guid.NewGuid().ToString(), ModelId = ModelId, PayerAccount = "alice", Units = 2 },
                provider, cancellationToken: Ct)).Payment);
        }
        var authorization = (await gateway.AuthorizeUsageAsync(new AuthorizeUsageRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = ModelId,
            PayerAccount = "alice",
            MaxUnits = 10,
            TtlSeconds = 3600,
        }, provider, cancellationToken: Ct)).Authorization;
        payments.Add((await gateway.SettleUsageAsync(new SettleUsageRequest { RequestId = Guid.NewGuid().ToString(), AuthorizationId = authorization.AuthorizationId, UnitsUsed = 4 },
            provider, cancellationToken: Ct)).Payment);
        Assert.Equal([Charge, Charge, Charge, Settled], payments.Select(p => p.Amount));
        Payments = payments;
        await Eventually.WaitAsync(
            async () => (await TreasuryClient.GetTreasuryAsync(new GetTreasuryRequest { ModelId = ModelId }, As("anyone"), cancellationToken: Ct)).Treasury,
            t => t.LifetimeRevenue == Revenue && t.PaymentCount == 4, TimeSpan.FromSeconds(20), "the treasury counted every payment");
    }

    /// <summary>carol gives dave a quarter of the tokens, proposes to distribute 200 POV, votes it through; the treasury pays it.</summary>
    private async Task DistributeAsync()
    {
        var ledger = new LedgerService.LedgerServiceClient(Ledger.Channel);
        await ledger.TransferAsync(new TransferRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = "carol",
            ToAccount = "dave",
            Asset = TokenSymbol,
            Amount = TokenSupply / 4,
            Memo = "a quarter for dave",
        }, As("carol"), cancellationToken: Ct);

        var dao = new SubDaoGovernanceService.SubDaoGovernanceServiceClient(SubDao.Channel);
        var proposal = new CreateProposalRequest { RequestId = Guid.NewGuid().ToString(), ModelId = ModelId, Title = "Rewards", Description = "pay the holders" };
        proposal.Actions.Add(new SubDaoAction { DistributeRewards = new DistributeRewardsAction { Amount = Distributed } });
        var p = (await dao.CreateProposalAsync(proposal, As("carol"), cancellationToken: Ct)).Proposal;
        await AtAsync(p.Timeline.VotingStartsAt.ToDateTimeOffset());
        await dao.CastVoteAsync(new CastVoteRequest { RequestId = Guid.NewGuid().ToString(), ProposalId = p.ProposalId, Support = VoteSupport.For },
            As("carol"), cancellationToken: Ct);
        await AtAsync(p.Timeline.VotingEndsAt.ToDateTimeOffset());
        await StepAsync();
        var queued = (await dao.GetProposalAsync(new GetProposalRequest { ProposalId = p.ProposalId }, As("anyone"), cancellationToken: Ct)).Proposal;
        Assert.Equal(ProposalState.Queued, queued.State);
        await AtAsync(queued.Timeline.ExecutableAt.ToDateTimeOffset());

        Distribution = await Eventually.WaitAsync(
            async () => (await TreasuryClient.ListDistributionsAsync(new ListDistributionsRequest { ModelId = ModelId }, As("anyone"), cancellationToken: Ct)).Distributions.FirstOrDefault(),
            d => d?.Status == DistributionStatus.Completed, TimeSpan.FromSeconds(30), "the distribution completed") ?? throw new InvalidOperationException();
        await Eventually.WaitAsync(
            async () => (await dao.GetProposalAsync(new GetProposalRequest { ProposalId = p.ProposalId }, As("anyone"), cancellationToken: Ct)).Proposal.State,
            state => state == ProposalState.Executed, TimeSpan.FromSeconds(20), "the proposal executed");
    }

    private Task<int> StepAsync() => SubDao.Services.GetRequiredService<ProposalScheduler>().RunOnceAsync(Ct);

    private async Task AtAsync(DateTimeOffset at)
    {
        if (at > Clock.GetUtcNow())
        {
            Clock.SetUtcNow(at);
        }
        await StepAsync();
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].DisposeAsync();
        }
    }
}

[CollectionDefinition(AuditWorld.Collection)]
public sealed class AuditWorldCollection : ICollectionFixture<AuditWorld>;
