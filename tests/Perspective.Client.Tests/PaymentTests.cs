using Grpc.Core;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Testing;

namespace Perspective.Client.Tests;

/// <summary>What a provider does on every request, through the client, against the real gateway, Ledger and Registry.</summary>
public sealed class PaymentTests(Platform platform) : ClientTestBase(platform)
{
    [Fact]
    public async Task A_charge_moves_exactly_price_times_units_from_the_payer_to_the_treasury_under_a_new_request_id()
    {
        var model = await ModelAllowedAsync(cap: 1_000);
        using var client = NewClient();

        var charge = await client.ChargeUsageAsync(model.ModelId, Payer, units: 3, cancellationToken: Ct);

        Assert.True(Guid.TryParse(charge.RequestId, out _));
        Assert.Equal(charge.RequestId, charge.Payment.RequestId);
        Assert.Equal(PaymentKind.Charge, charge.Payment.Kind);
        Assert.Equal((Price, 3L, 30L), (charge.Payment.AmountPerUnitBaseUnits, charge.Payment.Units, charge.Payment.AmountBaseUnits));
        Assert.Equal(Treasury(model.ModelId), charge.Payment.TreasuryAccount);
        Assert.Equal((1_000L, 30L, 0L, 970L, AllowanceStatus.Active),
            (charge.Allowance.CapBaseUnits, charge.Allowance.UsedBaseUnits, charge.Allowance.ReservedBaseUnits, charge.Allowance.RemainingBaseUnits,
             charge.Allowance.Status));
        Assert.Equal(PayerFunds - 30, await BalanceAsync(Payer));
        Assert.Equal(30, await BalanceAsync(Treasury(model.ModelId)));
        Assert.Equal(1, Network.Requests);
    }

    [Fact]
    public async Task A_charge_whose_answer_was_lost_is_retried_under_the_same_request_id_and_paid_once()
    {
        var model = await ModelAllowedAsync();
        var tokensAsked = 0;
        var token = ProviderToken;
        using var client = NewClient(o => o.TokenProvider = _ =>
        {
            Interlocked.Increment(ref tokensAsked);
            return ValueTask.FromResult(token);
        });
        Network.Next(Fault.LoseAnswer);

        var charge = await client.ChargeUsageAsync(model.ModelId, Payer, units: 2, requestId: "8a0f5c1e-4b1d-4c1e-9d43-0d5b3f6a7c21", cancellationToken: Ct);

        Assert.Equal("8a0f5c1e-4b1d-4c1e-9d43-0d5b3f6a7c21", charge.RequestId);
        Assert.Equal(["0"], Network.Withheld); // the gateway had paid when the answer was lost
        Assert.Equal(2, Network.Requests);
        Assert.Equal(2, tokensAsked); // asked again for the retry: a renewed token is picked up at once
        Assert.Equal(2, Network.Authorizations.Count(a => a == $"Bearer {token}"));
        var payment = Assert.Single(await PaymentsOfAsync(Payer));
        Assert.Equal((charge.Payment.PaymentId, charge.RequestId, 20L), (payment.PaymentId, payment.RequestId, payment.Amount));
        Assert.Equal(PayerFunds - 20, await BalanceAsync(Payer));
        Assert.Equal(20, await BalanceAsync(Treasury(model.ModelId)));
        Assert.Equal(20, charge.Allowance.UsedBaseUnits);
    }

    [Fact]
    public async Task An_attempt_past_its_deadline_is_cut_off_there_and_the_retry_under_the_same_request_id_returns_the_first_payment()
    {
        var model = await ModelAllowedAsync();
        var deadline = TimeSpan.FromSeconds(1);
        using var client = NewClient(o => o.Deadline = deadline);
        Network.Next(Fault.HoldAnswer);

        var started = DateTime.UtcNow;
        var charge = await client.ChargeUsageAsync(model.ModelId, Payer, units: 1, cancellationToken: Ct);

        Assert.True(DateTime.UtcNow - started >= deadline, "the first attempt waited for its deadline");
        // The withheld answer was an OK one: the gateway paid on the first attempt (read once the handler has seen it).
        await Eventually.WaitAsync(() => Task.FromResult(Network.Withheld.ToArray()), w => w.Length == 1, TimeSpan.FromSeconds(10), "the withheld answer");
        Assert.Equal(["0"], Network.Withheld);
        Assert.Equal(2, Network.Requests);
        Assert.Equal(charge.Payment.PaymentId, Assert.Single(await PaymentsOfAsync(Payer)).PaymentId);
        Assert.Equal(PayerFunds - 10, await BalanceAsync(Payer));
    }

    [Fact]
    public async Task A_gateway_that_never_answers_fails_retryable_with_deadline_exceeded_after_the_retries()
    {
        var model = await RegisterModelAsync();
        using var client = NewClient(o =>
        {
            o.Deadline = TimeSpan.FromMilliseconds(200);
            o.MaxRetries = 2;
        });
        Network.Next(Fault.Hang, Fault.Hang, Fault.Hang);

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<PerspectiveException>(() => client.ChargeUsageAsync(model.ModelId, Payer, 1, cancellationToken: Ct));

        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(600), "three attempts of 200 ms");
        Assert.Equal((StatusCode.DeadlineExceeded, 3, true), (error.StatusCode, error.Attempts, error.IsRetryable));
        Assert.True(Guid.TryParse(error.RequestId, out _));
        Assert.Equal(3, Network.Requests);
        Assert.Empty(await PaymentsOfAsync(Payer));
    }

    [Fact]
    public async Task Refusals_are_not_retried_and_carry_the_gateways_status_and_message()
    {
        var model = await ModelAllowedAsync(cap: 15);
        var othersModel = await RegisterModelAsync(provider: Provider + "-other");
        await AllowAsync(Payer, othersModel.ModelId, 1_000);
        using var client = NewClient(o => o.MaxRetries = 5);

        var overAllowance = await Assert.ThrowsAsync<PerspectiveException>(() => client.ChargeUsageAsync(model.ModelId, Payer, 2, cancellationToken: Ct));
        var noUnits = await Assert.ThrowsAsync<PerspectiveException>(() => client.ChargeUsageAsync(model.ModelId, Payer, 0, cancellationToken: Ct));
        var notMine = await Assert.ThrowsAsync<PerspectiveException>(() => client.ChargeUsageAsync(othersModel.ModelId, Payer, 1, cancellationToken: Ct));
        var noAllowance = await Assert.ThrowsAsync<PerspectiveException>(() => client.GetAllowanceAsync(Payer + "-nobody", model.ModelId, Ct));

        Assert.Equal((StatusCode.FailedPrecondition, 1, false), (overAllowance.StatusCode, overAllowance.Attempts, overAllowance.IsRetryable));
        Assert.Contains("allowance", overAllowance.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal((StatusCode.InvalidArgument, 1), (noUnits.StatusCode, noUnits.Attempts));
        Assert.Contains("units", noUnits.Detail, StringComparison.Ordinal);
        Assert.Equal((StatusCode.PermissionDenied, 1), (notMine.StatusCode, notMine.Attempts));
        Assert.Equal((StatusCode.NotFound, 1, null), (noAllowance.StatusCode, noAllowance.Attempts, noAllowance.RequestId));
        Assert.Equal(4, Network.Requests);
        Assert.Equal(PayerFunds, await BalanceAsync(Payer));
    }

    [Fact]
    public async Task Authorize_then_settle_charges_the_units_used_and_releases_the_rest()
    {
        var model = await ModelAllowedAsync(cap: 1_000);
        using var client = NewClient();

        var hold = await client.AuthorizeUsageAsync(model.ModelId, Payer, maxUnits: 50, TimeSpan.FromMinutes(5), cancellationToken: Ct);
        var reserved = await client.GetAllowanceAsync(Payer, model.ModelId, Ct);
        Network.Next(Fault.LoseAnswer);
        var settled = await client.SettleUsageAsync(hold.Authorization.AuthorizationId, unitsUsed: 12, cancellationToken: Ct);

        Assert.Equal((UsageAuthorizationStatus.Authorized, 500L, Price), (hold.Authorization.Status, hold.Authorization.MaxAmountBaseUnits,
            hold.Authorization.AmountPerUnitBaseUnits));
        Assert.Equal((500L, 500L), (reserved.ReservedBaseUnits, reserved.RemainingBaseUnits));
        Assert.Equal((UsageAuthorizationStatus.Settled, 12L), (settled.Authorization.Status, settled.Authorization.UnitsUsed));
        Assert.Equal((PaymentKind.Metered, 120L, hold.Authorization.AuthorizationId, settled.RequestId),
            (settled.Payment.Kind, settled.Payment.AmountBaseUnits, settled.Payment.AuthorizationId, settled.Payment.RequestId));
        Assert.Equal(PayerFunds - 120, await BalanceAsync(Payer));
        Assert.Equal(120, await BalanceAsync(Treasury(model.ModelId)));
        Assert.Equal((120L, 0L, 880L), await AllowanceAmountsAsync(client, model.ModelId));
        Assert.Single(await PaymentsOfAsync(Payer));
    }

    [Fact]
    public async Task Cancel_voids_the_hold_and_charges_nothing()
    {
        var model = await ModelAllowedAsync(cap: 1_000);
        using var client = NewClient();
        var hold = await client.AuthorizeUsageAsync(model.ModelId, Payer, maxUnits: 30, TimeSpan.FromSeconds(90), cancellationToken: Ct);

        var canceled = await client.CancelUsageAsync(hold.Authorization.AuthorizationId, reason: "client went away", cancellationToken: Ct);
        var again = await Assert.ThrowsAsync<PerspectiveException>(() => client.SettleUsageAsync(hold.Authorization.AuthorizationId, 1, cancellationToken: Ct));

        Assert.Equal(UsageAuthorizationStatus.Canceled, canceled.Authorization.Status);
        Assert.NotNull(canceled.Authorization.ClosedAt);
        Assert.Equal((StatusCode.FailedPrecondition, false), (again.StatusCode, again.IsRetryable));
        Assert.Equal((0L, 0L, 1_000L), await AllowanceAmountsAsync(client, model.ModelId));
        Assert.Equal(PayerFunds, await BalanceAsync(Payer));
        Assert.Empty(await PaymentsOfAsync(Payer));
    }

    [Fact]
    public async Task The_allowance_and_the_quote_are_read_as_the_gateway_will_charge()
    {
        var model = await ModelAllowedAsync(cap: 777);
        var free = await RegisterModelAsync(price: 0);
        using var client = NewClient();

        var allowance = await client.GetAllowanceAsync(Payer, model.ModelId, Ct);
        var quote = await client.GetModelQuoteAsync(model.ModelId, units: 7, Ct);
        var freeQuote = await client.GetModelQuoteAsync(free.ModelId, cancellationToken: Ct);

        Assert.Equal((Payer, model.ModelId, 777L, 0L, 777L, AllowanceStatus.Active, (DateTimeOffset?)null),
            (allowance.PayerAccount, allowance.ModelId, allowance.CapBaseUnits, allowance.UsedBaseUnits, allowance.RemainingBaseUnits, allowance.Status,
             allowance.ExpiresAt));
        Assert.Equal((ModelStatus.Listed, Provider, UsageUnit.Request, Price, 7L, 70L, true),
            (quote.Status, quote.ProviderAccount, quote.Unit, quote.AmountPerUnitBaseUnits, quote.Units, quote.AmountBaseUnits, quote.IsChargeable));
        Assert.Equal((0L, 0L), (freeQuote.AmountPerUnitBaseUnits, freeQuote.AmountBaseUnits));
        var unknown = await Assert.ThrowsAsync<PerspectiveException>(() => client.GetModelQuoteAsync("no-such-model", 1, Ct));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    private async Task<(long Used, long Reserved, long Remaining)> AllowanceAmountsAsync(PerspectiveProviderClient client, string modelId)
    {
        var allowance = await client.GetAllowanceAsync(Payer, modelId, Ct);
        return (allowance.UsedBaseUnits, allowance.ReservedBaseUnits, allowance.RemainingBaseUnits);
    }
}
