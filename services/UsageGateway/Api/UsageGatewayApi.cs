using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Errors;
using Perspective.UsageGateway.Data;
using Perspective.UsageGateway.Domain;
using Perspective.UsageGateway.Models;
using Perspective.UsageGateway.Payments;

namespace Perspective.UsageGateway.Api;

/// <summary>gRPC endpoints of <c>perspective.gateway.v1.UsageGatewayService</c>: check input and caller, call the payment services, map back.</summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class UsageGatewayApi(
    GatewayStore store, ModelCache models, ChargeService charges, MeteredService metered, ProviderRateLimiter rateLimiter, GatewayMetrics metrics, TimeProvider time)
    : UsageGatewayService.UsageGatewayServiceBase
{
    private const string SetAllowanceKind = "set-allowance";
    private const string RevokeAllowanceKind = "revoke-allowance";

    // ---------------- allowances ----------------

    public override async Task<SetAllowanceResponse> SetAllowance(SetAllowanceRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var requestId = GatewayRules.RequestId("request_id", request.RequestId);
        GatewayRules.ModelId(request.ModelId);
        if (request.CapAmount < 0)
        {
            throw DomainException.InvalidArgument("cap_amount", "must not be negative");
        }
        var now = GatewayRules.Now(time);
        DateTime? expiresAt = null;
        if (request.ExpiresAt is not null)
        {
            var at = ValidTimestamp("expires_at", request.ExpiresAt);
            expiresAt = at > now.UtcDateTime ? at : throw DomainException.InvalidArgument("expires_at", "must be in the future");
        }
        var contentHash = GatewayRules.ContentHash(request, caller.Account);
        if (await ReplayAsync(requestId, contentHash, SetAllowanceResponse.Parser, context.CancellationToken) is { } replay)
        {
            return replay;
        }
        var model = await models.GetAsync(request.ModelId, context.CancellationToken);
        if (model.Status == Contracts.Events.Registry.V1.ModelStatus.Banned)
        {
            throw DomainException.FailedPrecondition($"model {model.ModelId} is Banned: no allowance can be granted");
        }
        return await OnceAsync(requestId, SetAllowanceKind, contentHash, SetAllowanceResponse.Parser, async transaction =>
        {
            var allowance = await store.SetAllowanceAsync(transaction, caller.Account, request.ModelId, request.CapAmount, expiresAt, now.UtcDateTime, context.CancellationToken);
            return new SetAllowanceResponse { Allowance = GatewayMapping.ToProto(allowance, now) };
        }, context.CancellationToken);
    }

    public override async Task<GetAllowanceResponse> GetAllowance(GetAllowanceRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var payer = string.IsNullOrEmpty(request.PayerAccount) ? caller.Account : request.PayerAccount;
        GatewayRules.Account("payer_account", payer);
        GatewayRules.ModelId(request.ModelId);
        if (payer != caller.Account && !caller.IsInRole(Roles.Service) && !caller.IsInRole(Roles.Admin))
        {
            // The model's provider may see what it may charge.
            var model = await models.GetAsync(request.ModelId, context.CancellationToken);
            if (model.ProviderAccount != caller.Account)
            {
                throw DomainException.PermissionDenied($"caller {caller.Account} may not read the allowances of {payer}");
            }
        }
        var allowance = await store.AllowanceAsync(payer, request.ModelId, null, false, context.CancellationToken)
                        ?? throw DomainException.NotFound($"no allowance of {payer} for model {request.ModelId}");
        return new GetAllowanceResponse { Allowance = GatewayMapping.ToProto(allowance, GatewayRules.Now(time)) };
    }

    public override async Task<RevokeAllowanceResponse> RevokeAllowance(RevokeAllowanceRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var requestId = GatewayRules.RequestId("request_id", request.RequestId);
        GatewayRules.ModelId(request.ModelId);
        var contentHash = GatewayRules.ContentHash(request, caller.Account);
        var now = GatewayRules.Now(time);
        return await OnceAsync(requestId, RevokeAllowanceKind, contentHash, RevokeAllowanceResponse.Parser, async transaction =>
        {
            _ = await store.AllowanceAsync(caller.Account, request.ModelId, transaction, forUpdate: true, context.CancellationToken)
                ?? throw DomainException.NotFound($"no allowance of {caller.Account} for model {request.ModelId}");
            var allowance = await store.RevokeAllowanceAsync(transaction, caller.Account, request.ModelId, now.UtcDateTime, context.CancellationToken);
            return new RevokeAllowanceResponse { Allowance = GatewayMapping.ToProto(allowance, now) };
        }, context.CancellationToken);
    }

    public override async Task<ListAllowancesResponse> ListAllowances(ListAllowancesRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var payer = string.IsNullOrEmpty(request.PayerAccount) ? caller.Account : request.PayerAccount;
        GatewayRules.Account("payer_account", payer);
        var size = Paging.Size(request.PageSize);
        var now = GatewayRules.Now(time);
        var allowances = await store.AllowancesAsync(payer, request.IncludeInactive, now.UtcDateTime, Paging.After(request.PageToken), size, context.CancellationToken);
        var response = new ListAllowancesResponse { NextPageToken = Paging.NextToken(allowances.LastOrDefault()?.ModelId ?? "", allowances.Count, size) };
        response.Allowances.AddRange(allowances.Select(a => GatewayMapping.ToProto(a, now)));
        return response;
    }

    // ---------------- charges and payments ----------------

    public override async Task<ChargeUsageResponse> ChargeUsage(ChargeUsageRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var caller = context.Caller();
            rateLimiter.Take(caller.Account, context);
            var response = await charges.ChargeAsync(request, caller, context.CancellationToken);
            metrics.ChargeAnswered(started, null);
            return response;
        }
        catch (Exception ex)
        {
            metrics.ChargeAnswered(started, ex);
            throw;
        }
    }

    public override async Task<GetPaymentResponse> GetPayment(GetPaymentRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var paymentId = GatewayRules.Id("payment_id", request.PaymentId);
        var payment = await store.PaymentAsync(paymentId, context.CancellationToken);
        if (payment is null || !MaySee(caller, payment.PayerAccount, payment.ProviderAccount))
        {
            // Someone else's payment is not found rather than forbidden: its existence is not the caller's business.
            throw DomainException.NotFound($"payment {request.PaymentId} not found");
        }
        return new GetPaymentResponse { Payment = GatewayMapping.ToProto(payment) };
    }

    public override async Task<ListPaymentsResponse> ListPayments(ListPaymentsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var (payer, modelId) = await ListScopeAsync(caller, request.PayerAccount, request.ModelId, context.CancellationToken);
        DateTime? from = request.FromTime is null ? null : ValidTimestamp("from_time", request.FromTime);
        DateTime? to = request.ToTime is null ? null : ValidTimestamp("to_time", request.ToTime);
        if (from > to)
        {
            throw DomainException.InvalidArgument("from_time", "must not be after to_time");
        }
        var size = Paging.Size(request.PageSize);
        var payments = await store.PaymentsAsync(payer, modelId, from, to, GatewayMapping.ParseKey(Paging.After(request.PageToken)), size, context.CancellationToken);
        var last = payments.LastOrDefault();
        var response = new ListPaymentsResponse
        {
            NextPageToken = Paging.NextToken(last is null ? "" : GatewayMapping.Key(last.CreatedAt, last.PaymentId), payments.Count, size),
        };
        response.Payments.AddRange(payments.Select(GatewayMapping.ToProto));
        return response;
    }

    // ---------------- metered usage ----------------

    public override Task<AuthorizeUsageResponse> AuthorizeUsage(AuthorizeUsageRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        rateLimiter.Take(caller.Account, context);
        return metered.AuthorizeAsync(request, caller, context.CancellationToken);
    }

    public override Task<SettleUsageResponse> SettleUsage(SettleUsageRequest request, ServerCallContext context) =>
        metered.SettleAsync(request, context.Caller(), context.CancellationToken);

    public override Task<CancelUsageResponse> CancelUsage(CancelUsageRequest request, ServerCallContext context) =>
        metered.CancelAsync(request, context.Caller(), context.CancellationToken);

    public override async Task<GetUsageAuthorizationResponse> GetUsageAuthorization(GetUsageAuthorizationRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var id = GatewayRules.Id("authorization_id", request.AuthorizationId);
        var authorization = await store.AuthorizationAsync(id, null, false, context.CancellationToken);
        if (authorization is null || authorization.Status == AuthorizationStatus.Creating || !MaySee(caller, authorization.PayerAccount, authorization.ProviderAccount))
        {
            throw DomainException.NotFound($"authorization {request.AuthorizationId} not found");
        }
        return new GetUsageAuthorizationResponse { Authorization = GatewayMapping.ToProto(authorization) };
    }

    public override async Task<ListUsageAuthorizationsResponse> ListUsageAuthorizations(ListUsageAuthorizationsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var (payer, modelId) = await ListScopeAsync(caller, request.PayerAccount, request.ModelId, context.CancellationToken);
        var status = GatewayMapping.FromProto(request.Status);
        var size = Paging.Size(request.PageSize);
        var rows = await store.AuthorizationsAsync(payer, modelId, status, GatewayMapping.ParseKey(Paging.After(request.PageToken)), size, context.CancellationToken);
        var last = rows.LastOrDefault();
        var response = new ListUsageAuthorizationsResponse
        {
            NextPageToken = Paging.NextToken(last is null ? "" : GatewayMapping.Key(last.CreatedAt, last.AuthorizationId), rows.Count, size),
        };
        response.Authorizations.AddRange(rows.Select(GatewayMapping.ToProto));
        return response;
    }

    // ---------------- prices ----------------

    public override async Task<GetModelQuoteResponse> GetModelQuote(GetModelQuoteRequest request, ServerCallContext context)
    {
        GatewayRules.ModelId(request.ModelId);
        if (request.Units < 0)
        {
            throw DomainException.InvalidArgument("units", "must not be negative");
        }
        var model = await models.GetAsync(request.ModelId, context.CancellationToken);
        return new GetModelQuoteResponse
        {
            ModelId = model.ModelId,
            Status = (ModelStatus)(int)model.Status,
            ProviderAccount = model.ProviderAccount,
            Unit = (UsageUnit)(int)model.Unit,
            AmountPerUnit = model.AmountPerUnit,
            Units = request.Units,
            Amount = GatewayRules.Fee("units", model.AmountPerUnit, request.Units),
            AsOf = ModelCache.AsOf(model),
        };
    }

    // ---------------- helpers ----------------

    private static bool MaySee(Caller caller, string payer, string provider) =>
        caller.Account == payer || caller.Account == provider || caller.IsInRole(Roles.Service) || caller.IsInRole(Roles.Admin);

    /// <summary>
    /// Who may list what: users their own payments; providers their own, or those of models they provide; service and
    /// admin anything. At least one of payer and model is needed.
    /// </summary>
    private async Task<(string? Payer, string? ModelId)> ListScopeAsync(Caller caller, string payer, string modelId, CancellationToken cancellationToken)
    {
        if (payer.Length == 0 && modelId.Length == 0)
        {
            throw DomainException.InvalidArgument("payer_account", "payer_account or model_id is required");
        }
        if (payer.Length > 0)
        {
            GatewayRules.Account("payer_account", payer);
        }
        if (modelId.Length > 0)
        {
            GatewayRules.ModelId(modelId);
        }
        if (caller.IsInRole(Roles.Service) || caller.IsInRole(Roles.Admin) || payer == caller.Account)
        {
            return (NullIfEmpty(payer), NullIfEmpty(modelId));
        }
        if (caller.IsInRole(Roles.Provider) && modelId.Length > 0 && (await models.GetAsync(modelId, cancellationToken)).ProviderAccount == caller.Account)
        {
            return (NullIfEmpty(payer), modelId);
        }
        throw DomainException.PermissionDenied($"caller {caller.Account} may list only its own payments or those of models it provides");
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static DateTime ValidTimestamp(string field, Google.Protobuf.WellKnownTypes.Timestamp value)
    {
        try
        {
            return value.ToDateTime();
        }
        catch (InvalidOperationException)
        {
            throw DomainException.InvalidArgument(field, "is not a valid timestamp");
        }
    }

    private async Task<T?> ReplayAsync<T>(Guid requestId, byte[] contentHash, Google.Protobuf.MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, Google.Protobuf.IMessage<T>
    {
        var (connection, transaction) = await store.BeginAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var known = await store.RequestAsync(transaction, requestId, cancellationToken);
            if (known is null)
            {
                return null;
            }
            return known.ContentHash.AsSpan().SequenceEqual(contentHash)
                ? parser.ParseFrom(known.Response)
                : throw DomainException.AlreadyExists($"request_id {requestId} was already used for another request");
        }
    }

    /// <summary>A single-transaction change recorded under its request id: a copy with the same content gets the stored response.</summary>
    private async Task<T> OnceAsync<T>(Guid requestId, string kind, byte[] contentHash, Google.Protobuf.MessageParser<T> parser,
        Func<Npgsql.NpgsqlTransaction, Task<T>> change, CancellationToken cancellationToken)
        where T : class, Google.Protobuf.IMessage<T>
    {
        var (connection, transaction) = await store.BeginAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            if (!await store.ClaimRequestAsync(transaction, requestId, kind, contentHash, GatewayRules.Now(time).UtcDateTime, cancellationToken))
            {
                await transaction.RollbackAsync(cancellationToken);
                return await ReplayAsync(requestId, contentHash, parser, cancellationToken)
                       ?? throw new DomainException(DomainErrorKind.Unavailable, "the first copy of this request was undone; retry with the same request id");
            }
            var response = await change(transaction);
            await store.CompleteRequestAsync(transaction, requestId, response.ToByteArray(), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return response;
        }
    }
}
