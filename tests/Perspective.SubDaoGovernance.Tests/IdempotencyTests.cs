using Grpc.Core;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Testing;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>Request ids, concurrent requests and answers that come late.</summary>
public sealed class IdempotencyTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    [Fact]
    public async Task A_retried_create_returns_the_same_proposal_and_a_reused_id_with_other_content_is_already_exists()
    {
        var model = await NewModelAsync("IDEM");
        var request = Proposal(model.ModelId, Fee(30));
        var first = await ProposeAsync("carol", request);
        Clock.Advance(TimeSpan.FromSeconds(5));
        var retry = await ProposeAsync("carol", request);
        Assert.Equal(first.ProposalId, retry.ProposalId);
        Assert.Equal(first.Timeline.CreatedAt, retry.Timeline.CreatedAt);

        var other = new CreateProposalRequest(request) { Title = "Another title" };
        var reused = await RejectedAsync(Client.CreateProposalAsync(other, As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.AlreadyExists, reused.StatusCode);
        Assert.StartsWith($"request_id {request.RequestId}", reused.Status.Detail, StringComparison.Ordinal);
        var byOther = await RejectedAsync(Client.CreateProposalAsync(request, As("dave"), cancellationToken: Ct));
        Assert.Equal(StatusCode.AlreadyExists, byOther.StatusCode);
        Assert.Equal(1, await SubDaoScalarAsync<int>("select count(*)::int from proposals"));
    }

    [Fact]
    public async Task Concurrent_creations_by_one_proposer_leave_exactly_one_live_proposal()
    {
        var model = await NewModelAsync("RACE");
        var attempts = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            try
            {
                return (await ProposeAsync("carol", model.ModelId, Signal())).ProposalId;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                return null;
            }
        }));
        Assert.Single(attempts, id => id is not null);
        Assert.Equal(1, await SubDaoScalarAsync<int>("select count(*)::int from proposals"));
    }

    [Fact]
    public async Task Answers_that_arrive_after_expiry_record_what_happened()
    {
        var model = await NewModelAsync("LAAT");
        var p = await ProposeAsync("carol", model.ModelId, Spend("dev-1", 5), Signal());
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        await CloseAsync(p.ProposalId);
        var queued = await ExecuteAsync(p.ProposalId);
        Assert.Equal(ProposalState.Queued, queued.State);
        await AtAsync(Time(queued.Timeline.ExpiresAt));
        Assert.Equal(ProposalState.Expired, (await GetAsync(p.ProposalId)).State);

        await Bus.PublishAsync(new ProposalActionExecuted(p.ProposalId, model.ModelId, 0, "treasury", "paid dev-1", Clock.GetUtcNow()));
        var executed = await WaitStateAsync(p.ProposalId, ProposalState.Executed);
        Assert.Equal("", executed.FailureReason);
        Assert.Equal(2, await SubDaoScalarAsync<int>("select count(*)::int from proposal_actions"));
    }
}
