using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Perspective.Contracts.Events.Gateway.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

/// <summary>A charge interrupted between its steps (the Ledger unreachable, the gateway restarted) is finished once, never twice.</summary>
public sealed class RestartTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
    /// <summary>The Ledger on the test's clock too, so a hold asked for after its expiry is refused as it would be in time.</summary>
    protected override void ConfigureLedger(WebApplicationBuilder builder) => builder.Services.AddSingleton<TimeProvider>(Clock);

    /// <summary>A gateway whose Ledger address answers nothing: the charge is reserved and pending, then UNAVAILABLE.</summary>
    private async Task<ChargeUsageRequestAndModel> LeaveAChargePendingAsync()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        await ChargeAsync(Charge(model.ModelId, "alice", 1)); // the model is cached and the path is warm
        await Gateway.DisposeAsync();
        var cutOff = await StartGatewayAsync(ledgerAddress: $"http://127.0.0.1:{FreePort.Next()}");
        var request = Charge(model.ModelId, "alice", 6);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new Contracts.Gateway.V1.UsageGatewayService.UsageGatewayServiceClient(cutOff.Channel).ChargeUsageAsync(request, AsProvider, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(60, (await AllowanceOnAsync(cutOff, model.ModelId)).ReservedAmount);
        await cutOff.DisposeAsync();
        return new(request, model.ModelId);
    }

    private sealed record ChargeUsageRequestAndModel(Contracts.Gateway.V1.ChargeUsageRequest Request, string ModelId);

    private async Task<Contracts.Gateway.V1.Allowance> AllowanceOnAsync(ServiceUnderTest gateway, string modelId) =>
        (await new Contracts.Gateway.V1.UsageGatewayService.UsageGatewayServiceClient(gateway.Channel).GetAllowanceAsync(
            new Contracts.Gateway.V1.GetAllowanceRequest { ModelId = modelId }, As("alice"), cancellationToken: Ct)).Allowance;

    [Fact]
    public async Task An_authorization_whose_hold_was_never_placed_before_it_expired_is_given_up_and_frees_its_reservation()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        await ChargeAsync(Charge(model.ModelId, "alice", 1)); // the model is cached and the path is warm
        await Gateway.DisposeAsync();
        var cutOff = await StartGatewayAsync(ledgerAddress: $"http://127.0.0.1:{FreePort.Next()}");
        var authorize = new Contracts.Gateway.V1.AuthorizeUsageRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = model.ModelId,
            PayerAccount = "alice",
            MaxUnits = 20,
            TtlSeconds = 1,
        };
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new Contracts.Gateway.V1.UsageGatewayService.UsageGatewayServiceClient(cutOff.Channel).AuthorizeUsageAsync(authorize, AsProvider, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(200, (await AllowanceOnAsync(cutOff, model.ModelId)).ReservedAmount);
        await cutOff.DisposeAsync();

        // Back with its Ledger, long after the authorization (and any hold it could have had) expired.
        Gateway = await StartGatewayAsync();
        Clock.Advance(TimeSpan.FromSeconds(1 + new GatewayOptions().HoldGraceSeconds) + TimeSpan.FromMilliseconds(new GatewayOptions().ResumeAfterMs + 1_000));

        await Eventually.WaitAsync(() => AllowanceAsync("alice", model.ModelId), allowance => allowance.ReservedAmount == 0, TimeSpan.FromSeconds(15),
            "the recovery pass freeing the reservation");
        var balance = await BalanceAsync("alice");
        Assert.Equal((AliceGenesis - 10, 0L), (balance.Total, balance.Held));
        Assert.Equal(10, (await AllowanceAsync("alice", model.ModelId)).UsedAmount);
    }

    [Fact]
    public async Task A_retry_after_a_restart_finishes_a_pending_charge_once()
    {
        var (request, modelId) = await LeaveAChargePendingAsync();
        Gateway = await StartGatewayAsync();

        var first = await ChargeAsync(request);
        var second = await ChargeAsync(request);

        Assert.Equal(first, second);
        Assert.Equal(AliceGenesis - 10 - 60, (await BalanceAsync("alice")).Total);
        var allowance = await AllowanceAsync("alice", modelId);
        Assert.Equal((70L, 0L), (allowance.UsedAmount, allowance.ReservedAmount));
    }

    [Fact]
    public async Task A_charge_whose_ledger_leg_a_batch_committed_before_a_crash_is_finished_by_the_retry_without_paying_twice()
    {
        var (request, modelId) = await LeaveAChargePendingAsync();
        // What a batch that reached the Ledger just before the gateway died left behind: the charge's leg is committed,
        // its payment still pending.
        var leg = new Contracts.Ledger.V1.TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
        leg.Legs.Add(new Contracts.Ledger.V1.TransferLeg
        {
            TransferId = Domain.GatewayRules.Derived("charge", Guid.Parse(request.RequestId)).ToString(),
            FromAccount = "alice",
            ToAccount = Treasury(modelId),
            Asset = "POV",
            Amount = 60,
            Memo = $"usage charge {Guid.Parse(request.RequestId)}",
        });
        var committed = (await Ledger.TransferBatchAsync(leg, As("gateway", Roles.Service), cancellationToken: Ct)).Transfers[0];
        Gateway = await StartGatewayAsync();

        var retried = await ChargeAsync(request);

        Assert.Equal((committed.TransferId, committed.Receipt.Sequence), (retried.Payment.LedgerTransferId, retried.Payment.LedgerSequence));
        Assert.Equal(AliceGenesis - 10 - 60, (await BalanceAsync("alice")).Total);
        Assert.Equal(70, (await BalanceAsync(Treasury(modelId))).Total);
        var allowance = await AllowanceAsync("alice", modelId);
        Assert.Equal((70L, 0L), (allowance.UsedAmount, allowance.ReservedAmount));
    }

    [Fact]
    public async Task The_recovery_pass_finishes_a_pending_charge_without_a_retry_and_a_later_retry_gets_the_same_payment()
    {
        var (request, modelId) = await LeaveAChargePendingAsync();
        var paid = await Bus.ObserveAsync<UsagePaid>();
        Gateway = await StartGatewayAsync();

        Clock.Advance(TimeSpan.FromMilliseconds(new GatewayOptions().ResumeAfterMs + 1_000));
        var recovered = await Eventually.WaitAsync(() => PaymentsOfAsync("alice"), payments => payments.Count == 2, TimeSpan.FromSeconds(15), "the recovery pass");
        var retried = await ChargeAsync(request);

        Assert.Equal(recovered.Single(p => p.RequestId == request.RequestId), retried.Payment);
        Assert.Equal(60, retried.Payment.Amount);
        Assert.Equal(AliceGenesis - 70, (await BalanceAsync("alice")).Total);
        await paid.WaitForAsync(e => e.PaymentId == retried.Payment.PaymentId);
        Assert.Equal(0, (await AllowanceAsync("alice", modelId)).ReservedAmount);
    }

    [Fact]
    public async Task A_charge_whose_paid_mark_a_database_crash_lost_after_the_answer_is_finished_with_the_same_receipt_and_event()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var request = Charge(model.ModelId, "alice", 4);
        var answered = await ChargeAsync(request);
        await Gateway.DisposeAsync();
        // The batch marks paid without waiting for the WAL flush; what PostgreSQL loses in a crash before it is that mark:
        // the row pending again with its reservation, and no UsagePaid event.
        await using (var db = new Npgsql.NpgsqlConnection(Gateway.DatabaseConnectionString))
        {
            await db.OpenAsync(Ct);
            await using var undo = new Npgsql.NpgsqlCommand(
                """
                update payments set status = 1, ledger_sequence = null, ledger_hash = null, response = null where request_id = @id;
                update allowances set used_amount = used_amount - 40, reserved_amount = reserved_amount + 40 where payer_account = 'alice';
                delete from outbox_messages;
                """, db);
            undo.Parameters.AddWithValue("id", Guid.Parse(request.RequestId));
            await undo.ExecuteNonQueryAsync(Ct);
        }
        var paid = await Bus.ObserveAsync<UsagePaid>();
        Gateway = await StartGatewayAsync();

        Clock.Advance(TimeSpan.FromMilliseconds(new GatewayOptions().ResumeAfterMs + 1_000));
        var recovered = await Eventually.WaitAsync(() => PaymentsOfAsync("alice"), payments => payments.Count == 1, TimeSpan.FromSeconds(15), "the recovery pass");
        var retried = await ChargeAsync(request);

        Assert.Equal(answered.Payment, recovered.Single());
        Assert.Equal(answered.Payment, retried.Payment);
        Assert.Equal(AliceGenesis - 40, (await BalanceAsync("alice")).Total);
        var allowance = await AllowanceAsync("alice", model.ModelId);
        Assert.Equal((40L, 0L), (allowance.UsedAmount, allowance.ReservedAmount));
        var usagePaid = await paid.WaitForAsync(e => e.PaymentId == answered.Payment.PaymentId);
        Assert.Equal((40L, answered.Payment.LedgerTransferId, answered.Payment.LedgerSequence), (usagePaid.AmountBaseUnits, usagePaid.LedgerTransferId, usagePaid.LedgerSequence));
    }

    [Fact]
    public async Task A_retry_after_a_restart_returns_the_same_receipt_as_the_first_answer()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        var request = Charge(model.ModelId, "alice", 2);
        var first = await ChargeAsync(request);

        await Gateway.DisposeAsync();
        Gateway = await StartGatewayAsync();
        var after = await ChargeAsync(request);

        Assert.Equal(first, after);
        Assert.Equal(AliceGenesis - 20, (await BalanceAsync("alice")).Total);
    }
}
