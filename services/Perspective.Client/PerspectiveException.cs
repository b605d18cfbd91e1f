using Grpc.Core;

namespace Perspective.Client;

/// <summary>
/// The gateway refused a call, or it could not be reached within the retries. <see cref="StatusCode"/> and
/// <see cref="Detail"/> are the gateway's own (the detail names the field or rule: "allowance short", "model is
/// DELISTED"); act on the code and <see cref="IsRetryable"/>, show the detail to people.
/// </summary>
public sealed class PerspectiveException : Exception
{
    internal PerspectiveException(string operation, RpcException error, string? requestId, int attempts, TimeSpan? retryAfter)
        : base($"{operation} failed: {error.StatusCode}: {error.Status.Detail}", error)
    {
        Operation = operation;
        StatusCode = error.StatusCode;
        Detail = error.Status.Detail;
        RequestId = requestId;
        Attempts = attempts;
        RetryAfter = retryAfter;
    }

    /// <summary>The gateway RPC, for example <c>ChargeUsage</c>.</summary>
    public string Operation { get; }

    /// <summary>
    /// The gRPC status: <c>FAILED_PRECONDITION</c> (model not listed, no or short allowance, payer's balance short,
    /// authorization not open), <c>INVALID_ARGUMENT</c>, <c>NOT_FOUND</c>, <c>PERMISSION_DENIED</c> (not the model's
    /// provider), <c>ALREADY_EXISTS</c> (request id reused with other content), <c>UNAUTHENTICATED</c>,
    /// <c>RESOURCE_EXHAUSTED</c> (rate limit), <c>UNAVAILABLE</c> / <c>DEADLINE_EXCEEDED</c> (not reached in time).
    /// </summary>
    public StatusCode StatusCode { get; }

    /// <summary>The gateway's message, naming the field or rule.</summary>
    public string Detail { get; }

    /// <summary>
    /// The request id the call carried (mutating calls), the same for every attempt. After a retryable failure, the same
    /// call with this request id later is safe: the gateway answers the first result if the earlier attempt went through.
    /// </summary>
    public string? RequestId { get; }

    /// <summary>How many attempts were made (1 = no retry).</summary>
    public int Attempts { get; }

    /// <summary>For <c>RESOURCE_EXHAUSTED</c>: how long the gateway asked to wait (its <c>retry-after-ms</c> trailer).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// True when the failure is transient (<c>UNAVAILABLE</c>, <c>DEADLINE_EXCEEDED</c>, <c>RESOURCE_EXHAUSTED</c>,
    /// <c>ABORTED</c>): the same call with the same <see cref="RequestId"/> may succeed later, and for a mutating call the
    /// outcome of this one is unknown until then. False: the gateway decided; repeating the call changes nothing.
    /// </summary>
    public bool IsRetryable => IsTransient(StatusCode);

    internal static bool IsTransient(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;
}
