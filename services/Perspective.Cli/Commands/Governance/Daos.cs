using Grpc.Core;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Governance.V1;
using Platform = Perspective.Contracts.Platform.V1;
using SubDao = Perspective.Contracts.SubDao.V1;

namespace Perspective.Cli.Commands.Governance;

/// <summary>
/// The two DAOs behind one set of proposal commands. A proposal id alone is looked up in the sub-DAOs first, then in
/// the platform DAO (ids are UUIDs, so at most one answers); <c>--platform</c> skips the first lookup.
/// </summary>
internal static class Daos
{
    public static async Task<ProposalView> GetAsync(Session s, string id, bool platform, CancellationToken ct)
    {
        if (!platform)
        {
            try
            {
                var proposal = (await s.Clients.SubDao.GetProposalAsync(new SubDao.GetProposalRequest { ProposalId = id }, s.Clients.Call(ct))).Proposal;
                return ProposalView.Of(proposal, await s.Clients.MoneyAsync(ct, Money.Pov));
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                // Not a sub-DAO proposal: maybe the platform's.
            }
        }
        return ProposalView.Of((await s.Clients.Platform.GetProposalAsync(new Platform.GetProposalRequest { ProposalId = id }, s.Clients.Call(ct))).Proposal);
    }

    public static async Task<(Vote Vote, Tally Tally, Google.Protobuf.IMessage Raw)> VoteAsync(
        Session s, ProposalView proposal, VoteSupport support, string reason, string requestId, CancellationToken ct)
    {
        if (proposal.Platform)
        {
            var r = await s.Clients.Platform.CastVoteAsync(new Platform.CastVoteRequest
            {
                RequestId = requestId,
                ProposalId = proposal.Id,
                Support = support,
                Reason = reason,
            }, s.Clients.Call(ct));
            return (r.Vote, r.Tally, r);
        }
        var sub = await s.Clients.SubDao.CastVoteAsync(new SubDao.CastVoteRequest
        {
            RequestId = requestId,
            ProposalId = proposal.Id,
            Support = support,
            Reason = reason,
        }, s.Clients.Call(ct));
        return (sub.Vote, sub.Tally, sub);
    }

    public static async Task<IReadOnlyList<Vote>> VotesAsync(Session s, ProposalView proposal, CancellationToken ct) => proposal.Platform
        ? (await s.Clients.Platform.ListVotesAsync(new Platform.ListVotesRequest { ProposalId = proposal.Id, PageSize = 100 }, s.Clients.Call(ct))).Votes
        : (await s.Clients.SubDao.ListVotesAsync(new SubDao.ListVotesRequest { ProposalId = proposal.Id, PageSize = 100 }, s.Clients.Call(ct))).Votes;

    public static async Task<ProposalView> CancelAsync(Session s, ProposalView proposal, string reason, string requestId, CancellationToken ct) => proposal.Platform
        ? ProposalView.Of((await s.Clients.Platform.CancelProposalAsync(
            new Platform.CancelProposalRequest { RequestId = requestId, ProposalId = proposal.Id, Reason = reason }, s.Clients.Call(ct))).Proposal)
        : ProposalView.Of((await s.Clients.SubDao.CancelProposalAsync(
            new SubDao.CancelProposalRequest { RequestId = requestId, ProposalId = proposal.Id, Reason = reason }, s.Clients.Call(ct))).Proposal,
            await s.Clients.MoneyAsync(ct, Money.Pov));
}
