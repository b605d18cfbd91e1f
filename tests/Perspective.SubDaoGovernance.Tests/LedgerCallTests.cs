using Perspective.Contracts.Governance.V1;
using Perspective.Testing;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>What a proposal costs in Ledger calls, counted on the wire.</summary>
public sealed class LedgerCallTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    [Fact]
    public async Task A_proposal_costs_three_ledger_reads_each_vote_one_and_the_rest_of_its_life_none()
    {
        var model = await NewModelAsync("COST");
        await SendAsync("carol", "dave", "COST", 300_000);
        Assert.Empty(LedgerCalls);

        var request = Proposal(model.ModelId, Signal());
        var p = await ProposeAsync("carol", request);
        Assert.Equal(new Dictionary<string, int> { ["GetHead"] = 1, ["GetBalanceAt"] = 1, ["GetSupplyAt"] = 1 }, LedgerCalls);
        await ProposeAsync("carol", request); // a retry
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        await VoteAsync("dave", p.ProposalId, VoteSupport.Against);
        await CloseAsync(p.ProposalId);
        var executed = await ExecuteAsync(p.ProposalId);
        await TallyAsync(p.ProposalId);

        Assert.Equal(ProposalState.Executed, executed.State);
        Assert.Equal(new Dictionary<string, int> { ["GetHead"] = 1, ["GetBalanceAt"] = 3, ["GetSupplyAt"] = 1 }, LedgerCalls);
    }
}
