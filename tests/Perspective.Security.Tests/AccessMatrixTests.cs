using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.Security.Tests;

/// <summary>What the access table (and, for a named resource rule, the seeded state) says one caller's call must end as.</summary>
public enum Outcome
{
    Unauthenticated,
    Denied,
    Allowed,
}

/// <summary>
/// Every RPC found in the six services' descriptors × every caller of <see cref="Callers.All"/>, compared with
/// <see cref="AccessTable.Platform"/>: a denied call must end UNAUTHENTICATED or PERMISSION_DENIED, an allowed one must not
/// (it may end INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION…). One row per RPC; its failure lists every caller that got
/// the wrong answer, wrong allows first.
/// </summary>
public sealed class AccessMatrixTests(SecurityPlatform platform)
{
    public static TheoryData<string> Rpcs => [.. SecurityPlatform.AllMethods.Select(Requests.FullName)];

    [Theory]
    [MemberData(nameof(Rpcs))]
    public async Task Every_caller_gets_what_the_access_table_says(string rpc)
    {
        var method = SecurityPlatform.AllMethods.Single(m => Requests.FullName(m) == rpc);
        var rule = AccessTable.Platform.Find(rpc);
        Assert.NotNull(rule);
        var invoker = platform.HostOf(method).Channel.CreateCallInvoker();
        var wrongAllows = new List<string>();
        var wrongDenies = new List<string>();
        foreach (var caller in Callers.All)
        {
            var (expected, why) = Expect(rule, caller);
            var request = Requests.Build(platform, method, caller);
            var status = await Requests.CallAsync(invoker, method, request, caller.Headers, cancellationToken: TestContext.Current.CancellationToken);
            var line = $"{caller.Name}: expected {expected} ({why}), got {status.StatusCode} \"{status.Detail}\"";
            TestContext.Current.TestOutputHelper?.WriteLine(line);
            switch (expected)
            {
                case Outcome.Unauthenticated when status.StatusCode != StatusCode.Unauthenticated:
                case Outcome.Denied when !IsDenial(status.StatusCode, rule):
                    wrongAllows.Add(line);
                    break;
                case Outcome.Allowed when status.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied:
                    wrongDenies.Add(line);
                    break;
            }
        }
        Assert.True(wrongAllows.Count == 0 && wrongDenies.Count == 0,
            $"{rpc} ({rule}):\nwrong allows:\n  {string.Join("\n  ", wrongAllows)}\nwrong denies:\n  {string.Join("\n  ", wrongDenies)}");
    }

    [Fact]
    public void The_table_has_one_rule_for_every_rpc_of_the_descriptors_and_none_else()
    {
        var rpcs = SecurityPlatform.AllMethods.Select(Requests.FullName).ToHashSet(StringComparer.Ordinal);
        var ruled = AccessTable.Platform.Rules.Where(r => !r.Anonymous).Select(r => r.Method).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(79, rpcs.Count);
        Assert.Empty(rpcs.Except(ruled));
        Assert.Empty(ruled.Except(rpcs));
        // Only health and reflection are open to anyone.
        Assert.All(AccessTable.Platform.Rules.Where(r => r.Anonymous), r => Assert.StartsWith("/grpc.", r.Method, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_service_mapping_an_rpc_the_table_lacks_does_not_start()
    {
        var incomplete = new AccessTable(AccessTable.Platform.Rules.Where(r => !r.Method.EndsWith("/ReconcileTreasury", StringComparison.Ordinal)));
        var database = await platform.Infrastructure.CreateDatabaseAsync("treasury_no_rule");

        await using var app = Perspective.Treasury.TreasuryHost.Build(["--environment", "Testing"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
                ["ConnectionStrings:Database"] = database,
                ["ConnectionStrings:RabbitMq"] = platform.Broker,
                ["Auth:SigningKey"] = TestTokens.SigningKey,
                ["Services:Ledger"] = platform.Ledger.Address,
            });
            builder.Services.AddSingleton(incomplete);
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(TestContext.Current.CancellationToken));
        await app.StopAsync(TestContext.Current.CancellationToken);

        Assert.Contains("/perspective.treasury.v1.TreasuryService/ReconcileTreasury", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_rpc_missing_from_the_table_is_refused_for_every_caller()
    {
        // A host whose table lacks GetHead but that starts anyway (the start check is what refuses it in production).
        var table = new AccessTable(AccessTable.Platform.Rules.Where(r => !r.Method.EndsWith("/GetHead", StringComparison.Ordinal)));
        var interceptor = new AccessInterceptor(table);
        var method = SecurityPlatform.AllMethods.Single(m => m.Name == "GetHead");
        var context = new TestServerCallContext(Requests.FullName(method));

        var error = await Assert.ThrowsAsync<ServiceDefaults.Errors.DomainException>(() =>
            interceptor.UnaryServerHandler(new Contracts.Ledger.V1.GetHeadRequest(), context,
                (_, _) => Task.FromResult(new Contracts.Ledger.V1.GetHeadResponse())));

        Assert.Equal(ServiceDefaults.Errors.DomainErrorKind.PermissionDenied, error.Kind);
        Assert.Contains("no rule in the access table", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The table's answer, with a named resource rule evaluated against the seeded state.</summary>
    private (Outcome, string) Expect(AccessRule rule, CallerCase caller)
    {
        if (!caller.ValidToken)
        {
            return (Outcome.Unauthenticated, "the token is not valid");
        }
        if (!caller.Roles.Any(Roles.All.Contains))
        {
            return (Outcome.Denied, "no role the platform knows");
        }
        if (!rule.Roles.Any(caller.Roles.Contains))
        {
            return (Outcome.Denied, $"needs role {string.Join("/", rule.Roles)}");
        }
        if (rule.Owner is { } owner && !owner.UnlessRoles.Any(caller.Roles.Contains) && caller.Owner != caller.Account)
        {
            return (Outcome.Denied, owner.ToString());
        }
        if (rule.Resource is { } resource)
        {
            return ResourceAllows(resource, rule, caller) ? (Outcome.Allowed, $"{resource} holds") : (Outcome.Denied, $"{resource} fails");
        }
        return (Outcome.Allowed, "the table allows it");
    }

    /// <summary>Whether the seeded state satisfies <paramref name="resource"/> for this caller (see <see cref="SecurityPlatform"/>).</summary>
    private static bool ResourceAllows(string resource, AccessRule rule, CallerCase caller)
    {
        var privileged = caller.Roles.Contains(Roles.Service) || caller.Roles.Contains(Roles.Admin);
        return resource switch
        {
            ResourceRules.ProviderOfModel or ResourceRules.ProviderOfAuthorization => caller.Account == SecurityPlatform.Provider,
            ResourceRules.PayerOrProviderOfModel => privileged || caller.Target == caller.Account || caller.Account == SecurityPlatform.Provider,
            ResourceRules.PayerOrProvider => privileged || caller.Account is "alice" or SecurityPlatform.Provider,
            ResourceRules.ModelCreator => caller.Account == SecurityPlatform.Creator,
            ResourceRules.ModelCreatorOrServiceOrAdmin => privileged || caller.Account == SecurityPlatform.Creator,
            // The seeded proposals are carol's (platform) and dave's (sub-DAO); neither is a caller here.
            ResourceRules.Proposer => false,
            ResourceRules.HoldCreatorOrService or ResourceRules.LockOwnerOrService => caller.Roles.Contains(Roles.Service) || caller.Account == "carol",
            ResourceRules.OfferMaker => caller.Account == "carol",
            // Carol's offer is addressed to dave.
            ResourceRules.OfferTaker => caller.Account == SecurityPlatform.Creator,
            _ => throw new InvalidOperationException($"{rule.Method}: the test does not know resource rule {resource}"),
        };
    }

    /// <summary>A refusal: PERMISSION_DENIED, or NOT_FOUND where the service hides what the caller may not see.</summary>
    private static bool IsDenial(StatusCode code, AccessRule rule) =>
        code == StatusCode.PermissionDenied || (code == StatusCode.NotFound && rule.Resource == ResourceRules.PayerOrProvider);
}
