using Grpc.Core;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;
using Perspective.UsageGateway;

namespace Perspective.PlatformGovernance.Tests;

/// <summary>A model delisted by the platform DAO is refused by the gateway: the whole path, proposal to refused charge.</summary>
public sealed class GatewayTests(TestInfrastructure infrastructure) : PlatformTestBase(infrastructure)
{
    [Fact]
    public async Task After_a_passed_delisting_is_executed_the_gateway_refuses_to_charge_for_the_model()
    {
        var gateway = await ServiceUnderTest.StartAsync(UsageGatewayHost.Build, Infrastructure, await Infrastructure.CreateDatabaseAsync("gateway"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = LedgerHost.Address, ["Services:ModelRegistry"] = Registry.Address },
            broker: Broker);
        await using var _ = gateway;
        var client = new UsageGatewayService.UsageGatewayServiceClient(gateway.Channel);
        var model = await NewModelAsync("DLST");
        await client.SetAllowanceAsync(new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, CapAmount = 10_000 },
            As("carol"), cancellationToken: Ct);
        AsyncUnaryCall<ChargeUsageResponse> Charge() => client.ChargeUsageAsync(new ChargeUsageRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = model.ModelId,
            PayerAccount = "carol",
            Units = 1,
        }, TestTokens.Bearer("provider-1", Roles.Provider), cancellationToken: Ct);
        Assert.Equal(10, (await Charge()).Payment.Amount);

        var p = await PassAndRequestAsync(new PlatformAction { DelistModel = new DelistModelAction { ModelId = model.ModelId, Reason = "unsafe outputs" } });
        await WaitStateAsync(p.ProposalId, ProposalState.Executed);

        var refused = await Eventually.WaitAsync(async () =>
        {
            try
            {
                await Charge();
                return null;
            }
            catch (RpcException ex)
            {
                return ex;
            }
        }, ex => ex is not null, TimeSpan.FromSeconds(20), "the gateway refusing the delisted model");
        Assert.Equal(StatusCode.FailedPrecondition, refused!.StatusCode);
        Assert.Contains("not Listed", refused.Status.Detail, StringComparison.Ordinal);
    }
}
