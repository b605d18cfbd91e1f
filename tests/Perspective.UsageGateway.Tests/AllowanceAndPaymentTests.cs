using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Perspective.Contracts.Gateway.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

public sealed class AllowanceAndPaymentTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
    [Fact]
    public async Task SetAllowance_replaces_the_cap_restarts_what_was_used_and_is_listed_for_the_payer()
    {
        var model = await RegisterModelAsync();
        var other = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 100);
        await ChargeAsync(Charge(model.ModelId, "alice", 3));

        var replaced = await AllowAsync("alice", model.ModelId, 50, Clock.GetUtcNow().AddDays(1));
        await AllowAsync("alice", other.ModelId, 7);

        Assert.Equal((50L, 0L, 50L, AllowanceStatus.Active), (replaced.CapAmount, replaced.UsedAmount, replaced.RemainingAmount, replaced.Status));
        var listed = (await Client.ListAllowancesAsync(new ListAllowancesRequest(), As("alice"), cancellationToken: Ct)).Allowances;
        Assert.Equal(new[] { model.ModelId, other.ModelId }.Order(StringComparer.Ordinal), listed.Select(a => a.ModelId));
        var page = await Client.ListAllowancesAsync(new ListAllowancesRequest { PageSize = 1 }, As("alice"), cancellationToken: Ct);
        var rest = await Client.ListAllowancesAsync(new ListAllowancesRequest { PageSize = 1, PageToken = page.NextPageToken }, As("alice"), cancellationToken: Ct);
        Assert.Equal(listed.Select(a => a.ModelId), page.Allowances.Concat(rest.Allowances).Select(a => a.ModelId));
        var denied = await RejectedAsync(Client.ListAllowancesAsync(new ListAllowancesRequest { PayerAccount = "alice" }, As("bob"), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task A_revoked_allowance_refuses_charges_naming_the_revocation()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 100);
        var revoke = new RevokeAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId };

        var revoked = (await Client.RevokeAllowanceAsync(revoke, As("alice"), cancellationToken: Ct)).Allowance;
        var replayed = (await Client.RevokeAllowanceAsync(revoke, As("alice"), cancellationToken: Ct)).Allowance;
        var error = await RejectedAsync(ChargeAsync(Charge(model.ModelId, "alice", 1)));

        Assert.Equal((AllowanceStatus.Revoked, 0L), (revoked.Status, revoked.RemainingAmount));
        Assert.Equal(revoked, replayed);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("revoked", error.Status.Detail);
        Assert.Empty((await Client.ListAllowancesAsync(new ListAllowancesRequest(), As("alice"), cancellationToken: Ct)).Allowances);
        Assert.Single((await Client.ListAllowancesAsync(new ListAllowancesRequest { IncludeInactive = true }, As("alice"), cancellationToken: Ct)).Allowances);
        var missing = await RejectedAsync(Client.RevokeAllowanceAsync(new RevokeAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId },
            As("bob"), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task An_allowance_past_its_expiry_refuses_charges_naming_the_expiry()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 100, Clock.GetUtcNow().AddMinutes(10));
        await ChargeAsync(Charge(model.ModelId, "alice", 1));

        Clock.Advance(TimeSpan.FromMinutes(10));
        var error = await RejectedAsync(ChargeAsync(Charge(model.ModelId, "alice", 1)));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("expired", error.Status.Detail);
        Assert.Equal(AllowanceStatus.Expired, (await AllowanceAsync("alice", model.ModelId)).Status);
    }

    [Fact]
    public async Task SetAllowance_with_bad_input_or_for_an_unknown_model_changes_nothing_and_a_reused_request_id_is_already_exists()
    {
        var model = await RegisterModelAsync();
        Task<SetAllowanceResponse> Set(SetAllowanceRequest request) => Client.SetAllowanceAsync(request, As("alice"), cancellationToken: Ct).ResponseAsync;

        var negative = await RejectedAsync(Set(new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, CapAmount = -1 }));
        var past = await RejectedAsync(Set(new SetAllowanceRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = model.ModelId,
            CapAmount = 1,
            ExpiresAt = Timestamp.FromDateTimeOffset(Clock.GetUtcNow().AddSeconds(-1)),
        }));
        var unknown = await RejectedAsync(Set(new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = Guid.NewGuid().ToString(), CapAmount = 1 }));
        var request = new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, CapAmount = 5 };
        var first = await Set(request);
        var same = await Set(request);
        var reused = await RejectedAsync(Set(new SetAllowanceRequest { RequestId = request.RequestId, ModelId = model.ModelId, CapAmount = 6 }));

        Assert.Equal((StatusCode.InvalidArgument, StatusCode.InvalidArgument, StatusCode.NotFound), (negative.StatusCode, past.StatusCode, unknown.StatusCode));
        Assert.StartsWith("cap_amount", negative.Status.Detail);
        Assert.StartsWith("expires_at", past.Status.Detail);
        Assert.Equal(first, same);
        Assert.Equal(StatusCode.AlreadyExists, reused.StatusCode);
        Assert.Equal(5, (await AllowanceAsync("alice", model.ModelId)).CapAmount);
    }

    [Fact]
    public async Task Payments_are_read_by_id_and_listed_by_payer_or_model_within_a_time_range_page_by_page()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 10_000);
        await AllowAsync("bob", model.ModelId, 10_000);
        var payments = new List<Payment>();
        for (var i = 1; i <= 5; i++)
        {
            payments.Add((await ChargeAsync(Charge(model.ModelId, i % 2 == 0 ? "bob" : "alice", i))).Payment);
            Clock.Advance(TimeSpan.FromMinutes(1));
        }

        var byId = (await Client.GetPaymentAsync(new GetPaymentRequest { PaymentId = payments[0].PaymentId }, As("alice"), cancellationToken: Ct)).Payment;
        var hidden = await RejectedAsync(Client.GetPaymentAsync(new GetPaymentRequest { PaymentId = payments[0].PaymentId }, As("bob"), cancellationToken: Ct).ResponseAsync);
        var byModel = new List<Payment>();
        var token = "";
        do
        {
            var page = await Client.ListPaymentsAsync(new ListPaymentsRequest { ModelId = model.ModelId, PageSize = 2, PageToken = token }, AsProvider, cancellationToken: Ct);
            byModel.AddRange(page.Payments);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        var window = (await Client.ListPaymentsAsync(new ListPaymentsRequest
        {
            ModelId = model.ModelId,
            FromTime = payments[1].CreatedAt,
            ToTime = payments[3].CreatedAt,
        }, As("admin", Roles.Admin), cancellationToken: Ct)).Payments;
        var userOnModel = await RejectedAsync(Client.ListPaymentsAsync(new ListPaymentsRequest { ModelId = model.ModelId }, As("bob"), cancellationToken: Ct).ResponseAsync);
        var inverted = await RejectedAsync(Client.ListPaymentsAsync(new ListPaymentsRequest
        {
            PayerAccount = "alice",
            FromTime = payments[3].CreatedAt,
            ToTime = payments[1].CreatedAt,
        }, As("alice"), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(payments[0], byId);
        Assert.Equal(StatusCode.NotFound, hidden.StatusCode);
        Assert.Equal(payments, byModel);
        Assert.Equal([payments[1], payments[2]], window);
        Assert.Equal([payments[0], payments[2], payments[4]], await PaymentsOfAsync("alice"));
        Assert.Equal(StatusCode.PermissionDenied, userOnModel.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, inverted.StatusCode);
    }
}
