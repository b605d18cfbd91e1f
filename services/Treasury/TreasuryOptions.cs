namespace Perspective.Treasury;

/// <summary>Configuration section <c>Treasury</c>.</summary>
public sealed class TreasuryOptions
{
    public const string Section = "Treasury";

    /// <summary>Ledger TransferBatch legs per distribution batch: 1 to 1000 (the Ledger's limit). Progress is stored after each batch.</summary>
    public int DistributionBatchSize { get; set; } = 1000;

    /// <summary>How often the executor looks for unfinished jobs when no wake-up came (a retry after a Ledger outage waits this long).</summary>
    public int ExecutorPollIntervalMs { get; set; } = 1000;

    /// <summary>Models whose oldest unfinished job the executor runs per pass (one job per model per pass).</summary>
    public int ExecutorJobsPerPass { get; set; } = 100;

    /// <summary>
    /// How long after a Transfer whose answer was lost a Ledger refusal (not enough POV) is still not final: a copy of the
    /// lost call may still be on its way into the Ledger's writer until its deadline has passed. Seconds, longer than the
    /// Ledger call deadline, at most 3600.
    /// </summary>
    public int SpendResendWindowSeconds { get; set; } = 60;

    /// <summary>
    /// Reconciliation leaves out a Ledger usage credit not counted yet if it committed less than this many seconds ago (by
    /// its receipt, against the service clock): its UsagePaid is still on its way. 0 to 86400.
    /// </summary>
    public int ReconcileGraceSeconds { get; set; } = 60;

    /// <summary>The shortest resend window: one second beyond the deadline every Ledger call carries.</summary>
    public static readonly int SpendResendWindowSecondsMin = (int)Perspective.ServiceDefaults.Clients.ServiceClientExtensions.DefaultDeadline.TotalSeconds + 1;

    public static string? Invalid(TreasuryOptions options) =>
        options.DistributionBatchSize is < 1 or > 1000 ? "Treasury:DistributionBatchSize must be between 1 and 1000"
        : options.ExecutorPollIntervalMs is < 10 or > 600_000 ? "Treasury:ExecutorPollIntervalMs must be between 10 and 600000"
        : options.ExecutorJobsPerPass is < 1 or > 10_000 ? "Treasury:ExecutorJobsPerPass must be between 1 and 10000"
        : options.SpendResendWindowSeconds < SpendResendWindowSecondsMin || options.SpendResendWindowSeconds > 3600
            ? $"Treasury:SpendResendWindowSeconds must be between {SpendResendWindowSecondsMin} and 3600"
        : options.ReconcileGraceSeconds is < 0 or > 86_400 ? "Treasury:ReconcileGraceSeconds must be between 0 and 86400"
        : null;
}
