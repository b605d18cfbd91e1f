using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;
using Perspective.UsageGateway;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>A fee decided by a sub-DAO is what the gateway charges: the whole path, proposal to payment.</summary>
public sealed class GatewayTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    [Fact]
    public async Task After_a_passed_fee_proposal_is_executed_the_gateway_charges_the_new_fee()
    {
        var gateway = await ServiceUnderTest.StartAsync(UsageGatewayHost.Build, Infrastructure, await Infrastructure.CreateDatabaseAsync("gateway"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = LedgerHost.Address, ["Services:ModelRegistry"] = Registry.Address },
            broker: Broker);
        await using var _ = gateway;
        var client = new UsageGatewayService.UsageGatewayServiceClient(gateway.Channel);
        var model = await NewModelAsync("GATE", price: 25);
        await client.SetAllowanceAsync(new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, CapAmount = 10_000 },
            As("alice"), cancellationToken: Ct);
        Task<ChargeUsageResponse> ChargeAsync() => client.ChargeUsageAsync(new ChargeUsageRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = model.ModelId,
            PayerAccount = "alice",
            Units = 2,
        }, TestTokens.Bearer("provider-1", Roles.Provider), cancellationToken: Ct).ResponseAsync;
        Assert.Equal(50, (await ChargeAsync()).Payment.Amount);

        var p = await ProposeAsync("carol", model.ModelId, Fee(40));
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        await CloseAsync(p.ProposalId);
        await ExecuteAsync(p.ProposalId);
        await WaitStateAsync(p.ProposalId, ProposalState.Executed);

        // The gateway learns the fee from ModelPricingChanged; each try is a real charge, so the last one shows the fee.
        var charged = await Eventually.WaitAsync(ChargeAsync, c => c.Payment.AmountPerUnit == 40, TimeSpan.FromSeconds(20), "the new fee at the gateway");
        Assert.Equal((40L, 80L), (charged.Payment.AmountPerUnit, charged.Payment.Amount));
    }
}
