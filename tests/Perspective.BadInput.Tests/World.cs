using System.Globalization;
using System.Text;
using Dapper;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Governance.Engine;
using Perspective.Ledger;
using Perspective.ModelRegistry;
using Perspective.PlatformGovernance;
using Perspective.ServiceDefaults.Auth;
using Perspective.SubDaoGovernance;
using Perspective.Testing;
using Perspective.Treasury;
using Perspective.UsageGateway;
using PlatformApi = Perspective.Contracts.Platform.V1;
using SubDaoApi = Perspective.Contracts.SubDao.V1;

namespace Perspective.BadInput.Tests;

/// <summary>Who makes a call: the JWT subject and its role.</summary>
public sealed record Caller(string Subject, string Role = Roles.User)
{
    public Metadata Headers => TestTokens.Bearer(Subject, Role);
}

/// <summary>
/// All six services in-process on one test virtual host and one fake clock, seeded with real state: POV holders, a
/// registered model with its AI token held by creator, voters and proposers, an allowance, an active proposal in the
/// model's sub-DAO and in the platform DAO, a released lock. Bad-input cases call the services through
/// <see cref="CallAsync"/>, generically from the proto descriptors, and compare <see cref="SnapshotAsync"/> before and after.
/// </summary>
public sealed class World(TestInfrastructure infrastructure) : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The model's AI-token supply, all minted to carol, its creator.</summary>
    public const long ModelSupply = 1_000_000;

    /// <summary>Accounts holding POV at genesis and the model's AI tokens before the proposals' snapshots, one per call that uses one up.</summary>
    public static readonly string[] PlatformVoters = [.. Enumerable.Range(1, 8).Select(i => $"pvoter{i}")];
    public static readonly string[] PlatformProposers = [.. Enumerable.Range(1, 8).Select(i => $"pproposer{i}")];
    public static readonly string[] SubDaoVoters = [.. Enumerable.Range(1, 8).Select(i => $"svoter{i}")];
    public static readonly string[] SubDaoProposers = [.. Enumerable.Range(1, 12).Select(i => $"sproposer{i}")];

    private readonly List<IAsyncDisposable> started = [];
    private readonly Queue<string> platformVoters = new(PlatformVoters);
    private readonly Queue<string> platformProposers = new(PlatformProposers);
    private readonly Queue<string> subDaoVoters = new(SubDaoVoters);
    private readonly Queue<string> subDaoProposers = new(SubDaoProposers);

    public FakeTimeProvider Clock { get; } = new(Start);

    public ServiceUnderTest Ledger { get; private set; } = null!;
    public ServiceUnderTest Registry { get; private set; } = null!;
    public ServiceUnderTest Gateway { get; private set; } = null!;
    public ServiceUnderTest SubDao { get; private set; } = null!;
    public ServiceUnderTest Platform { get; private set; } = null!;
    public ServiceUnderTest Treasury { get; private set; } = null!;

    public LedgerService.LedgerServiceClient LedgerClient => new(Ledger.Channel);
    public ModelRegistryService.ModelRegistryServiceClient RegistryClient => new(Registry.Channel);
    public UsageGatewayService.UsageGatewayServiceClient GatewayClient => new(Gateway.Channel);
    public SubDaoApi.SubDaoGovernanceService.SubDaoGovernanceServiceClient SubDaoClient => new(SubDao.Channel);
    public PlatformApi.PlatformGovernanceService.PlatformGovernanceServiceClient PlatformClient => new(Platform.Channel);

    /// <summary>The seeded model (creator carol, provider provider-1, 25 POV base units per request).</summary>
    public Model Model { get; private set; } = null!;

    /// <summary>The seeded model's sub-DAO proposal that is open for votes.</summary>
    public string ActiveSubDaoProposal { get; private set; } = "";

    /// <summary>The platform DAO proposal that is open for votes.</summary>
    public string ActivePlatformProposal { get; private set; } = "";

    /// <summary>alice's lock, past its time and released (Unlock of it is valid and changes nothing).</summary>
    public string ReleasedLock { get; private set; } = "";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public DateTimeOffset Now => Clock.GetUtcNow();

    public async ValueTask InitializeAsync()
    {
        var broker = await infrastructure.RabbitMq.CreateVirtualHostAsync("badinput");
        void FakeClock(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) => builder.Services.AddSingleton<TimeProvider>(Clock);

        var genesis = new Dictionary<string, string?>
        {
            ["Ledger:Genesis:Code"] = "POV",
            ["Ledger:Genesis:Name"] = "Perspective",
            ["Ledger:Genesis:Decimals"] = "6",
        };
        string[] povHolders = ["alice", "bob", .. PlatformVoters, .. PlatformProposers];
        for (var i = 0; i < povHolders.Length; i++)
        {
            genesis[$"Ledger:Genesis:Allocations:{i}:Account"] = povHolders[i];
            genesis[$"Ledger:Genesis:Allocations:{i}:Amount"] = (i == 0 ? 1_000_000_000_000_000 : 1_000_000_000).ToString(CultureInfo.InvariantCulture);
        }
        Ledger = await Track(ServiceUnderTest.StartAsync(LedgerHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("ledger"), FakeClock,
            genesis, broker));
        await Eventually.WaitAsync(async () => (await LedgerClient.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct)).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
        var ledgerAddress = new Dictionary<string, string?> { ["Services:Ledger"] = Ledger.Address };
        Registry = await Track(ServiceUnderTest.StartAsync(ModelRegistryHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("registry"),
            FakeClock, ledgerAddress, broker));
        Gateway = await Track(ServiceUnderTest.StartAsync(UsageGatewayHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("gateway"), FakeClock,
            new Dictionary<string, string?> { ["Services:Ledger"] = Ledger.Address, ["Services:ModelRegistry"] = Registry.Address }, broker));
        var governance = new Dictionary<string, string?>(ledgerAddress)
        {
            // Scheduler passes are run by the fixture: with the clock frozen nothing moves on its own.
            ["Governance:Scheduler:Enabled"] = "false",
        };
        foreach (var prefix in new[] { "Governance:DefaultSettings", "Governance:PlatformSettings" })
        {
            governance[$"{prefix}:VotingDelaySeconds"] = "60";
            governance[$"{prefix}:VotingPeriodSeconds"] = "3600";
            governance[$"{prefix}:QuorumBps"] = "2000";
            governance[$"{prefix}:PassThresholdBps"] = "5000";
            governance[$"{prefix}:ProposalThreshold"] = "1000";
            governance[$"{prefix}:ExecutionDelaySeconds"] = "600";
            governance[$"{prefix}:GracePeriodSeconds"] = "3600";
        }
        SubDao = await Track(ServiceUnderTest.StartAsync(SubDaoGovernanceHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("subdao"),
            FakeClock, governance, broker));
        Platform = await Track(ServiceUnderTest.StartAsync(PlatformGovernanceHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("platform"),
            FakeClock, governance, broker));
        Treasury = await Track(ServiceUnderTest.StartAsync(TreasuryHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("treasury"),
            FakeClock, ledgerAddress, broker));
        await SeedAsync();
    }

    private async Task SeedAsync()
    {
        // A lock that will be past its time once the clock moves to open the votes.
        var locked = await LedgerClient.LockAsync(new LockRequest
        {
            RequestId = NewId(),
            Account = "alice",
            Asset = "POV",
            Amount = 10,
            Until = Timestamp(Start.AddSeconds(30)),
        }, As("alice"), cancellationToken: Ct);
        ReleasedLock = locked.Lock.LockId;

        Model = (await RegistryClient.RegisterModelAsync(new RegisterModelRequest
        {
            RequestId = NewId(),
            Name = "Bad input model",
            Description = "the model every bad-input case refers to",
            ProviderAccount = "provider-1",
            Token = new TokenSpec { Symbol = "BADIN", Name = "Bad input token", Decimals = 0, TotalSupply = ModelSupply },
            Price = new Price { AmountPerUnit = 25, Unit = UsageUnit.Request },
        }, As("carol"), cancellationToken: Ct)).Model;
        await Eventually.WaitAsync(() => ExistsAsync(() => SubDaoClient.GetDaoAsync(new SubDaoApi.GetDaoRequest { ModelId = Model.ModelId }, As("anyone"),
            cancellationToken: Ct).ResponseAsync), exists => exists, TimeSpan.FromSeconds(30), "the model's sub-DAO");

        // AI tokens to voters, proposers and a swap taker, before the sub-DAO proposal's snapshot.
        var batch = new TransferBatchRequest { RequestId = NewId() };
        foreach (var (account, amount) in SubDaoVoters.Select(v => (v, 10_000L)).Concat(SubDaoProposers.Select(p => (p, 2_000L))).Append(("dave", 100_000L)))
        {
            batch.Legs.Add(new TransferLeg { TransferId = NewId(), FromAccount = "carol", ToAccount = account, Asset = Model.Token.Symbol, Amount = amount });
        }
        await LedgerClient.TransferBatchAsync(batch, As("carol"), cancellationToken: Ct);

        await GatewayClient.SetAllowanceAsync(new SetAllowanceRequest { RequestId = NewId(), ModelId = Model.ModelId, CapAmount = 1_000_000_000_000 },
            As("alice"), cancellationToken: Ct);

        ActiveSubDaoProposal = (await SubDaoClient.CreateProposalAsync(new SubDaoApi.CreateProposalRequest
        {
            RequestId = NewId(),
            ModelId = Model.ModelId,
            Title = "Open for votes",
            Description = "the proposal bad votes are cast on",
            Actions = { new SubDaoApi.SubDaoAction { Signal = new SignalAction() } },
        }, As("carol"), cancellationToken: Ct)).Proposal.ProposalId;
        ActivePlatformProposal = (await PlatformClient.CreateProposalAsync(new PlatformApi.CreateProposalRequest
        {
            RequestId = NewId(),
            Title = "Open for votes",
            Description = "the proposal bad votes are cast on",
            Actions = { new PlatformApi.PlatformAction { Signal = new SignalAction() } },
        }, As("alice"), cancellationToken: Ct)).Proposal.ProposalId;

        // Voting opens; the lock's time has passed. From here on the clock stands still.
        Clock.SetUtcNow(Start.AddSeconds(61));
        await SubDao.Services.GetRequiredService<ProposalScheduler>().RunOnceAsync(Ct);
        await Platform.Services.GetRequiredService<ProposalScheduler>().RunOnceAsync(Ct);
        await LedgerClient.UnlockAsync(new UnlockRequest { RequestId = NewId(), LockId = ReleasedLock }, As("alice"), cancellationToken: Ct);
        await Eventually.WaitAsync(async () => (await LedgerClient.GetLockAsync(new GetLockRequest { LockId = ReleasedLock }, As("alice"),
            cancellationToken: Ct)).Lock.Status, s => s == LockStatus.Released, TimeSpan.FromSeconds(20), "the lock released");
        await SettleAsync();
    }

    private static async Task<bool> ExistsAsync<T>(Func<Task<T>> read)
    {
        try
        {
            await read();
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
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
    }

    // ---------------------------------------------------------------- callers and one-use accounts

    public static Metadata As(string subject, string role = Roles.User) => TestTokens.Bearer(subject, role);

    public static string NewId() => Guid.NewGuid().ToString();

    public static Google.Protobuf.WellKnownTypes.Timestamp Timestamp(DateTimeOffset at) => Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(at);

    private static string Next(Queue<string> queue, string what) =>
        queue.TryDequeue(out var account) ? account : throw new InvalidOperationException($"no {what} left: add accounts to the seed");

    /// <summary>A platform voter who has not voted yet (POV at genesis, before the active proposal's snapshot).</summary>
    public string NextPlatformVoter() => Next(platformVoters, "platform voter");

    public string NextPlatformProposer() => Next(platformProposers, "platform proposer");

    public string NextSubDaoVoter() => Next(subDaoVoters, "sub-DAO voter");

    public string NextSubDaoProposer() => Next(subDaoProposers, "sub-DAO proposer");

    // ---------------------------------------------------------------- generic calls

    /// <summary>The service that serves <paramref name="service"/> (by its full proto name).</summary>
    public ServiceUnderTest Host(Google.Protobuf.Reflection.ServiceDescriptor service) => service.FullName switch
    {
        "perspective.ledger.v1.LedgerService" => Ledger,
        "perspective.registry.v1.ModelRegistryService" => Registry,
        "perspective.gateway.v1.UsageGatewayService" => Gateway,
        "perspective.subdao.v1.SubDaoGovernanceService" => SubDao,
        "perspective.platform.v1.PlatformGovernanceService" => Platform,
        "perspective.treasury.v1.TreasuryService" => Treasury,
        _ => throw new InvalidOperationException($"no host serves {service.FullName}"),
    };

    /// <summary>Calls <paramref name="method"/> with <paramref name="request"/>: the status code and detail (OK and the response on success).</summary>
    public async Task<(StatusCode Code, string Detail, IMessage? Response)> CallAsync(Google.Protobuf.Reflection.MethodDescriptor method, IMessage request, Caller caller)
    {
        var call = new Method<IMessage, IMessage>(MethodType.Unary, method.Service.FullName, method.Name,
            Marshallers.Create<IMessage>(m => m.ToByteArray(), _ => throw new NotSupportedException()),
            Marshallers.Create(m => m.ToByteArray(), bytes => method.OutputType.Parser.ParseFrom(bytes)));
        try
        {
            var response = await Host(method.Service).Channel.CreateCallInvoker().AsyncUnaryCall(call, null,
                new CallOptions(caller.Headers, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: Ct), request);
            return (StatusCode.OK, "", response);
        }
        catch (RpcException ex)
        {
            return (ex.StatusCode, ex.Status.Detail, null);
        }
    }

    // ---------------------------------------------------------------- state

    /// <summary>The Ledger head and a digest of every row of every table of one service's database.</summary>
    public sealed record State(long Sequence, string Hash, string Tables)
    {
        public override string ToString() => $"head {Sequence} {Hash[..Math.Min(12, Hash.Length)]}, tables {Tables}";
    }

    public async Task<State> SnapshotAsync(ServiceUnderTest service)
    {
        var head = await LedgerClient.GetHeadAsync(new GetHeadRequest(), As("anyone"), cancellationToken: Ct);
        return new State(head.Sequence, head.Hash, await DigestAsync(service.DatabaseConnectionString));
    }

    /// <summary>
    /// table=count:md5 of the rows in text form, for every base table of the public schema. No table is excluded: the
    /// world is settled (every outbox row sent, every consumer done) before a case, and with the clock frozen no
    /// background job has anything to do, so any difference was made by the request.
    /// </summary>
    public static async Task<string> DigestAsync(string connectionString)
    {
        await using var db = new NpgsqlConnection(connectionString);
        var tables = (await db.QueryAsync<string>(
            "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name")).ToList();
        var digest = new StringBuilder();
        foreach (var table in tables)
        {
            var (count, md5) = await db.QuerySingleAsync<(long, string)>(
                $"select count(*), coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from \"{table}\" t");
            digest.Append(CultureInfo.InvariantCulture, $"{table}={count}:{md5[..Math.Min(8, md5.Length)]} ");
        }
        return digest.ToString().TrimEnd();
    }

    /// <summary>Waits until every service has published its outbox and nothing changes in any database for a moment.</summary>
    public async Task SettleAsync()
    {
        ServiceUnderTest[] all = [Ledger, Registry, Gateway, SubDao, Platform, Treasury];
        async Task<string> ReadAsync()
        {
            var parts = new List<string>();
            foreach (var service in all)
            {
                await using var db = new NpgsqlConnection(service.DatabaseConnectionString);
                var unsent = await db.ExecuteScalarAsync<long>("select count(*) from outbox_messages where sent_at is null and parked_at is null");
                parts.Add(unsent > 0 ? $"unsent {unsent}" : await DigestAsync(service.DatabaseConnectionString));
            }
            return string.Join('\n', parts);
        }
        var previous = "";
        await Eventually.WaitAsync(async () =>
        {
            var now = await ReadAsync();
            var stable = now == previous && !now.Contains("unsent", StringComparison.Ordinal);
            previous = now;
            if (!stable)
            {
                await Task.Delay(150, Ct);
            }
            return stable;
        }, stable => stable, TimeSpan.FromSeconds(30), "the services settled");
    }
}
