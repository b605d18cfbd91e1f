using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.Registry.V1;
using Perspective.ModelRegistry.Commands;
using Perspective.ModelRegistry.Data;
using Perspective.ModelRegistry.Domain;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.ModelRegistry.Api;

/// <summary>gRPC endpoints of <c>perspective.registry.v1.ModelRegistryService</c>: map proto to domain and back, nothing else.</summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class ModelRegistryApi(ModelCommands commands, ModelStore store) : ModelRegistryService.ModelRegistryServiceBase
{
    public override async Task<RegisterModelResponse> RegisterModel(RegisterModelRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var requestId = ModelRules.RequestId("request_id", request.RequestId);
        var token = request.Token ?? throw DomainException.InvalidArgument("token", "is required");
        var price = request.Price ?? throw DomainException.InvalidArgument("price", "is required");
        var model = new NewModel(requestId, caller.Account, request.Name, request.Description, request.ProviderAccount, token.Symbol, token.Name,
            token.Decimals, token.TotalSupply, price.AmountPerUnit, (int)price.Unit);
        var row = await commands.RegisterAsync(model, context.CancellationToken);
        return new RegisterModelResponse { Model = RegistryMapping.ToProto(row) };
    }

    public override async Task<GetModelResponse> GetModel(GetModelRequest request, ServerCallContext context)
    {
        var modelId = ModelId(request.ModelId);
        var row = await store.GetAsync(modelId, context.CancellationToken) ?? throw DomainException.NotFound($"model {request.ModelId} not found");
        return new GetModelResponse { Model = RegistryMapping.ToProto(row) };
    }

    public override async Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var size = Paging.Size(request.PageSize);
        if (request.Status != ModelStatus.Unspecified && !Enum.IsDefined(request.Status))
        {
            throw DomainException.InvalidArgument("status", "is not a model status");
        }
        Contracts.Events.Registry.V1.ModelStatus? status = request.Status == ModelStatus.Unspecified
            ? null
            : (Contracts.Events.Registry.V1.ModelStatus)request.Status;
        var after = Cursor(request.PageToken);
        var rows = await store.ListAsync(status, NullIfEmpty(request.CreatorAccount), NullIfEmpty(request.ProviderAccount), after, size,
            context.CancellationToken);
        var response = new ListModelsResponse
        {
            NextPageToken = Paging.NextToken(RegistryMapping.Cursor(rows.LastOrDefault()?.Position ?? 0), rows.Count, size),
        };
        response.Models.AddRange(rows.Select(RegistryMapping.ToProto));
        return response;
    }

    public override async Task<UpdateModelMetadataResponse> UpdateModelMetadata(UpdateModelMetadataRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var requestId = ModelRules.RequestId("request_id", request.RequestId);
        var modelId = ModelId(request.ModelId);
        var row = await commands.UpdateMetadataAsync(caller.Account, requestId, modelId,
            request.HasDescription ? request.Description : null,
            request.HasProviderAccount ? request.ProviderAccount : null,
            context.CancellationToken);
        return new UpdateModelMetadataResponse { Model = RegistryMapping.ToProto(row) };
    }

    public override async Task<RetireModelResponse> RetireModel(RetireModelRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var requestId = ModelRules.RequestId("request_id", request.RequestId);
        var modelId = ModelId(request.ModelId);
        var row = await commands.RetireAsync(caller.Account, requestId, modelId, request.Reason, context.CancellationToken);
        return new RetireModelResponse { Model = RegistryMapping.ToProto(row) };
    }

    public override async Task<GetModelHistoryResponse> GetModelHistory(GetModelHistoryRequest request, ServerCallContext context)
    {
        var modelId = ModelId(request.ModelId);
        var size = Paging.Size(request.PageSize);
        var after = Cursor(request.PageToken);
        _ = await store.GetAsync(modelId, context.CancellationToken) ?? throw DomainException.NotFound($"model {request.ModelId} not found");
        var rows = await store.HistoryAsync(modelId, after, size, context.CancellationToken);
        var response = new GetModelHistoryResponse
        {
            NextPageToken = Paging.NextToken(RegistryMapping.Cursor(rows.LastOrDefault()?.Version ?? 0), rows.Count, size),
        };
        response.Entries.AddRange(rows.Select(RegistryMapping.ToProto));
        return response;
    }

    private static Guid ModelId(string value) =>
        string.IsNullOrEmpty(value) ? throw DomainException.InvalidArgument("model_id", "is required") : ModelRules.Id("model_id", value);

    private static long? Cursor(string pageToken) =>
        Paging.After(pageToken) is not { } key
            ? null
            : long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var position)
                ? position
                : throw DomainException.InvalidArgument("page_token", "is not a token this service returned");

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}
