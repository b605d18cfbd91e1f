using Google.Protobuf.Reflection;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Contracts.Treasury.V1;

namespace Perspective.ServiceDefaults.Auth;

/// <summary>
/// Who may call what: one <see cref="AccessRule"/> per RPC of the platform, the single table every service enforces
/// through <see cref="AccessInterceptor"/>. An RPC missing here is refused, and a service that maps one fails to start
/// (<see cref="AccessTableCheck"/>). It lives in the shared library, not in Contracts, because it names the roles and the
/// interceptor that enforces it are here; it still keys every rule by the generated descriptors, so a renamed or removed
/// RPC fails when this type loads. A new RPC gets its line here, with the <c>Roles:</c> comment of its proto.
/// </summary>
public sealed class AccessTable
{
    private static readonly string[] Any = [.. Auth.Roles.All];
    private static readonly string[] UserOrProvider = [Auth.Roles.User, Auth.Roles.Provider];
    private static readonly string[] ServiceOrAdmin = [Auth.Roles.Service, Auth.Roles.Admin];
    private static readonly string[] ServiceOnly = [Auth.Roles.Service];
    private static readonly string[] Movers = [Auth.Roles.User, Auth.Roles.Provider, Auth.Roles.Service];

    private readonly Dictionary<string, AccessRule> rules;

    public AccessTable(IEnumerable<AccessRule> rules)
    {
        this.rules = new Dictionary<string, AccessRule>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (!this.rules.TryAdd(rule.Method, rule))
            {
                throw new InvalidOperationException($"the access table has two rules for {rule.Method}");
            }
        }
    }

    /// <summary>The platform's table: the six services, health and reflection.</summary>
    public static AccessTable Platform { get; } = new(PlatformRules());

    public IReadOnlyCollection<AccessRule> Rules => rules.Values;

    /// <summary>The rule of <paramref name="method"/> (<c>/package.Service/Rpc</c>), or null: not in the table, refused.</summary>
    public AccessRule? Find(string method) => rules.GetValueOrDefault(method);

    /// <summary>This table with more rules (a test host's own service).</summary>
    public AccessTable With(IEnumerable<AccessRule> more) => new(rules.Values.Concat(more));

    private static IEnumerable<AccessRule> PlatformRules()
    {
        // Probes and generic tools; the endpoints opt out of authentication too (MapServiceDefaults).
        yield return Open(Grpc.Health.V1.Health.Descriptor, "Check");
        yield return Open(Grpc.Health.V1.Health.Descriptor, "Watch");
        yield return Open(Grpc.Reflection.V1Alpha.ServerReflection.Descriptor, "ServerReflectionInfo");
        yield return Open(Grpc.Reflection.V1.ServerReflection.Descriptor, "ServerReflectionInfo");

        // ------------------------------------------------------------------ Ledger
        var ledger = LedgerService.Descriptor;
        yield return Rule(ledger, "CreateAsset", ServiceOrAdmin);
        foreach (var read in (string[])["GetAsset", "ListAssets", "GetTransfer", "ListTransfers", "GetBalance", "ListBalances", "GetHold", "ListHolds",
                     "GetLock", "ListLocks", "GetSwapOffer", "ListSwapOffers", "GetBalanceAt", "GetSupplyAt", "ListHolders", "GetHead",
                     "GetJournalEntry", "ListJournal", "VerifyJournal"])
        {
            yield return Rule(ledger, read, Any);
        }
        // Moving value (ledger.proto): users and providers from their own account, a service from any (issuance accounts
        // never move by transfer). Admin is for bootstrap (CreateAsset) and moves nothing.
        yield return Rule(ledger, "Transfer", Movers, new OwnerRule("from_account", ServiceOnly));
        yield return Rule(ledger, "TransferBatch", Movers, new OwnerRule("legs.from_account", ServiceOnly));
        yield return Rule(ledger, "CreateHold", Movers, new OwnerRule("from_account", ServiceOnly));
        yield return Rule(ledger, "PostHold", Any, resource: ResourceRules.HoldCreatorOrService);
        yield return Rule(ledger, "VoidHold", Any, resource: ResourceRules.HoldCreatorOrService);
        // Locking and trading are commitments only a user or provider makes, for itself: no role acts for another account.
        yield return Rule(ledger, "Lock", UserOrProvider, new OwnerRule("account", []));
        yield return Rule(ledger, "Unlock", Any, resource: ResourceRules.LockOwnerOrService);
        yield return Rule(ledger, "CreateSwapOffer", UserOrProvider, new OwnerRule("maker_account", []));
        yield return Rule(ledger, "AcceptSwapOffer", UserOrProvider, new OwnerRule("taker_account", []), ResourceRules.OfferTaker);
        yield return Rule(ledger, "CancelSwapOffer", Any, resource: ResourceRules.OfferMaker);

        // ------------------------------------------------------------------ ModelRegistry
        var registry = ModelRegistryService.Descriptor;
        yield return Rule(registry, "RegisterModel", UserOrProvider);
        yield return Rule(registry, "GetModel", Any);
        yield return Rule(registry, "ListModels", Any);
        yield return Rule(registry, "GetModelHistory", Any);
        yield return Rule(registry, "UpdateModelMetadata", Any, resource: ResourceRules.ModelCreator);
        yield return Rule(registry, "RetireModel", Any, resource: ResourceRules.ModelCreator);

        // ------------------------------------------------------------------ UsageGateway
        var gateway = UsageGatewayService.Descriptor;
        // The payer of an allowance is always the caller: the requests carry no account.
        yield return Rule(gateway, "SetAllowance", UserOrProvider);
        yield return Rule(gateway, "RevokeAllowance", UserOrProvider);
        yield return Rule(gateway, "GetAllowance", Any, resource: ResourceRules.PayerOrProviderOfModel);
        yield return Rule(gateway, "ListAllowances", Any, new OwnerRule("payer_account", ServiceOrAdmin, EmptyIsCaller: true));
        yield return Rule(gateway, "ChargeUsage", [Auth.Roles.Provider], resource: ResourceRules.ProviderOfModel);
        yield return Rule(gateway, "AuthorizeUsage", [Auth.Roles.Provider], resource: ResourceRules.ProviderOfModel);
        yield return Rule(gateway, "SettleUsage", [Auth.Roles.Provider], resource: ResourceRules.ProviderOfAuthorization);
        yield return Rule(gateway, "CancelUsage", [Auth.Roles.Provider], resource: ResourceRules.ProviderOfAuthorization);
        yield return Rule(gateway, "GetPayment", Any, resource: ResourceRules.PayerOrProvider);
        yield return Rule(gateway, "GetUsageAuthorization", Any, resource: ResourceRules.PayerOrProvider);
        yield return Rule(gateway, "ListPayments", Any, resource: ResourceRules.PayerOrProviderOfModel);
        yield return Rule(gateway, "ListUsageAuthorizations", Any, resource: ResourceRules.PayerOrProviderOfModel);
        yield return Rule(gateway, "GetModelQuote", Any);

        // ------------------------------------------------------------------ governance: sub-DAOs and the platform DAO
        foreach (var dao in (ServiceDescriptor[])[SubDaoGovernanceService.Descriptor, PlatformGovernanceService.Descriptor])
        {
            // Proposing and voting are for token holders; services and admins hold no vote.
            yield return Rule(dao, "CreateProposal", UserOrProvider);
            yield return Rule(dao, "CastVote", UserOrProvider);
            yield return Rule(dao, "CancelProposal", Any, resource: ResourceRules.Proposer);
            foreach (var read in (string[])["GetDao", "GetProposal", "ListProposals", "GetVote", "ListVotes", "GetTally"])
            {
                yield return Rule(dao, read, Any);
            }
        }
        yield return Rule(SubDaoGovernanceService.Descriptor, "ListDaos", Any);
        foreach (var read in (string[])["GetParameter", "ListParameters", "GetStandard", "ListStandards"])
        {
            yield return Rule(PlatformGovernanceService.Descriptor, read, Any);
        }

        // ------------------------------------------------------------------ Treasury
        var treasury = TreasuryService.Descriptor;
        foreach (var read in (string[])["GetTreasury", "ListRevenue", "ListPayouts", "GetDistribution", "ListDistributions", "ListDistributionLines"])
        {
            yield return Rule(treasury, read, Any);
        }
        yield return Rule(treasury, "ReconcileTreasury", Any, resource: ResourceRules.ModelCreatorOrServiceOrAdmin);
    }

    /// <summary>A rule for <paramref name="service"/>'s RPC <paramref name="name"/>; an RPC the descriptor lacks fails here.</summary>
    public static AccessRule Rule(ServiceDescriptor service, string name, IReadOnlyList<string> roles, OwnerRule? owner = null, string? resource = null)
    {
        var method = service.FindMethodByName(name) ?? throw new InvalidOperationException($"{service.FullName} has no RPC {name}");
        if (owner is not null)
        {
            FieldPath(method.InputType, owner.Field);
        }
        return new AccessRule($"/{service.FullName}/{name}", roles, owner, resource);
    }

    private static AccessRule Open(ServiceDescriptor service, string name)
    {
        _ = service.FindMethodByName(name) ?? throw new InvalidOperationException($"{service.FullName} has no RPC {name}");
        return new AccessRule($"/{service.FullName}/{name}", [], Anonymous: true);
    }

    /// <summary>
    /// The fields of a dotted path (<c>legs.from_account</c>) from <paramref name="message"/>; every step but the last is a
    /// message, the last a string. A path that does not fit the message fails when the table is built.
    /// </summary>
    public static IReadOnlyList<FieldDescriptor> FieldPath(MessageDescriptor message, string path)
    {
        var fields = new List<FieldDescriptor>();
        var current = message;
        var steps = path.Split('.');
        for (var i = 0; i < steps.Length; i++)
        {
            var field = current?.FindFieldByName(steps[i]) ?? throw new InvalidOperationException($"{message.FullName} has no field {path}");
            var last = i == steps.Length - 1;
            if (last ? field.FieldType != FieldType.String : field.FieldType != FieldType.Message)
            {
                throw new InvalidOperationException($"{message.FullName}.{path}: '{steps[i]}' must be {(last ? "a string" : "a message")}");
            }
            fields.Add(field);
            current = last ? null : field.MessageType;
        }
        return fields;
    }
}
