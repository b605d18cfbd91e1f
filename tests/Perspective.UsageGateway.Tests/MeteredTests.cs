using Grpc.Core;
using Perspective.Contracts.Events.Gateway.V1;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

public sealed class MeteredTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
    private AuthorizeUsageRequest Authorize(string modelId, long maxUnits, long ttlSeconds = 600, string payer = "alice") => new()
    {
        RequestId = Guid.NewGuid().ToString(),
        ModelId = modelId,
        PayerAccount = payer,
        MaxUnits = maxUnits,
        TtlSeconds = ttlSeconds,
    };

    private Task<AuthorizeUsageResponse> AuthorizeAsync(AuthorizeUsageRequest request) =>
        Client.AuthorizeUsageAsync(request, AsProvider, cancellationToken: Ct).ResponseAsync;

    private Task<SettleUsageResponse> SettleAsync(SettleUsageRequest request, Metadata? as_ = null) =>
        Client.SettleUsageAsync(request, as_ ?? AsProvider, cancellationToken: Ct).ResponseAsync;

    private static SettleUsageRequest Settle(string authorizationId, long units) =>
        new() { RequestId = Guid.NewGuid().ToString(), AuthorizationId = authorizationId, UnitsUsed = units };

    private async Task<UsageAuthorization> GetAsync(string authorizationId) =>
        (await Client.GetUsageAuthorizationAsync(new GetUsageAuthorizationRequest { AuthorizationId = authorizationId }, AsProvider, cancellationToken: Ct)).Authorization;

    [Fact]
    public async Task A_settle_under_the_request_id_of_a_charge_is_refused_and_changes_nothing()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var charge = new ChargeUsageRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, PayerAccount = "alice", Units = 2 };
        var charged = await Client.ChargeUsageAsync(charge, AsProvider, cancellationToken: Ct);
        var authorization = (await AuthorizeAsync(Authorize(model.ModelId, 50))).Authorization;
        var before = await BalanceAsync("alice");

        var reused = new SettleUsageRequest { RequestId = charge.RequestId, AuthorizationId = authorization.AuthorizationId, UnitsUsed = 30 };
        var refused = await Assert.ThrowsAsync<RpcException>(() => SettleAsync(reused));

        Assert.Equal(StatusCode.AlreadyExists, refused.StatusCode);
        Assert.Contains("request_id", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(UsageAuthorizationStatus.Authorized, (await GetAsync(authorization.AuthorizationId)).Status);
        var after = await BalanceAsync("alice");
        Assert.Equal((before.Total, before.Held), (after.Total, after.Held));
        // The charge still answers its own receipt.
        Assert.Equal(charged, await Client.ChargeUsageAsync(charge, AsProvider, cancellationToken: Ct));
        var allowance = await AllowanceAsync("alice", model.ModelId);
        Assert.Equal((20L, 500L), (allowance.UsedAmount, allowance.ReservedAmount));
    }

    [Fact]
    public async Task Authorize_holds_the_maximum_on_the_ledger_and_settle_charges_the_used_part_releases_the_rest_and_publishes_UsagePaid()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var paid = await Bus.ObserveAsync<UsagePaid>();

        var authorization = (await AuthorizeAsync(Authorize(model.ModelId, 50))).Authorization;

        Assert.Equal((UsageAuthorizationStatus.Authorized, 500L, Price), (authorization.Status, authorization.MaxAmount, authorization.AmountPerUnit));
        var held = await BalanceAsync("alice");
        Assert.Equal((AliceGenesis, 500L), (held.Total, held.Held));
        var hold = (await Ledger.GetHoldAsync(new GetHoldRequest { HoldId = authorization.LedgerHoldId }, As("alice"), cancellationToken: Ct)).Hold;
        Assert.Equal((HoldStatus.Pending, 500L, Treasury(model.ModelId)), (hold.Status, hold.Amount, hold.ToAccount));
        var reserved = await AllowanceAsync("alice", model.ModelId);
        Assert.Equal((500L, 500L), (reserved.ReservedAmount, reserved.RemainingAmount));

        var settled = await SettleAsync(Settle(authorization.AuthorizationId, 30));

        Assert.Equal((UsageAuthorizationStatus.Settled, 30L, settled.Payment.PaymentId), (settled.Authorization.Status, settled.Authorization.UnitsUsed, settled.Authorization.PaymentId));
        Assert.Equal((Contracts.Gateway.V1.PaymentKind.Metered, 300L, authorization.AuthorizationId), (settled.Payment.Kind, settled.Payment.Amount, settled.Payment.AuthorizationId));
        var after = await BalanceAsync("alice");
        Assert.Equal((AliceGenesis - 300, 0L), (after.Total, after.Held));
        Assert.Equal(300, (await BalanceAsync(Treasury(model.ModelId))).Total);
        var allowance = await AllowanceAsync("alice", model.ModelId);
        Assert.Equal((300L, 0L, 700L), (allowance.UsedAmount, allowance.ReservedAmount, allowance.RemainingAmount));
        var published = await paid.WaitForAsync(e => e.PaymentId == settled.Payment.PaymentId);
        Assert.Equal((30L, 300L), (published.Units, published.AmountBaseUnits));
    }

    [Fact]
    public async Task Settle_retried_with_its_request_id_returns_the_same_result_and_charges_once()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var authorization = (await AuthorizeAsync(Authorize(model.ModelId, 10))).Authorization;
        var settle = Settle(authorization.AuthorizationId, 4);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SettleAsync(settle.Clone())));

        Assert.Single(results.Distinct());
        Assert.Equal(AliceGenesis - 40, (await BalanceAsync("alice")).Total);
        var again = await RejectedAsync(SettleAsync(Settle(authorization.AuthorizationId, 4)));
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Contains("not open", again.Status.Detail);
    }

    [Fact]
    public async Task Authorize_beyond_the_allowance_or_the_balance_is_refused_naming_which_and_holds_nothing()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 100);
        await AllowAsync("dave", model.ModelId, 100);

        var allowance = await RejectedAsync(AuthorizeAsync(Authorize(model.ModelId, 11)));
        var balance = await RejectedAsync(AuthorizeAsync(Authorize(model.ModelId, 5, payer: "dave")));

        Assert.Equal(StatusCode.FailedPrecondition, allowance.StatusCode);
        Assert.Contains("allowance short", allowance.Status.Detail);
        Assert.Equal(StatusCode.FailedPrecondition, balance.StatusCode);
        Assert.Contains("balance short", balance.Status.Detail);
        Assert.Equal(0, (await BalanceAsync("alice")).Held);
        Assert.Equal(0, (await AllowanceAsync("dave", model.ModelId)).ReservedAmount);
    }

    [Fact]
    public async Task Settling_more_than_the_maximum_is_invalid_and_another_provider_may_not_settle()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var authorization = (await AuthorizeAsync(Authorize(model.ModelId, 10))).Authorization;

        var tooMany = await RejectedAsync(SettleAsync(Settle(authorization.AuthorizationId, 11)));
        var stranger = await RejectedAsync(SettleAsync(Settle(authorization.AuthorizationId, 1), TestTokens.Bearer("provider-2", Roles.Provider)));

        Assert.Equal(StatusCode.InvalidArgument, tooMany.StatusCode);
        Assert.StartsWith("units_used", tooMany.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, stranger.StatusCode);
        Assert.Equal(UsageAuthorizationStatus.Authorized, (await GetAsync(authorization.AuthorizationId)).Status);
        Assert.Equal(100, (await BalanceAsync("alice")).Held);
    }

    [Fact]
    public async Task Cancel_voids_the_hold_frees_the_allowance_and_charges_nothing()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var authorization = (await AuthorizeAsync(Authorize(model.ModelId, 10))).Authorization;
        var cancel = new CancelUsageRequest { RequestId = Guid.NewGuid().ToString(), AuthorizationId = authorization.AuthorizationId, Reason = "client went away" };

        var canceled = (await Client.CancelUsageAsync(cancel, AsProvider, cancellationToken: Ct)).Authorization;
        var replayed = (await Client.CancelUsageAsync(cancel, AsProvider, cancellationToken: Ct)).Authorization;

        Assert.Equal(UsageAuthorizationStatus.Canceled, canceled.Status);
        Assert.Equal(canceled, replayed);
        var balance = await BalanceAsync("alice");
        Assert.Equal((AliceGenesis, 0L), (balance.Total, balance.Held));
        var allowance = await AllowanceAsync("alice", model.ModelId);
        Assert.Equal((0L, 0L, 1_000L), (allowance.UsedAmount, allowance.ReservedAmount, allowance.RemainingAmount));
        var settle = await RejectedAsync(SettleAsync(Settle(authorization.AuthorizationId, 1)));
        Assert.Equal(StatusCode.FailedPrecondition, settle.StatusCode);
    }

    [Fact]
    public async Task An_expired_authorization_frees_the_allowance_releases_the_hold_and_can_no_longer_be_settled()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var authorization = (await AuthorizeAsync(Authorize(model.ModelId, 20, ttlSeconds: 60))).Authorization;

        Clock.Advance(TimeSpan.FromSeconds(61));
        var refused = await RejectedAsync(SettleAsync(Settle(authorization.AuthorizationId, 1)));
        Clock.Advance(TimeSpan.FromSeconds(1)); // a tick of the recovery pass
        var expired = await Eventually.WaitAsync(() => GetAsync(authorization.AuthorizationId), a => a.Status == UsageAuthorizationStatus.Expired,
            TimeSpan.FromSeconds(10), "the authorization expiring");

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("expired", refused.Status.Detail);
        Assert.NotNull(expired.ClosedAt);
        var allowance = await AllowanceAsync("alice", model.ModelId);
        Assert.Equal((0L, 1_000L), (allowance.ReservedAmount, allowance.RemainingAmount));
        Assert.Equal(0, (await BalanceAsync("alice")).Held);
        Assert.Equal(AliceGenesis, (await BalanceAsync("alice")).Total);
    }

    [Theory]
    [InlineData("max units zero", "max_units")]
    [InlineData("ttl zero", "ttl_seconds")]
    [InlineData("ttl too long", "ttl_seconds")]
    [InlineData("request id", "request_id")]
    [InlineData("overflow", "max_units")]
    public async Task Malformed_authorizations_are_invalid_argument_naming_the_field_and_hold_nothing(string fault, string field)
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var request = Authorize(model.ModelId, 10);
        switch (fault)
        {
            case "max units zero": request.MaxUnits = 0; break;
            case "ttl zero": request.TtlSeconds = 0; break;
            case "ttl too long": request.TtlSeconds = 86_401; break;
            case "request id": request.RequestId = "x"; break;
            default: request.MaxUnits = long.MaxValue; break;
        }

        var error = await RejectedAsync(AuthorizeAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field, error.Status.Detail);
        Assert.Equal(0, (await BalanceAsync("alice")).Held);
    }

    [Theory]
    [InlineData("settle request id", "request_id")]
    [InlineData("settle authorization id", "authorization_id")]
    [InlineData("settle units zero", "units_used")]
    [InlineData("cancel request id", "request_id")]
    [InlineData("cancel authorization id", "authorization_id")]
    [InlineData("revoke request id", "request_id")]
    [InlineData("revoke model id", "model_id")]
    public async Task Malformed_settles_cancels_and_revocations_are_invalid_argument_naming_the_field_and_change_nothing(string fault, string field)
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var authorization = (await AuthorizeAsync(Authorize(model.ModelId, 10))).Authorization;
        var id = authorization.AuthorizationId;
        var fresh = Guid.NewGuid().ToString();

        var error = await RejectedAsync(fault switch
        {
            "settle request id" => SettleAsync(new SettleUsageRequest { RequestId = "x", AuthorizationId = id, UnitsUsed = 1 }),
            "settle authorization id" => SettleAsync(new SettleUsageRequest { RequestId = fresh, AuthorizationId = "not-an-id", UnitsUsed = 1 }),
            "settle units zero" => SettleAsync(new SettleUsageRequest { RequestId = fresh, AuthorizationId = id, UnitsUsed = 0 }),
            "cancel request id" => Client.CancelUsageAsync(new CancelUsageRequest { RequestId = "", AuthorizationId = id }, AsProvider, cancellationToken: Ct).ResponseAsync,
            "cancel authorization id" => Client.CancelUsageAsync(new CancelUsageRequest { RequestId = fresh, AuthorizationId = "" }, AsProvider, cancellationToken: Ct).ResponseAsync,
            "revoke request id" => Client.RevokeAllowanceAsync(new RevokeAllowanceRequest { RequestId = "x", ModelId = model.ModelId }, As("alice"), cancellationToken: Ct).ResponseAsync,
            _ => Client.RevokeAllowanceAsync(new RevokeAllowanceRequest { RequestId = fresh, ModelId = "" }, As("alice"), cancellationToken: Ct).ResponseAsync,
        });

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field, error.Status.Detail);
        Assert.Equal(UsageAuthorizationStatus.Authorized, (await GetAsync(id)).Status);
        var allowance = await AllowanceAsync("alice", model.ModelId);
        Assert.Equal((0L, 100L, 1_000L), (allowance.UsedAmount, allowance.ReservedAmount, allowance.CapAmount));
        Assert.Equal(100, (await BalanceAsync("alice")).Held);
    }

    [Fact]
    public async Task Authorizations_are_listed_by_payer_and_filtered_by_status()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var open = (await AuthorizeAsync(Authorize(model.ModelId, 1))).Authorization;
        Clock.Advance(TimeSpan.FromMilliseconds(1)); // the order is created_at, then id: give them distinct times
        var settled = (await AuthorizeAsync(Authorize(model.ModelId, 1))).Authorization;
        await SettleAsync(Settle(settled.AuthorizationId, 1));

        var all = (await Client.ListUsageAuthorizationsAsync(new ListUsageAuthorizationsRequest { PayerAccount = "alice" }, As("alice"), cancellationToken: Ct)).Authorizations;
        var onlyOpen = (await Client.ListUsageAuthorizationsAsync(new ListUsageAuthorizationsRequest { PayerAccount = "alice", Status = UsageAuthorizationStatus.Authorized },
            As("alice"), cancellationToken: Ct)).Authorizations;

        Assert.Equal([open.AuthorizationId, settled.AuthorizationId], all.Select(a => a.AuthorizationId));
        Assert.Equal([open.AuthorizationId], onlyOpen.Select(a => a.AuthorizationId));
    }
}
