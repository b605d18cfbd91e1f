using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Perspective.Contracts.Gateway.V1;
using static Perspective.Client.PerspectiveClientTelemetry;

namespace Perspective.Client;

/// <summary>
/// What an AI-hosting provider calls on every request: charge usage, authorize / settle / cancel metered usage, read a
/// user's allowance and a model's price. Every mutating call carries a request id (a new UUID unless given, returned in
/// the result) that stays the same through every retry, so the gateway charges it once. Thread-safe; make one per
/// process (or inject it: <c>services.AddPerspectiveProvider(…)</c>).
/// </summary>
public sealed class PerspectiveProviderClient : IDisposable
{
    private readonly UsageGatewayService.UsageGatewayServiceClient gateway;
    private readonly PerspectiveProviderOptions options;
    private readonly GrpcChannel? ownedChannel;

    /// <summary>A client with a channel of its own to <see cref="PerspectiveProviderOptions.Endpoint"/> (disposed with it).</summary>
    public PerspectiveProviderClient(PerspectiveProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
        ownedChannel = GrpcChannel.ForAddress(options.Endpoint!, new GrpcChannelOptions
        {
            HttpHandler = options.HttpHandler ?? DefaultHandler(),
            DisposeHttpClient = options.HttpHandler is null,
        });
        gateway = new UsageGatewayService.UsageGatewayServiceClient(ownedChannel);
    }

    /// <summary>A client over a generated gateway client (from <c>AddPerspectiveProvider</c>, or a channel of the caller's).</summary>
    public PerspectiveProviderClient(UsageGatewayService.UsageGatewayServiceClient gateway, PerspectiveProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(needsEndpoint: false);
        this.gateway = gateway;
        this.options = options;
    }

    /// <summary>
    /// Charges <paramref name="payerAccount"/> the model's price × <paramref name="units"/> (one Ledger transfer to the
    /// model's treasury). Needs the payer's allowance for the model and a LISTED model provided by the caller.
    /// </summary>
    /// <remarks>
    /// <c>requestId</c> is the idempotency key, a new UUID when null: pass the same id to repeat a call whose outcome is
    /// unknown. Throws <see cref="PerspectiveException"/> when refused (FAILED_PRECONDITION: model not listed, allowance or
    /// balance short…) or not reached.
    /// </remarks>
    public Task<ChargeResult> ChargeUsageAsync(string modelId, string payerAccount, long units, string? requestId = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        ArgumentNullException.ThrowIfNull(payerAccount);
        var request = new ChargeUsageRequest { RequestId = requestId ?? NewRequestId(), ModelId = modelId, PayerAccount = payerAccount, Units = units };
        return CallAsync(nameof(UsageGatewayService.UsageGatewayServiceClient.ChargeUsage), request.RequestId,
            span => span?.SetTag(Tags.ModelId, modelId).SetTag(Tags.PayerAccount, payerAccount).SetTag(Tags.Units, units),
            call => gateway.ChargeUsageAsync(request, call),
            (response, span) =>
            {
                Paid(span, response.Payment);
                return new ChargeResult(request.RequestId, UsagePayment.From(response.Payment), AllowanceState.From(response.Allowance));
            },
            cancellationToken);
    }

    /// <summary>
    /// Holds the fee for at most <paramref name="maxUnits"/> at the current price for <paramref name="ttl"/> (rounded up
    /// to whole seconds, 1 s to 24 h). Settle it with the units used, or cancel it.
    /// </summary>
    public Task<AuthorizeResult> AuthorizeUsageAsync(string modelId, string payerAccount, long maxUnits, TimeSpan ttl, string? requestId = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        ArgumentNullException.ThrowIfNull(payerAccount);
        var request = new AuthorizeUsageRequest
        {
            RequestId = requestId ?? NewRequestId(),
            ModelId = modelId,
            PayerAccount = payerAccount,
            MaxUnits = maxUnits,
            TtlSeconds = (long)Math.Ceiling(ttl.TotalSeconds),
        };
        return CallAsync(nameof(UsageGatewayService.UsageGatewayServiceClient.AuthorizeUsage), request.RequestId,
            span => span?.SetTag(Tags.ModelId, modelId).SetTag(Tags.PayerAccount, payerAccount).SetTag(Tags.Units, maxUnits),
            call => gateway.AuthorizeUsageAsync(request, call),
            (response, span) =>
            {
                span?.SetTag(Tags.AuthorizationId, response.Authorization.AuthorizationId);
                return new AuthorizeResult(request.RequestId, MeteredAuthorization.From(response.Authorization));
            },
            cancellationToken);
    }

    /// <summary>Charges the <paramref name="unitsUsed"/> (1 ≤ units ≤ the authorization's max) of an open authorization and releases the rest.</summary>
    public Task<SettleResult> SettleUsageAsync(string authorizationId, long unitsUsed, string? requestId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorizationId);
        var request = new SettleUsageRequest { RequestId = requestId ?? NewRequestId(), AuthorizationId = authorizationId, UnitsUsed = unitsUsed };
        return CallAsync(nameof(UsageGatewayService.UsageGatewayServiceClient.SettleUsage), request.RequestId,
            span => span?.SetTag(Tags.AuthorizationId, authorizationId).SetTag(Tags.Units, unitsUsed),
            call => gateway.SettleUsageAsync(request, call),
            (response, span) =>
            {
                span?.SetTag(Tags.ModelId, response.Authorization.ModelId).SetTag(Tags.PayerAccount, response.Authorization.PayerAccount);
                Paid(span, response.Payment);
                return new SettleResult(request.RequestId, MeteredAuthorization.From(response.Authorization), UsagePayment.From(response.Payment));
            },
            cancellationToken);
    }

    /// <summary>Cancels an open authorization: nothing is charged, the hold and the allowance are freed.</summary>
    /// <remarks><c>reason</c> is optional, at most 1,000 characters.</remarks>
    public Task<CancelResult> CancelUsageAsync(string authorizationId, string? reason = null, string? requestId = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorizationId);
        var request = new CancelUsageRequest { RequestId = requestId ?? NewRequestId(), AuthorizationId = authorizationId, Reason = reason ?? "" };
        return CallAsync(nameof(UsageGatewayService.UsageGatewayServiceClient.CancelUsage), request.RequestId,
            span => span?.SetTag(Tags.AuthorizationId, authorizationId),
            call => gateway.CancelUsageAsync(request, call),
            (response, span) =>
            {
                span?.SetTag(Tags.ModelId, response.Authorization.ModelId).SetTag(Tags.PayerAccount, response.Authorization.PayerAccount);
                return new CancelResult(request.RequestId, MeteredAuthorization.From(response.Authorization));
            },
            cancellationToken);
    }

    /// <summary>A payer's allowance for a model (NOT_FOUND when the payer never set one).</summary>
    public Task<AllowanceState> GetAllowanceAsync(string payerAccount, string modelId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payerAccount);
        ArgumentNullException.ThrowIfNull(modelId);
        var request = new GetAllowanceRequest { PayerAccount = payerAccount, ModelId = modelId };
        return CallAsync(nameof(UsageGatewayService.UsageGatewayServiceClient.GetAllowance), requestId: null,
            span => span?.SetTag(Tags.ModelId, modelId).SetTag(Tags.PayerAccount, payerAccount),
            call => gateway.GetAllowanceAsync(request, call),
            (response, _) => AllowanceState.From(response.Allowance),
            cancellationToken);
    }

    /// <summary>What <paramref name="units"/> of a model cost now (0 = just the unit price), with its status and provider.</summary>
    public Task<ModelQuote> GetModelQuoteAsync(string modelId, long units = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        var request = new GetModelQuoteRequest { ModelId = modelId, Units = units };
        return CallAsync(nameof(UsageGatewayService.UsageGatewayServiceClient.GetModelQuote), requestId: null,
            span => span?.SetTag(Tags.ModelId, modelId).SetTag(Tags.Units, units),
            call => gateway.GetModelQuoteAsync(request, call),
            (response, span) =>
            {
                span?.SetTag(Tags.AmountBaseUnits, response.Amount);
                return ModelQuote.From(response);
            },
            cancellationToken);
    }

    /// <summary>Disposes the channel the client created (none when built over a generated client).</summary>
    public void Dispose() => ownedChannel?.Dispose();

    private static string NewRequestId() => Guid.NewGuid().ToString();

    private static void Paid(Activity? span, Payment payment) =>
        span?.SetTag(Tags.PaymentId, payment.PaymentId).SetTag(Tags.AmountBaseUnits, payment.Amount);

    private Task<TResult> CallAsync<TResponse, TResult>(string operation, string? requestId, Action<Activity?> describe,
        Func<CallOptions, AsyncUnaryCall<TResponse>> send, Func<TResponse, Activity?, TResult> read, CancellationToken cancellationToken) =>
        new RetryingCall(options, operation, requestId).RunAsync(describe, send, read, cancellationToken);

    private static SocketsHttpHandler DefaultHandler() => new()
    {
        // One HTTP/2 connection caps concurrent streams (100 by default); a busy provider needs more.
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingDelay = TimeSpan.FromSeconds(60),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
    };
}
