using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.SubDao.V1;
using Perspective.Governance.Api;
using Perspective.Governance.Data;
using Perspective.Governance.Domain;
using Perspective.Governance.Engine;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Errors;
using Perspective.SubDaoGovernance.Data;
using Perspective.SubDaoGovernance.Domain;

namespace Perspective.SubDaoGovernance.Api;

/// <summary>gRPC endpoints of <c>perspective.subdao.v1.SubDaoGovernanceService</c>: map proto to domain and back, nothing else.</summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class SubDaoGovernanceApi(ProposalCommands commands, GovernanceStore store, GovernanceQueries queries, SubDaoStore subDao, TimeProvider time)
    : SubDaoGovernanceService.SubDaoGovernanceServiceBase
{
    public override async Task<GetDaoResponse> GetDao(GetDaoRequest request, ServerCallContext context)
    {
        var modelId = ModelId(request.ModelId);
        var dao = await store.GetDaoAsync(modelId, context.CancellationToken) ?? throw DaoNotFound(modelId);
        return new GetDaoResponse { Dao = ToProto(dao) };
    }

    public override async Task<ListDaosResponse> ListDaos(ListDaosRequest request, ServerCallContext context)
    {
        var size = Paging.Size(request.PageSize);
        var rows = await store.ListDaosAsync(GovernanceMapping.Cursor(request.PageToken) ?? 0, size, context.CancellationToken);
        var response = new ListDaosResponse
        {
            NextPageToken = Paging.NextToken(GovernanceMapping.CursorText(rows.LastOrDefault()?.Position ?? 0), rows.Count, size),
        };
        response.Daos.AddRange(rows.Select(ToProto));
        return response;
    }

    public override async Task<CreateProposalResponse> CreateProposal(CreateProposalRequest request, ServerCallContext context)
    {
        var caller = context.Caller().RequireRole(Roles.User, Roles.Provider);
        var requestId = Rules.RequestId(request.RequestId);
        var modelId = ModelId(request.ModelId);
        Rules.Title(request.Title);
        Rules.Description(request.Description);
        SubDaoActions.Validate(request.Actions, modelId);
        var hash = Rules.RequestHash(ProposalCommands.CreateRpc, caller.Account, modelId, request.ToByteArray());
        // The fee limit is checked after the replay lookup: a retry answers its proposal even if the platform lowered the limit since.
        var row = await commands.CreateAsync(new NewProposal(requestId, modelId, caller.Account, request.Title, request.Description,
                SubDaoActions.ToJson(request.Actions), request.Actions.Count, hash,
                async ct => SubDaoActions.CheckFeeLimit(request.Actions, await subDao.MaxUsageFeeAsync(ct))),
            context.CancellationToken);
        return new CreateProposalResponse { Proposal = await ToProtoAsync(row, context.CancellationToken) };
    }

    public override async Task<CancelProposalResponse> CancelProposal(CancelProposalRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var requestId = Rules.RequestId(request.RequestId);
        var proposalId = Rules.ProposalId(request.ProposalId);
        var hash = Rules.RequestHash(ProposalCommands.CancelRpc, caller.Account, "", request.ToByteArray());
        var row = await commands.CancelAsync(requestId, proposalId, caller.Account, request.Reason, hash, context.CancellationToken);
        return new CancelProposalResponse { Proposal = await ToProtoAsync(row, context.CancellationToken) };
    }

    public override async Task<GetProposalResponse> GetProposal(GetProposalRequest request, ServerCallContext context)
    {
        var (row, digest) = await ReadAsync(Rules.ProposalId(request.ProposalId), context.CancellationToken);
        return new GetProposalResponse { Proposal = ToProto(row, digest) };
    }

    public override async Task<ListProposalsResponse> ListProposals(ListProposalsRequest request, ServerCallContext context)
    {
        var size = Paging.Size(request.PageSize);
        var state = GovernanceMapping.StateFilter(request.State);
        Rules.Line("proposer_account", request.ProposerAccount);
        var modelId = string.IsNullOrEmpty(request.ModelId) ? null : ModelId(request.ModelId);
        var rows = await store.ListAsync(modelId, state, string.IsNullOrEmpty(request.ProposerAccount) ? null : request.ProposerAccount,
            GovernanceMapping.Cursor(request.PageToken), size, context.CancellationToken);
        var response = new ListProposalsResponse
        {
            NextPageToken = Paging.NextToken(GovernanceMapping.CursorText(rows.LastOrDefault()?.Position ?? 0), rows.Count, size),
        };
        // A page shows each tally with its stored (final) digest; a running tally's digest is GetTally's work.
        response.Proposals.AddRange(rows.Select(r => ToProto(r, r.VotesDigest ?? "")));
        return response;
    }

    public override async Task<CastVoteResponse> CastVote(CastVoteRequest request, ServerCallContext context)
    {
        var caller = context.Caller().RequireRole(Roles.User, Roles.Provider);
        var requestId = Rules.RequestId(request.RequestId);
        var proposalId = Rules.ProposalId(request.ProposalId);
        var support = Rules.Support((int)request.Support);
        Rules.Reason("reason", request.Reason);
        var hash = Rules.RequestHash(ProposalCommands.VoteRpc, caller.Account, "", request.ToByteArray());
        var (vote, _) = await commands.VoteAsync(requestId, proposalId, caller.Account, support, request.Reason, hash, context.CancellationToken);
        var (proposal, digest) = await ReadAsync(proposalId, context.CancellationToken);
        return new CastVoteResponse
        {
            Vote = GovernanceMapping.ToProto(vote),
            Tally = GovernanceMapping.ToProto(proposal, digest, time.GetUtcNow()),
        };
    }

    public override async Task<GetVoteResponse> GetVote(GetVoteRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var proposalId = Rules.ProposalId(request.ProposalId);
        var voter = string.IsNullOrEmpty(request.VoterAccount) ? caller.Account : request.VoterAccount;
        Rules.Line("voter_account", voter);
        var vote = await store.GetVoteAsync(proposalId, voter, context.CancellationToken)
            ?? throw DomainException.NotFound($"{voter} has not voted on proposal {proposalId}");
        return new GetVoteResponse { Vote = GovernanceMapping.ToProto(vote) };
    }

    public override async Task<ListVotesResponse> ListVotes(ListVotesRequest request, ServerCallContext context)
    {
        var size = Paging.Size(request.PageSize);
        var proposal = await GetAsync(request.ProposalId, context.CancellationToken);
        var rows = await store.ListVotesAsync(proposal.ProposalId, GovernanceMapping.Cursor(request.PageToken) ?? 0, size, context.CancellationToken);
        var response = new ListVotesResponse
        {
            NextPageToken = Paging.NextToken(GovernanceMapping.CursorText(rows.LastOrDefault()?.Ordinal ?? 0), rows.Count, size),
        };
        response.Votes.AddRange(rows.Select(GovernanceMapping.ToProto));
        return response;
    }

    public override async Task<GetTallyResponse> GetTally(GetTallyRequest request, ServerCallContext context)
    {
        var (proposal, digest) = await ReadAsync(Rules.ProposalId(request.ProposalId), context.CancellationToken);
        return new GetTallyResponse { Tally = GovernanceMapping.ToProto(proposal, digest, time.GetUtcNow()) };
    }

    private async Task<ProposalRow> GetAsync(string proposalId, CancellationToken ct)
    {
        var id = Rules.ProposalId(proposalId);
        var row = await store.GetAsync(id, ct) ?? throw ProposalCommands.ProposalNotFound(id);
        // Both services share the engine's tables in their own databases, so every row here is a sub-DAO proposal.
        return row;
    }

    /// <summary>The proposal as it is now, its tally and digest from one snapshot.</summary>
    private async Task<SubDaoProposal> ToProtoAsync(ProposalRow row, CancellationToken ct)
    {
        var (proposal, digest) = await ReadAsync(row.ProposalId, ct);
        return ToProto(proposal, digest);
    }

    private async Task<(ProposalRow Proposal, string Digest)> ReadAsync(Guid proposalId, CancellationToken ct) =>
        await queries.ProposalAsync(proposalId, ct) ?? throw ProposalCommands.ProposalNotFound(proposalId);

    private SubDaoProposal ToProto(ProposalRow row, string digest)
    {
        var proposal = new SubDaoProposal
        {
            ProposalId = row.ProposalId.ToString("D"),
            ModelId = row.DaoId,
            ProposerAccount = row.Proposer,
            Title = row.Title,
            Description = row.Description,
            State = (Perspective.Contracts.Governance.V1.ProposalState)row.State,
            SnapshotSequence = row.SnapshotSequence,
            Settings = GovernanceMapping.ToProto(row.FrozenSettings),
            Timeline = GovernanceMapping.Timeline(row),
            Tally = GovernanceMapping.ToProto(row, digest, time.GetUtcNow()),
            FailureReason = row.FailureReason,
        };
        proposal.Actions.AddRange(SubDaoActions.FromJson(row.Actions));
        return proposal;
    }

    private static ModelDao ToProto(DaoRow dao) => new()
    {
        ModelId = dao.DaoId,
        VotingAsset = dao.VotingAsset,
        TreasuryAccount = $"treasury:{dao.DaoId}",
        Settings = GovernanceMapping.ToProto(dao.CurrentSettings),
        AcceptingProposals = dao.AcceptingProposals,
        CreatedAt = GovernanceMapping.Time(dao.CreatedAt),
        SettingsUpdatedAt = GovernanceMapping.Time(dao.SettingsUpdatedAt),
    };

    /// <summary>A sub-DAO's id is its model's id, in the registry's form (a lowercase UUID).</summary>
    private static string ModelId(string value) => Rules.Uuid("model_id", value).ToString("D");

    private static DomainException DaoNotFound(string modelId) => DomainException.NotFound($"no sub-DAO for model {modelId}");
}
