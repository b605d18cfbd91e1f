using Grpc.Core;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Testing;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>The read side: DAOs, proposals by DAO, state and proposer, page by page, and one voter's vote.</summary>
public sealed class QueryTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    [Fact]
    public async Task Proposals_are_listed_newest_first_by_dao_state_and_proposer_and_votes_are_read_per_voter()
    {
        var one = await NewModelAsync("LSTA");
        var two = await NewModelAsync("LSTB");
        await SendAsync("carol", "dave", "LSTA", 5_000);
        var a1 = await ProposeAsync("carol", one.ModelId, Signal());
        var a2 = await ProposeAsync("dave", one.ModelId, Signal());
        var b1 = await ProposeAsync("carol", two.ModelId, Signal());
        await Client.CancelProposalAsync(new CancelProposalRequest { RequestId = Guid.NewGuid().ToString(), ProposalId = a2.ProposalId }, As("dave"),
            cancellationToken: Ct);

        async Task<List<string>> ListAsync(ListProposalsRequest request)
        {
            var ids = new List<string>();
            request.PageSize = 1;
            do
            {
                var page = await Client.ListProposalsAsync(request, As("anyone"), cancellationToken: Ct);
                ids.AddRange(page.Proposals.Select(p => p.ProposalId));
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken != "");
            return ids;
        }
        Assert.Equal([b1.ProposalId, a2.ProposalId, a1.ProposalId], await ListAsync(new ListProposalsRequest()));
        Assert.Equal([a2.ProposalId, a1.ProposalId], await ListAsync(new ListProposalsRequest { ModelId = one.ModelId }));
        Assert.Equal([a2.ProposalId], await ListAsync(new ListProposalsRequest { State = ProposalState.Canceled }));
        Assert.Equal([b1.ProposalId, a1.ProposalId], await ListAsync(new ListProposalsRequest { ProposerAccount = "carol" }));
        Assert.Equal([a1.ProposalId], await ListAsync(new ListProposalsRequest { ModelId = one.ModelId, State = ProposalState.Pending }));

        var daos = await Client.ListDaosAsync(new ListDaosRequest(), As("anyone"), cancellationToken: Ct);
        Assert.Equal([one.ModelId, two.ModelId], daos.Daos.Select(d => d.ModelId));

        await OpenAsync(a1);
        var cast = await VoteAsync("dave", a1.ProposalId, VoteSupport.Against, "not now");
        var own = (await Client.GetVoteAsync(new GetVoteRequest { ProposalId = a1.ProposalId }, As("dave"), cancellationToken: Ct)).Vote;
        var byName = (await Client.GetVoteAsync(new GetVoteRequest { ProposalId = a1.ProposalId, VoterAccount = "dave" }, As("erin"), cancellationToken: Ct)).Vote;
        Assert.Equal(cast.Vote, own);
        Assert.Equal(cast.Vote, byName);
        Assert.Equal((VoteSupport.Against, 5_000L, "not now"), (own.Support, own.Weight, own.Reason));
        var none = await RejectedAsync(Client.GetVoteAsync(new GetVoteRequest { ProposalId = a1.ProposalId }, As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.NotFound, none.StatusCode);
        var noDao = await RejectedAsync(Client.GetDaoAsync(new GetDaoRequest { ModelId = Guid.NewGuid().ToString() }, As("anyone"), cancellationToken: Ct));
        Assert.Equal(StatusCode.NotFound, noDao.StatusCode);
    }
}
