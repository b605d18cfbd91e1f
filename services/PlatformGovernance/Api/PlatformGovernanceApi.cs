using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.Platform.V1;
using Perspective.Governance.Api;
using Perspective.Governance.Data;
using Perspective.Governance.Domain;
using Perspective.Governance.Engine;
using Perspective.PlatformGovernance.Data;
using Perspective.PlatformGovernance.Domain;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.PlatformGovernance.Api;

/// <summary>gRPC endpoints of <c>perspective.platform.v1.PlatformGovernanceService</c>: map proto to domain and back, nothing else.</summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class PlatformGovernanceApi(
    ProposalCommands commands,
    GovernanceStore store,
    GovernanceRpcs rpcs,
    PlatformStore platform,
    Parameters parameters) : PlatformGovernanceService.PlatformGovernanceServiceBase
{
    public override async Task<GetDaoResponse> GetDao(GetDaoRequest request, ServerCallContext context)
    {
        var dao = await store.GetDaoAsync(PlatformDaoHost.DaoId, context.CancellationToken)
            ?? throw new InvalidOperationException("the platform DAO does not exist (it is created at start)");
        return new GetDaoResponse
        {
            Dao = new PlatformDao
            {
                VotingAsset = dao.VotingAsset,
                Settings = GovernanceMapping.ToProto(dao.CurrentSettings),
                CreatedAt = GovernanceMapping.Time(dao.CreatedAt),
                SettingsUpdatedAt = GovernanceMapping.Time(dao.SettingsUpdatedAt),
            },
        };
    }

    public override async Task<CreateProposalResponse> CreateProposal(CreateProposalRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var requestId = Rules.RequestId(request.RequestId);
        Rules.Title(request.Title);
        Rules.Description(request.Description);
        PlatformActions.Validate(request.Actions, parameters);
        var hash = Rules.RequestHash(ProposalCommands.CreateRpc, caller.Account, PlatformDaoHost.DaoId, request.ToByteArray());
        var row = await commands.CreateAsync(new NewProposal(requestId, PlatformDaoHost.DaoId, caller.Account, request.Title, request.Description,
            PlatformActions.ToJson(request.Actions), request.Actions.Count, hash), context.CancellationToken);
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
        var page = await rpcs.ListProposalsAsync(() => PlatformDaoHost.DaoId, request.State, request.ProposerAccount, request.PageToken,
            request.PageSize, ToProto, context.CancellationToken);
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

    public override async Task<GetParameterResponse> GetParameter(GetParameterRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.Key))
        {
            throw DomainException.InvalidArgument("key", "is required");
        }
        var spec = parameters.Find(request.Key) ?? throw DomainException.NotFound($"parameter {request.Key} is not a known parameter");
        var stored = await platform.ParametersAsync(null, null, context.CancellationToken);
        return new GetParameterResponse { Parameter = ToProto(spec, stored.GetValueOrDefault(spec.Key)) };
    }

    public override async Task<ListParametersResponse> ListParameters(ListParametersRequest request, ServerCallContext context)
    {
        var size = Paging.Size(request.PageSize);
        var after = Paging.After(request.PageToken);
        var stored = await platform.ParametersAsync(null, null, context.CancellationToken);
        var page = parameters.All.Where(s => after is null || string.CompareOrdinal(s.Key, after) > 0).Take(size).ToList();
        var response = new ListParametersResponse { NextPageToken = Paging.NextToken(page.LastOrDefault()?.Key ?? "", page.Count, size) };
        response.Parameters.AddRange(page.Select(s => ToProto(s, stored.GetValueOrDefault(s.Key))));
        return response;
    }

    public override async Task<GetStandardResponse> GetStandard(GetStandardRequest request, ServerCallContext context)
    {
        var id = Rules.Uuid("standard_id", request.StandardId);
        var row = await platform.GetStandardAsync(id, context.CancellationToken) ?? throw DomainException.NotFound($"standard {id} not found");
        return new GetStandardResponse { Standard = ToProto(row) };
    }

    public override async Task<ListStandardsResponse> ListStandards(ListStandardsRequest request, ServerCallContext context)
    {
        var size = Paging.Size(request.PageSize);
        Rules.Line("title", request.Title);
        var rows = await platform.ListStandardsAsync(string.IsNullOrEmpty(request.Title) ? null : request.Title,
            GovernanceMapping.Cursor(request.PageToken), size, context.CancellationToken);
        var response = new ListStandardsResponse
        {
            NextPageToken = Paging.NextToken(GovernanceMapping.CursorText(rows.LastOrDefault()?.Position ?? 0), rows.Count, size),
        };
        response.Standards.AddRange(rows.Select(ToProto));
        return response;
    }

    /// <summary>The proposal as it is now, its tally and digest from one snapshot.</summary>
    private async Task<PlatformProposal> ToProtoAsync(ProposalRow row, CancellationToken ct)
    {
        var (proposal, digest) = await rpcs.ReadAsync(row.ProposalId, ct);
        return ToProto(proposal, digest);
    }

    private PlatformProposal ToProto(ProposalRow row, string digest)
    {
        var proposal = new PlatformProposal
        {
            ProposalId = row.ProposalId.ToString("D"),
            ProposerAccount = row.Proposer,
            Title = row.Title,
            Description = row.Description,
            State = (Contracts.Governance.V1.ProposalState)row.State,
            SnapshotSequence = row.SnapshotSequence,
            Settings = GovernanceMapping.ToProto(row.FrozenSettings),
            Timeline = GovernanceMapping.Timeline(row),
            Tally = rpcs.Tally(row, digest),
            FailureReason = row.FailureReason,
        };
        proposal.Actions.AddRange(PlatformActions.FromJson(row.Actions));
        return proposal;
    }

    private static Parameter ToProto(ParameterSpec spec, ParameterRow? row) => new()
    {
        Key = spec.Key,
        Type = spec.Type,
        Value = Parameters.ToValue(spec, row?.Value ?? spec.DefaultText),
        DefaultValue = Parameters.ToValue(spec, spec.DefaultText),
        Description = spec.Description,
        UpdatedByProposalId = row?.UpdatedByProposalId.ToString("D") ?? "",
        UpdatedAt = row is null ? null : GovernanceMapping.Time(row.UpdatedAt),
    };

    private static Standard ToProto(StandardRow s) => new()
    {
        StandardId = s.StandardId.ToString("D"),
        Title = s.Title,
        Version = s.Version,
        Text = s.Text,
        TextDigest = s.TextDigest,
        ProposalId = s.ProposalId.ToString("D"),
        PublishedAt = GovernanceMapping.Time(s.PublishedAt),
    };
}
