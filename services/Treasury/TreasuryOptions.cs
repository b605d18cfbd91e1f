namespace Perspective.Treasury;

/// <summary>Configuration section <c>Treasury</c>.</summary>
public sealed class TreasuryOptions
{
    public const string Section = "Treasury";

    /// <summary>Ledger TransferBatch legs per distribution batch: 1 to 1000 (the Ledger's limit). Progress is stored after each batch.</summary>
    public int DistributionBatchSize { get; set; } = 1000;

    /// <summary>How often the executor looks for unfinished jobs when no wake-up came (a retry after a Ledger outage waits this long).</summary>
    public int ExecutorPollIntervalMs { get; set; } = 1000;

    /// <summary>Unfinished jobs the executor reads per pass.</summary>
    public int ExecutorJobsPerPass { get; set; } = 100;

    public static string? Invalid(TreasuryOptions options) =>
        options.DistributionBatchSize is < 1 or > 1000 ? "Treasury:DistributionBatchSize must be between 1 and 1000"
        : options.ExecutorPollIntervalMs is < 10 or > 600_000 ? "Treasury:ExecutorPollIntervalMs must be between 10 and 600000"
        : options.ExecutorJobsPerPass is < 1 or > 10_000 ? "Treasury:ExecutorJobsPerPass must be between 1 and 10000"
        : null;
}
