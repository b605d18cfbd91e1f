using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Perspective.ServiceDefaults.Errors;
using Perspective.UsageGateway.Domain;

namespace Perspective.UsageGateway.Payments;

/// <summary>
/// One token bucket per provider account (<see cref="GatewayOptions.RateLimitPerSecond"/>, <see cref="GatewayOptions.RateLimitBurst"/>)
/// on the injected clock. Per replica: N replicas allow N times the rate, which is what a provider pays for in capacity.
/// A refused call answers RESOURCE_EXHAUSTED with the trailer <c>retry-after-ms</c> (milliseconds until a token is back).
/// </summary>
public sealed class ProviderRateLimiter(TimeProvider time, IOptions<GatewayOptions> options)
{
    public const string RetryAfterTrailer = "retry-after-ms";

    /// <summary>Most providers tracked before the table starts afresh (a limit on memory; a fresh bucket is full).</summary>
    private const int ProvidersMax = 100_000;

    private readonly ConcurrentDictionary<string, TokenBucket> buckets = new(StringComparer.Ordinal);

    public void Take(string provider, ServerCallContext context)
    {
        var now = time.GetUtcNow();
        if (buckets.Count >= ProvidersMax)
        {
            buckets.Clear();
        }
        var bucket = buckets.GetOrAdd(provider, _ => new TokenBucket(options.Value.RateLimitBurst, options.Value.RateLimitPerSecond, now));
        TimeSpan? wait;
        lock (bucket)
        {
            wait = bucket.TryTake(now);
        }
        if (wait is { } retryAfter)
        {
            var ms = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds));
            context.ResponseTrailers.Add(RetryAfterTrailer, ms.ToString(CultureInfo.InvariantCulture));
            throw DomainException.ResourceExhausted($"rate limit of provider {provider}: {options.Value.RateLimitPerSecond:0.##} calls/s; retry after {ms} ms");
        }
    }
}
