using Grpc.Core;
using Perspective.Contracts.Events.Gateway.V1;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

/// <summary>A charge interrupted between its steps (the Ledger unreachable, the gateway restarted) is finished once, never twice.</summary>
public sealed class RestartTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
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
