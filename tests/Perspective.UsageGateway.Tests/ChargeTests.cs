using Grpc.Core;
using Perspective.Contracts.Events.Gateway.V1;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

public sealed class ChargeTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
    [Fact]
    public async Task A_charge_moves_price_times_units_from_payer_to_treasury_records_one_payment_and_publishes_UsagePaid()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var paid = await Bus.ObserveAsync<UsagePaid>();

        var response = await ChargeAsync(Charge(model.ModelId, "alice", 7));

        var payment = response.Payment;
        Assert.Equal((70L, 7L, Price, "alice", Provider, Treasury(model.ModelId)),
            (payment.Amount, payment.Units, payment.AmountPerUnit, payment.PayerAccount, payment.ProviderAccount, payment.TreasuryAccount));
        Assert.Equal(Contracts.Gateway.V1.PaymentKind.Charge, payment.Kind);
        Assert.Equal((1_000L, 70L, 0L, 930L), (response.Allowance.CapAmount, response.Allowance.UsedAmount, response.Allowance.ReservedAmount, response.Allowance.RemainingAmount));
        Assert.Equal(AliceGenesis - 70, (await BalanceAsync("alice")).Total);
        Assert.Equal(70, (await BalanceAsync(Treasury(model.ModelId))).Total);
        var transfer = (await Ledger.GetTransferAsync(new Contracts.Ledger.V1.GetTransferRequest { TransferId = payment.LedgerTransferId }, As("anyone"), cancellationToken: Ct)).Transfer;
        Assert.Equal(("alice", Treasury(model.ModelId), 70L, payment.LedgerSequence), (transfer.FromAccount, transfer.ToAccount, transfer.Amount, transfer.Receipt.Sequence));
        var published = await paid.WaitForAsync(e => e.PaymentId == payment.PaymentId);
        Assert.Equal((model.ModelId, "alice", Provider, 7L, 70L, payment.LedgerTransferId, payment.LedgerSequence),
            (published.ModelId, published.PayerAccount, published.ProviderAccount, published.Units, published.AmountBaseUnits, published.LedgerTransferId, published.LedgerSequence));
        Assert.Equal([payment], await PaymentsOfAsync("alice"));
    }

    [Fact]
    public async Task A_charge_never_exceeds_the_remaining_cap_and_a_refused_charge_changes_nothing()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 25);
        await ChargeAsync(Charge(model.ModelId, "alice", 2));

        var error = await RejectedAsync(ChargeAsync(Charge(model.ModelId, "alice", 1)));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("allowance short", error.Status.Detail);
        Assert.Equal(AliceGenesis - 20, (await BalanceAsync("alice")).Total);
        var allowance = await AllowanceAsync("alice", model.ModelId);
        Assert.Equal((20L, 0L, 5L), (allowance.UsedAmount, allowance.ReservedAmount, allowance.RemainingAmount));
        Assert.Single(await PaymentsOfAsync("alice"));
    }

    [Fact]
    public async Task A_charge_without_an_allowance_is_refused_naming_the_allowance()
    {
        var model = await RegisterModelAsync();

        var error = await RejectedAsync(ChargeAsync(Charge(model.ModelId, "alice", 1)));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("no allowance", error.Status.Detail);
        Assert.Equal(AliceGenesis, (await BalanceAsync("alice")).Total);
    }

    [Fact]
    public async Task A_charge_the_payer_cannot_afford_is_refused_naming_the_balance_releases_the_reservation_and_can_be_retried_after_a_top_up()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("dave", model.ModelId, 1_000);
        var request = Charge(model.ModelId, "dave", 5);

        var error = await RejectedAsync(ChargeAsync(request));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("balance short", error.Status.Detail);
        var allowance = await AllowanceAsync("dave", model.ModelId);
        Assert.Equal((0L, 0L, 1_000L), (allowance.UsedAmount, allowance.ReservedAmount, allowance.RemainingAmount));
        Assert.Empty(await PaymentsOfAsync("dave"));

        await Ledger.TransferAsync(new Contracts.Ledger.V1.TransferRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = "alice",
            ToAccount = "dave",
            Asset = "POV",
            Amount = 100,
        }, As("alice"), cancellationToken: Ct);
        var retried = await ChargeAsync(request);

        Assert.Equal(50, retried.Payment.Amount);
        Assert.Equal(50, (await BalanceAsync("dave")).Total);
    }

    [Fact]
    public async Task The_same_request_id_retried_sequentially_charges_once_and_returns_the_same_receipt()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var request = Charge(model.ModelId, "alice", 3);

        var first = await ChargeAsync(request);
        var second = await ChargeAsync(request);
        var third = await ChargeAsync(request.Clone());

        Assert.Equal(first, second);
        Assert.Equal(first, third);
        Assert.Equal(AliceGenesis - 30, (await BalanceAsync("alice")).Total);
        Assert.Single(await PaymentsOfAsync("alice"));
        Assert.Equal(30, (await AllowanceAsync("alice", model.ModelId)).UsedAmount);
    }

    [Fact]
    public async Task The_same_request_id_sent_50_times_at_once_charges_once_and_every_copy_gets_the_same_payment()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var request = Charge(model.ModelId, "alice", 4);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => ChargeAsync(request.Clone())));

        Assert.Single(responses.Select(r => r.Payment).Distinct());
        Assert.Equal(AliceGenesis - 40, (await BalanceAsync("alice")).Total);
        Assert.Equal(40, (await BalanceAsync(Treasury(model.ModelId))).Total);
        Assert.Single(await PaymentsOfAsync("alice"));
        var allowance = await AllowanceAsync("alice", model.ModelId);
        Assert.Equal((40L, 0L), (allowance.UsedAmount, allowance.ReservedAmount));
    }

    [Fact]
    public async Task A_request_id_reused_with_other_content_is_already_exists_and_charges_nothing_more()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var request = Charge(model.ModelId, "alice", 3);
        await ChargeAsync(request);
        var other = request.Clone();
        other.Units = 4;

        var error = await RejectedAsync(ChargeAsync(other));

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Contains("request_id", error.Status.Detail);
        Assert.Equal(AliceGenesis - 30, (await BalanceAsync("alice")).Total);
    }

    [Fact]
    public async Task An_unknown_model_is_not_found()
    {
        var error = await RejectedAsync(ChargeAsync(Charge(Guid.NewGuid().ToString(), "alice", 1)));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task A_caller_that_is_not_the_models_provider_is_permission_denied()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);

        var otherProvider = await RejectedAsync(Client.ChargeUsageAsync(Charge(model.ModelId, "alice", 1), TestTokens.Bearer("provider-2", Roles.Provider), cancellationToken: Ct).ResponseAsync);
        var user = await RejectedAsync(Client.ChargeUsageAsync(Charge(model.ModelId, "alice", 1), As(Provider, Roles.User), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, otherProvider.StatusCode);
        Assert.Contains("not the provider", otherProvider.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, user.StatusCode);
        Assert.Equal(AliceGenesis, (await BalanceAsync("alice")).Total);
    }

    [Fact]
    public async Task A_retired_model_is_refused_naming_its_status()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        await ChargeAsync(Charge(model.ModelId, "alice", 1));

        await Models.RetireModelAsync(new RetireModelRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, Reason = "end of life" },
            As("carol"), cancellationToken: Ct);

        // The registry's ModelStatusChanged reaches the gateway's cache over the broker.
        var error = await Eventually.WaitAsync(async () =>
        {
            try
            {
                await ChargeAsync(Charge(model.ModelId, "alice", 1));
                return null;
            }
            catch (RpcException ex)
            {
                return ex;
            }
        }, ex => ex is not null, TimeSpan.FromSeconds(10), "charges refused after retirement");
        Assert.Equal(StatusCode.FailedPrecondition, error!.StatusCode);
        Assert.Contains("Delisted", error.Status.Detail);
    }

    [Theory]
    [InlineData("units zero")]
    [InlineData("units negative")]
    [InlineData("units overflow")]
    [InlineData("request id missing")]
    [InlineData("request id not a uuid")]
    [InlineData("payer missing")]
    [InlineData("payer malformed")]
    [InlineData("model missing")]
    public async Task Malformed_charges_are_invalid_argument_naming_the_field_and_change_nothing(string fault)
    {
        var model = await RegisterModelAsync(price: long.MaxValue / 2);
        await AllowAsync("alice", model.ModelId, long.MaxValue);
        var request = Charge(model.ModelId, "alice", 1);
        var field = fault switch
        {
            "units zero" => Set(() => request.Units = 0, "units"),
            "units negative" => Set(() => request.Units = -5, "units"),
            "units overflow" => Set(() => request.Units = 3, "units"),
            "request id missing" => Set(() => request.RequestId = "", "request_id"),
            "request id not a uuid" => Set(() => request.RequestId = "charge-1", "request_id"),
            "payer missing" => Set(() => request.PayerAccount = "", "payer_account"),
            "payer malformed" => Set(() => request.PayerAccount = "bad payer", "payer_account"),
            _ => Set(() => request.ModelId = "", "model_id"),
        };

        var error = await RejectedAsync(ChargeAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field, error.Status.Detail);
        Assert.Equal(AliceGenesis, (await BalanceAsync("alice")).Total);
        Assert.Equal(0, (await AllowanceAsync("alice", model.ModelId)).ReservedAmount);
    }

    private static string Set(Action change, string field)
    {
        change();
        return field;
    }
}
