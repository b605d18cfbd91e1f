using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;
using PlatformApi = Perspective.Contracts.Platform.V1;
using SubDaoApi = Perspective.Contracts.SubDao.V1;

namespace Perspective.BadInput.Tests;

/// <summary>
/// Every mutating RPC of every service (a method whose request has a <c>request_id</c>), found in the proto descriptors,
/// gets every variant <see cref="Variants"/> derives from its valid <see cref="Baselines"/> request, and then its
/// request_id reused with one field changed. The rules, per case:
/// <list type="bullet">
/// <item>A refused variant answers INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS, OUT_OF_RANGE or
/// RESOURCE_EXHAUSTED — or PERMISSION_DENIED when the changed field held the caller's own account (it then names
/// someone else's, or no one's). Never INTERNAL, UNKNOWN or anything else.</item>
/// <item>INVALID_ARGUMENT names the field: its message contains the name of a field on the variant's path.</item>
/// <item>A refused variant changes nothing: the Ledger head (sequence and hash) and the digest of every table of the
/// called service's database (its requests table included) are what they were before.</item>
/// <item>A variant may be accepted only when <see cref="Accepted"/> says why that input is valid; otherwise acceptance
/// is a failure. After an accepted variant a fresh baseline is made.</item>
/// <item>The baseline sent, then the same request_id with one field changed: ALREADY_EXISTS, and nothing changed
/// after the baseline's own effect.</item>
/// </list>
/// </summary>
public sealed class BadInputTests(World world) : IClassFixture<World>
{
    private static readonly FileDescriptor[] Apis =
    [
        LedgerReflection.Descriptor,
        RegistryReflection.Descriptor,
        GatewayReflection.Descriptor,
        SubDaoApi.SubdaoReflection.Descriptor,
        PlatformApi.PlatformReflection.Descriptor,
        TreasuryReflection.Descriptor,
    ];

    /// <summary>Every method of every service whose request carries a request_id: the mutating RPCs.</summary>
    public static IEnumerable<MethodDescriptor> MutatingMethods =>
        Apis.SelectMany(file => file.Services).SelectMany(service => service.Methods).Where(m => m.InputType.FindFieldByName("request_id") is not null);

    public static TheoryData<string> MutatingRpcs => [.. MutatingMethods.Select(m => $"{m.Service.FullName}/{m.Name}")];

    /// <summary>
    /// (RPC, field path, variant kind) accepted as valid input, with the reason. Paths use proto names; a path that ends in
    /// "*" matches any field below.
    /// </summary>
    private static readonly Dictionary<(string Rpc, string Path, string Kind), string> Accepted = new()
    {
        // Optional free text: empty is "none".
        [("LedgerService/Transfer", "memo", "empty")] = "memo is optional",
        [("LedgerService/TransferBatch", "legs[0].memo", "empty")] = "memo is optional",
        [("LedgerService/CreateHold", "memo", "empty")] = "memo is optional",
        [("LedgerService/Lock", "memo", "empty")] = "memo is optional",
        [("LedgerService/CreateSwapOffer", "memo", "empty")] = "memo is optional",
        [("ModelRegistryService/RegisterModel", "description", "empty")] = "description is at most 4,000 characters, none is fine",
        [("ModelRegistryService/UpdateModelMetadata", "description", "empty")] = "a present empty description clears it",
        [("ModelRegistryService/RetireModel", "reason", "empty")] = "reason is optional",
        [("UsageGatewayService/CancelUsage", "reason", "empty")] = "reason is optional",
        [("SubDaoGovernanceService/CreateProposal", "description", "empty")] = "description is at most 10,000 characters, none is fine",
        [("SubDaoGovernanceService/CancelProposal", "reason", "empty")] = "reason is optional",
        [("SubDaoGovernanceService/CastVote", "reason", "empty")] = "reason is optional",
        [("PlatformGovernanceService/CreateProposal", "description", "empty")] = "description is at most 10,000 characters, none is fine",
        [("PlatformGovernanceService/CancelProposal", "reason", "empty")] = "reason is optional",
        [("PlatformGovernanceService/CastVote", "reason", "empty")] = "reason is optional",
        // An account needs no registration (an account never seen has zero balances): crediting, naming as the only
        // taker, as provider or as a spend's recipient an account that never appeared is valid.
        [("LedgerService/CreateAsset", "initial_holder_account", "unknown")] = "any account may receive the supply",
        [("LedgerService/Transfer", "to_account", "unknown")] = "any account may be credited",
        [("LedgerService/TransferBatch", "legs[0].to_account", "unknown")] = "any account may be credited",
        [("LedgerService/CreateHold", "to_account", "unknown")] = "any account may be credited",
        [("LedgerService/CreateSwapOffer", "counterparty_account", "unknown")] = "any account may be the only taker",
        [("ModelRegistryService/RegisterModel", "provider_account", "unknown")] = "any account may serve a model",
        [("ModelRegistryService/UpdateModelMetadata", "provider_account", "unknown")] = "any account may serve a model",
        [("SubDaoGovernanceService/CreateProposal", "actions[0].treasury_spend.recipient_account", "unknown")] = "any account may receive a spend",
        // Optional fields and documented ranges that include the probe.
        [("LedgerService/CreateSwapOffer", "counterparty_account", "empty")] = "no counterparty: anyone may accept",
        [("UsageGatewayService/SetAllowance", "expires_at", "missing")] = "no expiry",
        [("UsageGatewayService/SetAllowance", "cap_amount", "zero")] = "cap ≥ 0: zero allows nothing but keeps the record",
        [("LedgerService/CreateAsset", "decimals", "zero")] = "decimals 0–9",
        [("ModelRegistryService/RegisterModel", "price.amount_per_unit", "zero")] = "price ≥ 0: a free model",
        [("SubDaoGovernanceService/CreateProposal", "actions[1].set_usage_fee.amount_per_unit", "zero")] = "a fee ≥ 0, as a price",
        // The type's maximum where it is a valid value: no arithmetic at this call can overflow with it (a supply minted
        // once against issuance, a cap or an asking price compared with, a fee or a spend checked when used).
        [("UsageGatewayService/SetAllowance", "cap_amount", "max")] = "a cap of int64.MaxValue is \"no practical limit\"",
        [("LedgerService/CreateAsset", "total_supply", "max")] = "any positive supply: issuance goes to -MaxValue, the sum stays 0",
        [("ModelRegistryService/RegisterModel", "token.total_supply", "max")] = "as CreateAsset",
        [("ModelRegistryService/RegisterModel", "price.amount_per_unit", "max")] = "price ≥ 0; a charge that overflows is refused at charge time",
        [("LedgerService/CreateSwapOffer", "want_amount", "max")] = "any positive asking price; the taker's balance is checked on accept",
        [("SubDaoGovernanceService/CreateProposal", "actions[0].treasury_spend.amount", "max")] = "a spend is checked against the treasury when executed",
        [("SubDaoGovernanceService/CreateProposal", "actions[1].set_usage_fee.amount_per_unit", "max")] = "no fee limit set by the platform; as a price",
    };

    private static readonly StatusCode[] Refusals =
    [
        StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.FailedPrecondition, StatusCode.AlreadyExists, StatusCode.OutOfRange,
        StatusCode.ResourceExhausted,
    ];

    [Fact]
    public void Every_service_has_its_mutating_rpcs_found_and_each_has_a_baseline()
    {
        var rpcs = MutatingMethods.Select(m => $"{m.Service.FullName}/{m.Name}").ToList();
        Assert.True(rpcs.Count >= 26, $"only {rpcs.Count} mutating RPCs found");
        Assert.Equal([], rpcs.Where(rpc => !Baselines.Factories.ContainsKey(rpc)).ToList());
        Assert.Equal([], Baselines.Factories.Keys.Where(rpc => !rpcs.Contains(rpc)).ToList());
    }

    [Theory]
    [MemberData(nameof(MutatingRpcs))]
    public async Task Bad_input_is_refused_naming_the_field_and_changes_nothing(string rpc)
    {
        var method = MutatingMethods.Single(m => $"{m.Service.FullName}/{m.Name}" == rpc);
        Assert.True(Baselines.Factories.TryGetValue(rpc, out var factory), $"{rpc} has no valid baseline request in Baselines.Factories: add one");
        var host = world.Host(method.Service);
        var failures = new List<string>();

        var baseline = await factory(world);
        await world.SettleAsync();
        var variants = Variants.Derive(baseline.Request, world.Now);
        TestContext.Current.TestOutputHelper?.WriteLine($"{rpc}: {variants.Count} variants and the duplicate request id");
        foreach (var variant in variants)
        {
            var request = Variants.Copy(baseline.Request);
            variant.Apply(request);
            if (variant.Path != "request_id")
            {
                // A fresh request id, so no variant is an idempotent repeat of another.
                request.Descriptor.FindFieldByName("request_id").Accessor.SetValue(request, World.NewId());
            }
            var before = await world.SnapshotAsync(host);
            var (code, detail, _) = await world.CallAsync(method, request, baseline.Caller);
            if (code == StatusCode.OK)
            {
                if (!IsAccepted(rpc, variant))
                {
                    failures.Add($"{variant}: accepted (OK), expected a refusal");
                }
                await world.SettleAsync();
                baseline = await factory(world);
                await world.SettleAsync();
                continue;
            }
            var permitted = Refusals.Contains(code) || (code == StatusCode.PermissionDenied && variant.BaselineValue == baseline.Caller.Subject);
            if (!permitted)
            {
                failures.Add($"{variant}: {code} \"{Short(detail)}\"");
            }
            else if (code == StatusCode.InvalidArgument && !variant.FieldNames.Any(name => detail.Contains(name, StringComparison.OrdinalIgnoreCase)))
            {
                failures.Add($"{variant}: INVALID_ARGUMENT without the field's name: \"{Short(detail)}\"");
            }
            var after = await world.SnapshotAsync(host);
            if (after != before)
            {
                failures.Add($"{variant}: {code} but changed state: before {before}, after {after}");
                await world.SettleAsync();
            }
        }

        // The duplicate request id with other content.
        var sent = await world.CallAsync(method, baseline.Request, baseline.Caller);
        if (sent.Code != StatusCode.OK)
        {
            failures.Add($"baseline refused: {sent.Code} \"{Short(sent.Detail)}\" — fix the baseline");
        }
        else if (Variants.ChangeOneField(baseline.Request) is not var (path, changed))
        {
            failures.Add("no field to change for the duplicate request id case");
        }
        else
        {
            await world.SettleAsync();
            var before = await world.SnapshotAsync(host);
            var (code, detail, _) = await world.CallAsync(method, changed, baseline.Caller);
            if (code != StatusCode.AlreadyExists)
            {
                failures.Add($"request_id reused with {path} changed: {code} \"{Short(detail)}\", expected ALREADY_EXISTS");
            }
            var after = await world.SnapshotAsync(host);
            if (after != before)
            {
                failures.Add($"request_id reused with {path} changed: changed state: before {before}, after {after}");
            }
        }
        await world.SettleAsync();

        Assert.True(failures.Count == 0, $"{rpc}: {failures.Count} of {variants.Count + 1} cases failed:\n" + string.Join('\n', failures));
    }

    private static bool IsAccepted(string rpc, Variant variant)
    {
        var method = rpc[(rpc.LastIndexOf('.') + 1)..];
        return Accepted.Keys.Any(key => key.Rpc == method && key.Kind == variant.Kind
            && (key.Path == variant.Path || (key.Path.EndsWith('*') && variant.Path.StartsWith(key.Path[..^1], StringComparison.Ordinal))));
    }

    private static string Short(string detail) => detail.Length <= 200 ? detail : detail[..200] + "…";
}
