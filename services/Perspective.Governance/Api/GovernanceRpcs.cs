using Google.Protobuf;
using Grpc.Core;
using Perspective.Governance.Data;
using Perspective.Governance.Domain;
using Perspective.Governance.Engine;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Errors;
using Proto = Perspective.Contracts.Governance.V1;

namespace Perspective.Governance.Api;

/// <summary>
/// The RPCs both DAO services offer alike. Each service has its own request messages, so these take the requests' fields
/// (and the request itself where its bytes make the replay hash) and return engine rows or shared governance.v1 messages.
/// </summary>
public sealed class GovernanceRpcs(ProposalCommands commands, GovernanceStore store, GovernanceQueries queries, TimeProvider time)
{
    /// <summary>A page of a service's own proposal messages and the token of the next page.</summary>
    public sealed record Page<T>(IReadOnlyList<T> Items, string NextPageToken);

    public async Task<(ProposalRow Proposal, string Digest)> CancelProposalAsync(ServerCallContext context, string requestId, string proposalId,
        string reason, IMessage request)
    {
        var caller = context.Caller();
        var id = Rules.RequestId(requestId);
        var proposal = Rules.ProposalId(proposalId);
        var hash = Rules.RequestHash(ProposalCommands.CancelRpc, caller.Account, "", request.ToByteArray());
        var row = await commands.CancelAsync(id, proposal, caller.Account, reason, hash, context.CancellationToken);
        return await ReadAsync(row.ProposalId, context.CancellationToken);
    }

    public Task<(ProposalRow Proposal, string Digest)> GetProposalAsync(string proposalId, CancellationToken ct) =>
        ReadAsync(Rules.ProposalId(proposalId), ct);

    /// <param name="daoId">Read after the shared checks, so a request with several bad fields is refused for the same one as before.</param>
    public async Task<Page<T>> ListProposalsAsync<T>(Func<string?> daoId, Proto.ProposalState state, string proposerAccount, string pageToken,
        int pageSize, Func<ProposalRow, string, T> toProto, CancellationToken ct)
    {
        var size = Paging.Size(pageSize);
        var filter = GovernanceMapping.StateFilter(state);
        Rules.Line("proposer_account", proposerAccount);
        var rows = await store.ListAsync(daoId(), filter, string.IsNullOrEmpty(proposerAccount) ? null : proposerAccount,
            GovernanceMapping.Cursor(pageToken), size, ct);
        // A page shows each tally with its stored (final) digest; a running tally's digest is GetTally's work.
        return new Page<T>(rows.Select(r => toProto(r, r.VotesDigest ?? "")).ToList(),
            Paging.NextToken(GovernanceMapping.CursorText(rows.LastOrDefault()?.Position ?? 0), rows.Count, size));
    }

    public async Task<(Proto.Vote Vote, Proto.Tally Tally)> CastVoteAsync(ServerCallContext context, string requestId, string proposalId, int support,
        string reason, IMessage request)
    {
        var caller = context.Caller();
        var id = Rules.RequestId(requestId);
        var proposal = Rules.ProposalId(proposalId);
        var choice = Rules.Support(support);
        Rules.Reason("reason", reason);
        var hash = Rules.RequestHash(ProposalCommands.VoteRpc, caller.Account, "", request.ToByteArray());
        var (vote, _) = await commands.VoteAsync(id, proposal, caller.Account, choice, reason, hash, context.CancellationToken);
        var (row, digest) = await ReadAsync(proposal, context.CancellationToken);
        return (GovernanceMapping.ToProto(vote), Tally(row, digest));
    }

    public async Task<Proto.Vote> GetVoteAsync(ServerCallContext context, string proposalId, string voterAccount)
    {
        var caller = context.Caller();
        var proposal = Rules.ProposalId(proposalId);
        var voter = string.IsNullOrEmpty(voterAccount) ? caller.Account : voterAccount;
        Rules.Line("voter_account", voter);
        var vote = await store.GetVoteAsync(proposal, voter, context.CancellationToken)
            ?? throw DomainException.NotFound($"{voter} has not voted on proposal {proposal}");
        return GovernanceMapping.ToProto(vote);
    }

    public async Task<Page<Proto.Vote>> ListVotesAsync(string proposalId, string pageToken, int pageSize, CancellationToken ct)
    {
        var size = Paging.Size(pageSize);
        var id = Rules.ProposalId(proposalId);
        var proposal = await store.GetAsync(id, ct) ?? throw ProposalCommands.ProposalNotFound(id);
        var rows = await store.ListVotesAsync(proposal.ProposalId, GovernanceMapping.Cursor(pageToken) ?? 0, size, ct);
        return new Page<Proto.Vote>(rows.Select(GovernanceMapping.ToProto).ToList(),
            Paging.NextToken(GovernanceMapping.CursorText(rows.LastOrDefault()?.Ordinal ?? 0), rows.Count, size));
    }

    public async Task<Proto.Tally> GetTallyAsync(string proposalId, CancellationToken ct)
    {
        var (proposal, digest) = await ReadAsync(Rules.ProposalId(proposalId), ct);
        return Tally(proposal, digest);
    }

    /// <summary>The proposal as it is now, its tally and digest from one snapshot.</summary>
    public async Task<(ProposalRow Proposal, string Digest)> ReadAsync(Guid proposalId, CancellationToken ct) =>
        await queries.ProposalAsync(proposalId, ct) ?? throw ProposalCommands.ProposalNotFound(proposalId);

    /// <summary>The tally as of now: a running proposal's figures depend on the clock.</summary>
    public Proto.Tally Tally(ProposalRow proposal, string digest) => GovernanceMapping.ToProto(proposal, digest, time.GetUtcNow());
}
