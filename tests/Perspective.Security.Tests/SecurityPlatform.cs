using System.Globalization;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;
using Proto = Perspective.Contracts.Governance.V1;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Perspective.Security.Tests;

/// <summary>
/// The six services in-process on one RabbitMQ virtual host, each with its own database, their logs captured, and some
/// state that the resource rules act on: a model SEC registered by dave and served by <see cref="Provider"/>, alice's
/// allowance for it, a payment and a usage authorization of alice's, a hold, a lock and a swap offer of carol's (the
/// offer addressed to dave), a platform proposal by carol and a sub-DAO proposal by dave.
/// </summary>
public sealed class SecurityPlatform : IAsyncLifetime
{
    public const string Provider = "prov";
    public const string Creator = "dave";

    private readonly TestInfrastructure infrastructure = new();
    private readonly List<ServiceUnderTest> started = [];

    public LogCapture Logs { get; } = new();

    public ServiceUnderTest Ledger { get; private set; } = null!;
    public ServiceUnderTest Registry { get; private set; } = null!;
    public ServiceUnderTest Gateway { get; private set; } = null!;
    public ServiceUnderTest SubDao { get; private set; } = null!;
    public ServiceUnderTest Platform { get; private set; } = null!;
    public ServiceUnderTest Treasury { get; private set; } = null!;

    public TestInfrastructure Infrastructure => infrastructure;

    public string Broker { get; private set; } = "";

    public string ModelId { get; private set; } = "";
    public string ModelToken { get; private set; } = "";
    public string PaymentId { get; private set; } = "";
    public string AuthorizationId { get; private set; } = "";
    public string HoldId { get; private set; } = "";
    public string LockId { get; private set; } = "";
    public string OfferId { get; private set; } = "";
    public string PlatformProposalId { get; private set; } = "";
    public string SubDaoProposalId { get; private set; } = "";

    /// <summary>The six APIs from the generated descriptors, each with the service that serves it.</summary>
    public IReadOnlyList<(ServiceDescriptor Api, ServiceUnderTest Host)> Apis =>
    [
        (LedgerReflection.Descriptor.Services[0], Ledger),
        (RegistryReflection.Descriptor.Services[0], Registry),
        (GatewayReflection.Descriptor.Services[0], Gateway),
        (SubdaoReflection.Descriptor.Services[0], SubDao),
        (PlatformReflection.Descriptor.Services[0], Platform),
        (TreasuryReflection.Descriptor.Services[0], Treasury),
    ];

    /// <summary>Every RPC of the platform, from the proto files' descriptors (not a hand list).</summary>
    public static IEnumerable<MethodDescriptor> AllMethods =>
        new[] { LedgerReflection.Descriptor, RegistryReflection.Descriptor, GatewayReflection.Descriptor, SubdaoReflection.Descriptor,
                PlatformReflection.Descriptor, TreasuryReflection.Descriptor }
            .SelectMany(file => file.Services).SelectMany(service => service.Methods);

    public ServiceUnderTest HostOf(MethodDescriptor method) => Apis.Single(a => a.Api.FullName == method.Service.FullName).Host;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Metadata As(string account, string role = Roles.User) => TestTokens.Bearer(account, role);

    public async ValueTask InitializeAsync()
    {
        await infrastructure.InitializeAsync();
        Broker = await infrastructure.RabbitMq.CreateVirtualHostAsync("security");
        var accounts = new[] { "alice", "bob", "carol", Creator, Provider, "prov-other" };
        var genesis = new Dictionary<string, string?>
        {
            ["Ledger:Genesis:Code"] = "POV",
            ["Ledger:Genesis:Name"] = "Perspective",
            ["Ledger:Genesis:Decimals"] = "6",
        };
        for (var i = 0; i < accounts.Length; i++)
        {
            genesis[$"Ledger:Genesis:Allocations:{i}:Account"] = accounts[i];
            genesis[$"Ledger:Genesis:Allocations:{i}:Amount"] = "1000000000000";
        }
        Ledger = await StartAsync(Perspective.Ledger.LedgerHost.Build, "ledger", genesis);
        var ledger = new LedgerService.LedgerServiceClient(Ledger.Channel);
        await Eventually.WaitAsync(async () => (await ledger.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct)).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
        var toLedger = new Dictionary<string, string?> { ["Services:Ledger"] = Ledger.Address };
        Registry = await StartAsync(Perspective.ModelRegistry.ModelRegistryHost.Build, "registry", toLedger);
        Gateway = await StartAsync(Perspective.UsageGateway.UsageGatewayHost.Build, "gateway",
            new Dictionary<string, string?>(toLedger) { ["Services:ModelRegistry"] = Registry.Address });
        SubDao = await StartAsync(Perspective.SubDaoGovernance.SubDaoGovernanceHost.Build, "subdao", new Dictionary<string, string?>(toLedger)
        {
            ["Governance:Scheduler:Enabled"] = "false",
            ["Governance:DefaultSettings:ProposalThreshold"] = "1000",
        });
        Platform = await StartAsync(Perspective.PlatformGovernance.PlatformGovernanceHost.Build, "platform", new Dictionary<string, string?>(toLedger)
        {
            ["Governance:Scheduler:Enabled"] = "false",
            ["Governance:PlatformSettings:ProposalThreshold"] = "1000",
        });
        Treasury = await StartAsync(Perspective.Treasury.TreasuryHost.Build, "treasury", toLedger);
        await SeedAsync(ledger);
    }

    private async Task<ServiceUnderTest> StartAsync(BuildService build, string name, Dictionary<string, string?> settings)
    {
        // Information everywhere and Debug for authentication and gRPC: the paths a token passes through.
        settings["Logging:LogLevel:Default"] = "Information";
        settings["Logging:LogLevel:Microsoft.AspNetCore.Authentication"] = "Debug";
        settings["Logging:LogLevel:Microsoft.AspNetCore.Authorization"] = "Debug";
        settings["Logging:LogLevel:Grpc"] = "Debug";
        var service = await ServiceUnderTest.StartAsync(build, infrastructure, await infrastructure.CreateDatabaseAsync(name),
            builder => builder.Logging.AddProvider(Logs), settings, Broker);
        started.Add(service);
        return service;
    }

    private async Task SeedAsync(LedgerService.LedgerServiceClient ledger)
    {
        var expires = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(6));

        ModelToken = "SEC";
        var registry = new ModelRegistryService.ModelRegistryServiceClient(Registry.Channel);
        var model = (await registry.RegisterModelAsync(new RegisterModelRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Name = "Security model",
            Description = "a model for the authorization tests",
            ProviderAccount = Provider,
            Token = new TokenSpec { Symbol = ModelToken, Name = "SEC token", Decimals = 0, TotalSupply = 1_000_000 },
            Price = new Price { AmountPerUnit = 10, Unit = UsageUnit.Request },
        }, As(Creator), cancellationToken: Ct)).Model;
        ModelId = model.ModelId;

        var gateway = new UsageGatewayService.UsageGatewayServiceClient(Gateway.Channel);
        await Eventually.WaitAsync(async () =>
        {
            try
            {
                await gateway.SetAllowanceAsync(new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = ModelId, CapAmount = 1_000_000_000 },
                    As("alice"), cancellationToken: Ct);
                return true;
            }
            catch (RpcException)
            {
                return false;
            }
        }, ok => ok, TimeSpan.FromSeconds(30), "the gateway knowing the model (alice's allowance)");
        PaymentId = (await gateway.ChargeUsageAsync(new ChargeUsageRequest { RequestId = Guid.NewGuid().ToString(), ModelId = ModelId, PayerAccount = "alice", Units = 1 },
            As(Provider, Roles.Provider), cancellationToken: Ct)).Payment.PaymentId;
        AuthorizationId = (await gateway.AuthorizeUsageAsync(new AuthorizeUsageRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = ModelId,
            PayerAccount = "alice",
            MaxUnits = 5,
            TtlSeconds = 3600,
        }, As(Provider, Roles.Provider), cancellationToken: Ct)).Authorization.AuthorizationId;

        var carol = As("carol");
        HoldId = (await ledger.CreateHoldAsync(new CreateHoldRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = "carol",
            ToAccount = "bob",
            Asset = "POV",
            Amount = 5,
            ExpiresAt = expires,
        }, carol, cancellationToken: Ct)).Hold.HoldId;
        LockId = (await ledger.LockAsync(new LockRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Account = "carol",
            Asset = "POV",
            Amount = 5,
            Until = expires,
        }, carol, cancellationToken: Ct)).Lock.LockId;
        OfferId = (await ledger.CreateSwapOfferAsync(new CreateSwapOfferRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            MakerAccount = "carol",
            GiveAsset = "POV",
            GiveAmount = 5,
            WantAsset = ModelToken,
            WantAmount = 1,
            CounterpartyAccount = Creator,
            ExpiresAt = expires,
        }, carol, cancellationToken: Ct)).Offer.OfferId;

        var platform = new PlatformGovernanceService.PlatformGovernanceServiceClient(Platform.Channel);
        var platformProposal = new Contracts.Platform.V1.CreateProposalRequest { RequestId = Guid.NewGuid().ToString(), Title = "Seeded", Description = "for the access tests" };
        platformProposal.Actions.Add(new PlatformAction
        {
            SetParameter = new SetParameterAction { Key = "subdao_default_quorum_bps", Value = new ParameterValue { Int64Value = 3000 } },
        });
        PlatformProposalId = (await platform.CreateProposalAsync(platformProposal, carol, cancellationToken: Ct)).Proposal.ProposalId;

        var subDao = new SubDaoGovernanceService.SubDaoGovernanceServiceClient(SubDao.Channel);
        await Eventually.WaitAsync(async () =>
        {
            try
            {
                return (await subDao.GetDaoAsync(new Contracts.SubDao.V1.GetDaoRequest { ModelId = ModelId }, As("alice"), cancellationToken: Ct)).Dao.AcceptingProposals;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
        }, accepting => accepting, TimeSpan.FromSeconds(30), "the model's sub-DAO");
        var subDaoProposal = new Contracts.SubDao.V1.CreateProposalRequest { RequestId = Guid.NewGuid().ToString(), ModelId = ModelId, Title = "Seeded", Description = "x" };
        subDaoProposal.Actions.Add(new SubDaoAction { Signal = new Proto.SignalAction() });
        SubDaoProposalId = (await subDao.CreateProposalAsync(subDaoProposal, As(Creator), cancellationToken: Ct)).Proposal.ProposalId;

        var treasury = new TreasuryService.TreasuryServiceClient(Treasury.Channel);
        await Eventually.WaitAsync(async () =>
        {
            try
            {
                return (await treasury.GetTreasuryAsync(new GetTreasuryRequest { ModelId = ModelId }, As("alice"), cancellationToken: Ct)).Treasury.ModelId;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                return "";
            }
        }, id => id == ModelId, TimeSpan.FromSeconds(30), "the model's treasury");
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].DisposeAsync();
        }
        await infrastructure.DisposeAsync();
    }

    /// <summary>An id for a field that names state: the seeded one where there is one, else a fresh UUID nobody has.</summary>
    public string IdFor(MethodDescriptor method, string field) => field switch
    {
        "model_id" => ModelId,
        "payment_id" => PaymentId,
        "authorization_id" => AuthorizationId,
        "hold_id" => HoldId,
        "lock_id" => LockId,
        "offer_id" => OfferId,
        "proposal_id" => method.Service.FullName.Contains("subdao", StringComparison.Ordinal) ? SubDaoProposalId : PlatformProposalId,
        _ => Guid.NewGuid().ToString(),
    };

    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
