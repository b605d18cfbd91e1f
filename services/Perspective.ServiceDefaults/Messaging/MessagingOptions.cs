namespace Perspective.ServiceDefaults.Messaging;

/// <summary>Configuration section <c>Outbox</c>: how the dispatcher drains the outbox table.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>How often an idle dispatcher looks for new rows.</summary>
    public int PollIntervalMs { get; set; } = 200;

    /// <summary>Rows published per database transaction.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>How long one publish may wait for the broker before the batch is retried later.</summary>
    public int PublishTimeoutMs { get; set; } = 5_000;

    /// <summary>Longest wait between retries while the broker or database is down.</summary>
    public int MaxBackoffMs { get; set; } = 5_000;
}
