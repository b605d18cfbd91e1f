using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Testing;
using ExecutionRequested = Perspective.Contracts.Events.SubDao.V1.ProposalExecutionRequested;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>Governance attack: executing a passed proposal before its timelock ends.</summary>
public sealed class TimelockAttackTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    [Fact]
    public async Task A_passed_fee_is_neither_requested_nor_charged_one_tick_before_the_timelock_ends()
    {
        var model = await NewModelAsync("TLCK", price: 25);
        var p = await ProposeAsync("carol", model.ModelId, Fee(40));
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        await CloseAsync(p.ProposalId);
        await StepAsync();
        var queued = await GetAsync(p.ProposalId);
        Assert.Equal(ProposalState.Queued, queued.State);

        Clock.SetUtcNow(Time(queued.Timeline.ExecutableAt).AddTicks(-1));
        await StepAsync();
        var early = await GetAsync(p.ProposalId);
        Assert.Equal((ProposalState.Queued, null), (early.State, early.Timeline.ExecutionRequestedAt));
        Assert.Equal(0, await OutboxCountAsync<ExecutionRequested>());
        Assert.Equal(25, (await Models.GetModelAsync(new GetModelRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Model.Price.AmountPerUnit);

        await AtAsync(Time(queued.Timeline.ExecutableAt));
        Assert.Equal(Time(queued.Timeline.ExecutableAt), Time((await GetAsync(p.ProposalId)).Timeline.ExecutionRequestedAt));
        await WaitStateAsync(p.ProposalId, ProposalState.Executed);
        Assert.Equal(1, await OutboxCountAsync<ExecutionRequested>());
        Assert.Equal(40, (await Models.GetModelAsync(new GetModelRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Model.Price.AmountPerUnit);
    }
}
