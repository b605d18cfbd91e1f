using Grpc.Core;
using Perspective.Contracts.Platform.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.SubDaoGovernance;
using Perspective.Testing;
using ProposalState = Perspective.Contracts.Governance.V1.ProposalState;
using SubDaoGetDao = Perspective.Contracts.SubDao.V1.GetDaoRequest;

namespace Perspective.PlatformGovernance.Tests;

/// <summary>Platform decisions reaching the sub-DAO service: default settings, the fee limit, a ban.</summary>
public sealed class SubDaoTests(TestInfrastructure infrastructure) : PlatformTestBase(infrastructure)
{
    [Fact]
    public async Task Sub_dao_defaults_and_the_fee_limit_set_by_the_platform_apply_to_new_sub_daos_and_a_ban_closes_one()
    {
        var subDao = await ServiceUnderTest.StartAsync(SubDaoGovernanceHost.Build, Infrastructure, await Infrastructure.CreateDatabaseAsync("subdao"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = LedgerHost.Address, ["Governance:Scheduler:Enabled"] = "false" },
            broker: Broker);
        await using var _ = subDao;
        var client = new SubDaoGovernanceService.SubDaoGovernanceServiceClient(subDao.Channel);

        var p = await PassAndRequestAsync(SetParameter("subdao_default_quorum_bps", new ParameterValue { Int64Value = 3000 }),
            SetParameter("max_usage_fee_per_unit", new ParameterValue { Int64Value = 50 }));
        Assert.Equal(ProposalState.Executed, p.State);
        await Eventually.WaitAsync(() => ScalarAsync<int>(subDao, "select count(*)::int from platform_parameters"), n => n == 2, TimeSpan.FromSeconds(20),
            "the sub-DAO service taking both parameters");

        var model = await NewModelAsync("SUBD");
        var dao = await Eventually.WaitAsync(async () =>
        {
            try
            {
                return (await client.GetDaoAsync(new SubDaoGetDao { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Dao;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return null;
            }
        }, d => d is not null, TimeSpan.FromSeconds(20), "the model's sub-DAO");
        Assert.Equal((3000, 432_000L), (dao!.Settings.QuorumBps, dao.Settings.VotingPeriodSeconds));

        var proposal = new Perspective.Contracts.SubDao.V1.CreateProposalRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, Title = "cheaper" };
        proposal.Actions.Add(new SubDaoAction { SetUsageFee = new SetUsageFeeAction { AmountPerUnit = 51 } });
        var tooHigh = await RejectedAsync(client.CreateProposalAsync(proposal, As("dave"), cancellationToken: Ct));
        Assert.StartsWith("actions[0].set_usage_fee.amount_per_unit:", tooHigh.Status.Detail, StringComparison.Ordinal);

        var ban = await PassAndRequestAsync(new PlatformAction { BanModel = new BanModelAction { ModelId = model.ModelId, Reason = "fraud" } });
        await WaitStateAsync(ban.ProposalId, ProposalState.Executed);
        await Eventually.WaitAsync(async () => (await client.GetDaoAsync(new SubDaoGetDao { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Dao,
            d => !d.AcceptingProposals, TimeSpan.FromSeconds(20), "the ban closing the sub-DAO");
        proposal.RequestId = Guid.NewGuid().ToString();
        proposal.Actions[0].SetUsageFee.AmountPerUnit = 50;
        var closed = await RejectedAsync(client.CreateProposalAsync(proposal, As("dave"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, closed.StatusCode);
        Assert.Contains("banned", closed.Status.Detail, StringComparison.Ordinal);
    }
}
