namespace Perspective.UsageGateway.Domain;

/// <summary>
/// A token bucket: <c>capacity</c> tokens, refilled at <c>perSecond</c>, on the caller's clock (the injected
/// <see cref="TimeProvider"/>), so tests move time instead of sleeping. Not thread-safe; the limiter locks it.
/// </summary>
public sealed class TokenBucket
{
    private readonly double capacity;
    private readonly double perSecond;
    private double tokens;
    private DateTimeOffset refilledAt;

    public TokenBucket(double capacity, double perSecond, DateTimeOffset now)
    {
        this.capacity = capacity;
        this.perSecond = perSecond;
        tokens = capacity;
        refilledAt = now;
    }

    /// <summary>Takes one token, or returns how long until one is there.</summary>
    public TimeSpan? TryTake(DateTimeOffset now)
    {
        if (now > refilledAt)
        {
            tokens = Math.Min(capacity, tokens + ((now - refilledAt).TotalSeconds * perSecond));
            refilledAt = now;
        }
        if (tokens >= 1)
        {
            tokens -= 1;
            return null;
        }
        return TimeSpan.FromSeconds((1 - tokens) / perSecond);
    }
}
