namespace Perspective.UsageGateway;

/// <summary>Configuration section <c>Gateway</c>. Every limit has a default; times are on the injected clock unless said otherwise.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>How long a model read from the registry is trusted without an event (the safety net if an event is lost).</summary>
    public int ModelCacheTtlMs { get; set; } = 30_000;

    /// <summary>Most models kept in the cache before it starts afresh (a limit on memory).</summary>
    public int ModelCacheMax { get; set; } = 100_000;

    /// <summary>Charge and authorize calls a provider may make per second, sustained (token refill rate).</summary>
    public double RateLimitPerSecond { get; set; } = 10_000;

    /// <summary>Calls a provider may make at once above the sustained rate (bucket capacity).</summary>
    public double RateLimitBurst { get; set; } = 20_000;

    /// <summary>
    /// Writers paying queued charges in batches (group commit). Each has at most one batch in flight, so this many batches
    /// overlap: while one waits for the Ledger, another reserves or marks paid. One by default: on two cores shared with
    /// the database, fewer and larger batches cost less CPU per charge than overlapping smaller ones (docs/BENCHMARKS.md);
    /// raise it where the gateway has cores of its own and the Ledger's answer is the wait.
    /// </summary>
    public int ChargeWriters { get; set; } = 1;

    /// <summary>Most charges one batch pays (at most 1,000, the Ledger's TransferBatch limit).</summary>
    public int ChargeBatchMax { get; set; } = 250;

    /// <summary>
    /// Most charges waiting for a writer. When the database or the Ledger is slow the queue fills, and further charges are
    /// refused UNAVAILABLE with nothing stored, instead of waiting longer than their callers do.
    /// </summary>
    public int ChargeQueueCapacity { get; set; } = 5_000;

    /// <summary>How often the recovery pass looks for stuck payments and authorizations and for expired authorizations.</summary>
    public int SweepIntervalMs { get; set; } = 1_000;

    /// <summary>How long a payment or a close may stay mid-flight before the recovery pass resumes it (long enough for a live call to finish).</summary>
    public int ResumeAfterMs { get; set; } = 15_000;

    /// <summary>Rows one recovery pass handles of each kind; the next pass takes the rest.</summary>
    public int SweepBatchMax { get; set; } = 100;

    /// <summary>
    /// Extra life of the Ledger hold beyond the authorization's expiry: the gateway voids it itself when the authorization
    /// expires; the Ledger's own expiry is the backstop when the gateway is down, and must not come first.
    /// </summary>
    public int HoldGraceSeconds { get; set; } = 300;
}
