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
public sealed class SubDaoGovernanceApi(ProposalCommands commands, GovernanceStore store, GovernanceRpcs rpcs, SubDaoStore subDao)
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
        var caller = context.Caller();
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
        var (row, digest) = await rpcs.CancelProposalAsync(context, request.RequestId, request.ProposalId, request.Reason, request);
        return new CancelProposalResponse { Proposal = ToProto(row, digest) };
    }

    public override async Task<GetProposalResponse> GetProposal(GetProposalRequest request, ServerCallContext context)
    {
        var (row, digest) = await rpcs.GetProposalAsync(request.ProposalId, context.CancellationToken);
        return new GetProposalResponse { Proposal = ToProto(row, digest) };
    }

    public override async Task<ListProposalsResponse> ListProposals(ListProposalsRequest request, ServerCallContext context)
    {
        var page = await rpcs.ListProposalsAsync(() => string.IsNullOrEmpty(request.ModelId) ? null : ModelId(request.ModelId), request.State,
            request.ProposerAccount, request.PageToken, request.PageSize, ToProto, context.CancellationToken);
        var response = new ListProposalsResponse { NextPageToken = page.NextPageToken };
        response.Proposals.AddRange(page.Items);
        return response;
    }

    public override async Task<CastVoteResponse> CastVote(CastVoteRequest request, ServerCallContext context)
    {
        var (vote, tally) = await rpcs.CastVoteAsync(context, request.RequestId, request.ProposalId, (int)request.Support, request.Reason, request);
        return new CastVoteResponse { Vote = vote, Tally = tally };
    }

    public override async Task<GetVoteResponse> GetVote(GetVoteRequest request, ServerCallContext context) =>
        new() { Vote = await rpcs.GetVoteAsync(context, request.ProposalId, request.VoterAccount) };

    public override async Task<ListVotesResponse> ListVotes(ListVotesRequest request, ServerCallContext context)
    {
        var page = await rpcs.ListVotesAsync(request.ProposalId, request.PageToken, request.PageSize, context.CancellationToken);
        var response = new ListVotesResponse { NextPageToken = page.NextPageToken };
        response.Votes.AddRange(page.Items);
        return response;
    }

    public override async Task<GetTallyResponse> GetTally(GetTallyRequest request, ServerCallContext context) =>
        new() { Tally = await rpcs.GetTallyAsync(request.ProposalId, context.CancellationToken) };

    /// <summary>The proposal as it is now, its tally and digest from one snapshot.</summary>
    private async Task<SubDaoProposal> ToProtoAsync(ProposalRow row, CancellationToken ct)
    {
        var (proposal, digest) = await rpcs.ReadAsync(row.ProposalId, ct);
        return ToProto(proposal, digest);
    }

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
            Tally = rpcs.Tally(row, digest),
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
