using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using static Perspective.Client.PerspectiveClientTelemetry;

namespace Perspective.Client;

/// <summary>
/// One logical call: its span, its attempts (each with a fresh deadline and token, the same request message — so the same
/// request id), the waits between them, its metrics. Retries only what may succeed by itself a moment later.
/// </summary>
internal sealed class RetryingCall(PerspectiveProviderOptions options, string operation, string? requestId)
{
    /// <summary>The gateway's rate-limit trailer (UsageGateway ProviderRateLimiter.RetryAfterTrailer).</summary>
    internal const string RetryAfterTrailer = "retry-after-ms";

    private const string GatewayService = "perspective.gateway.v1.UsageGatewayService";

    public async Task<TResult> RunAsync<TResponse, TResult>(Action<Activity?> describe, Func<CallOptions, AsyncUnaryCall<TResponse>> send,
        Func<TResponse, Activity?, TResult> read, CancellationToken cancellationToken)
    {
        var startedAt = Stopwatch.GetTimestamp();
        using var span = Source.StartActivity($"Perspective {operation}", ActivityKind.Client);
        span?.SetTag(Tags.RpcSystem, "grpc").SetTag(Tags.RpcService, GatewayService).SetTag(Tags.RpcMethod, operation)
            .SetTag(Tags.Operation, operation).SetTag(Tags.RequestId, requestId);
        describe(span);
        for (var attempt = 1; ; attempt++)
        {
            RpcException failure;
            using (var attemptSpan = Source.StartActivity($"Perspective {operation} attempt", ActivityKind.Client))
            {
                attemptSpan?.SetTag(Tags.Attempt, attempt).SetTag(Tags.RequestId, requestId);
                try
                {
                    var response = await send(await CallOptionsAsync(cancellationToken).ConfigureAwait(false)).ResponseAsync.ConfigureAwait(false);
                    attemptSpan?.SetTag(Tags.Outcome, "OK").SetTag(Tags.GrpcStatusCode, (int)StatusCode.OK);
                    var result = read(response, span);
                    Finish(span, attempt, StatusCode.OK, detail: null, startedAt);
                    return result;
                }
                catch (RpcException error) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = error;
                    attemptSpan?.SetTag(Tags.Outcome, error.StatusCode.ToString()).SetTag(Tags.GrpcStatusCode, (int)error.StatusCode)
                        .SetStatus(ActivityStatusCode.Error, error.Status.Detail);
                }
                catch (RpcException error) when (cancellationToken.IsCancellationRequested)
                {
                    // The caller gave up: say so the .NET way rather than as a gateway failure.
                    Finish(span, attempt, StatusCode.Cancelled, "canceled by the caller", startedAt);
                    throw new OperationCanceledException("canceled by the caller", error, cancellationToken);
                }
            }

            var retryAfter = RetryAfter(failure);
            var delay = attempt <= options.MaxRetries ? RetryDelay(failure.StatusCode, retryAfter, attempt) : null;
            if (delay is not { } wait)
            {
                Finish(span, attempt, failure.StatusCode, failure.Status.Detail, startedAt);
                throw new PerspectiveException(operation, failure, requestId, attempt, retryAfter);
            }
            Retries.Add(1, new(Tags.Operation, operation), new(Tags.Outcome, failure.StatusCode.ToString()));
            span?.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection
            {
                [Tags.Attempt] = attempt,
                [Tags.Outcome] = failure.StatusCode.ToString(),
                [Tags.RetryDelayMs] = (long)wait.TotalMilliseconds,
            }));
            try
            {
                await Task.Delay(wait, options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Finish(span, attempt, StatusCode.Cancelled, "canceled by the caller", startedAt);
                throw;
            }
        }
    }

    /// <summary>How long to wait before retrying this failure, or null when it must not be retried.</summary>
    private TimeSpan? RetryDelay(StatusCode code, TimeSpan? retryAfter, int attempt) => code switch
    {
        // Nothing reached the gateway, or the answer was lost: the same request id makes a repeat safe.
        StatusCode.Unavailable => Backoff(attempt),
        // The outcome is unknown; repeating the same request id is how to learn it (the gateway answers the first result).
        StatusCode.DeadlineExceeded when options.RetryOnDeadlineExceeded => Backoff(attempt),
        // The gateway's rate limit says when a token is free; without that trailer there is no safe pace, so give up.
        StatusCode.ResourceExhausted when options.RetryOnRateLimit && retryAfter is { } after && after <= options.MaxRetryAfter => after,
        // INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, PERMISSION_DENIED, ALREADY_EXISTS…: the gateway decided.
        _ => null,
    };

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(options.MaxRetryBackoff.TotalMilliseconds, options.RetryBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1));
        // Jitter in the upper half, so clients failed together do not retry together.
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private static TimeSpan? RetryAfter(RpcException error) =>
        error.StatusCode == StatusCode.ResourceExhausted
        && long.TryParse(error.Trailers.GetValue(RetryAfterTrailer), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? TimeSpan.FromMilliseconds(ms)
            : null;

    private async ValueTask<CallOptions> CallOptionsAsync(CancellationToken cancellationToken)
    {
        var token = options.TokenProvider is { } provider ? await provider(cancellationToken).ConfigureAwait(false) : options.Token!;
        var headers = new Metadata { { "Authorization", $"Bearer {token}" } };
        // The real clock: gRPC enforces deadlines against it.
        return new CallOptions(headers, DateTime.UtcNow + options.Deadline, cancellationToken);
    }

    private void Finish(Activity? span, int attempts, StatusCode code, string? detail, long startedAt)
    {
        var outcome = code.ToString();
        span?.SetTag(Tags.Attempts, attempts).SetTag(Tags.Outcome, outcome).SetTag(Tags.GrpcStatusCode, (int)code);
        if (code != StatusCode.OK)
        {
            span?.SetStatus(ActivityStatusCode.Error, detail);
        }
        var tags = new TagList { { Tags.Operation, operation }, { Tags.Outcome, outcome } };
        Calls.Add(1, tags);
        Duration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, tags);
    }
}
