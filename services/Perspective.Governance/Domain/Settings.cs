using Perspective.ServiceDefaults.Errors;

namespace Perspective.Governance.Domain;

/// <summary>
/// The voting rules of a DAO (perspective.governance.v1.GovernanceSettings). A proposal freezes a copy at creation,
/// so a later change never rewrites a running or past result. Periods in seconds, weights in voting-asset base units.
/// </summary>
public sealed record Settings(
    long VotingDelaySeconds,
    long VotingPeriodSeconds,
    int QuorumBps,
    int PassThresholdBps,
    long ProposalThreshold,
    long ExecutionDelaySeconds,
    long GracePeriodSeconds,
    long LateQuorumExtensionSeconds)
{
    public const int MaxBps = 10_000;

    /// <summary>Ten years: longer periods are mistakes, and it keeps every time sum far from overflow.</summary>
    public const long MaxSeconds = 10L * 366 * 24 * 3600;

    /// <summary>
    /// One day's delay, five days of voting, 4 % quorum, simple majority, any holder may propose, a two-day timelock,
    /// fourteen days to execute, late-quorum protection off (the default).
    /// </summary>
    public static readonly Settings Default = new(86_400, 432_000, 400, 5_000, 1, 172_800, 1_209_600, 0);

    /// <summary>Throws INVALID_ARGUMENT naming the field (under <paramref name="prefix"/>) of the first broken rule.</summary>
    public Settings Validate(string prefix)
    {
        Range(prefix, "voting_delay_seconds", VotingDelaySeconds, 0);
        Range(prefix, "voting_period_seconds", VotingPeriodSeconds, 1);
        Bps(prefix, "quorum_bps", QuorumBps);
        Bps(prefix, "pass_threshold_bps", PassThresholdBps);
        if (ProposalThreshold < 0)
        {
            throw DomainException.InvalidArgument($"{prefix}proposal_threshold", "must not be negative");
        }
        Range(prefix, "execution_delay_seconds", ExecutionDelaySeconds, 0);
        Range(prefix, "grace_period_seconds", GracePeriodSeconds, 1);
        Range(prefix, "late_quorum_extension_seconds", LateQuorumExtensionSeconds, 0);
        if (LateQuorumExtensionSeconds >= VotingPeriodSeconds)
        {
            throw DomainException.InvalidArgument($"{prefix}late_quorum_extension_seconds", "must be shorter than voting_period_seconds");
        }
        return this;
    }

    private static void Range(string prefix, string field, long value, long min)
    {
        if (value < min || value > MaxSeconds)
        {
            throw DomainException.InvalidArgument($"{prefix}{field}", $"must be between {min} and {MaxSeconds}");
        }
    }

    private static void Bps(string prefix, string field, int value)
    {
        if (value is < 1 or > MaxBps)
        {
            throw DomainException.InvalidArgument($"{prefix}{field}", "must be between 1 and 10000 basis points");
        }
    }

    /// <summary>The settings' fields by their snake_case name, for platform parameters (<c>subdao_default_quorum_bps</c>…).</summary>
    public static readonly IReadOnlyList<string> FieldNames =
    [
        "voting_delay_seconds", "voting_period_seconds", "quorum_bps", "pass_threshold_bps", "proposal_threshold",
        "execution_delay_seconds", "grace_period_seconds", "late_quorum_extension_seconds",
    ];

    public long Get(string field) => field switch
    {
        "voting_delay_seconds" => VotingDelaySeconds,
        "voting_period_seconds" => VotingPeriodSeconds,
        "quorum_bps" => QuorumBps,
        "pass_threshold_bps" => PassThresholdBps,
        "proposal_threshold" => ProposalThreshold,
        "execution_delay_seconds" => ExecutionDelaySeconds,
        "grace_period_seconds" => GracePeriodSeconds,
        "late_quorum_extension_seconds" => LateQuorumExtensionSeconds,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "not a settings field"),
    };

    /// <summary>A copy with one field replaced; bps fields outside int range become invalid values, caught by <see cref="Validate"/>.</summary>
    public Settings With(string field, long value) => field switch
    {
        "voting_delay_seconds" => this with { VotingDelaySeconds = value },
        "voting_period_seconds" => this with { VotingPeriodSeconds = value },
        "quorum_bps" => this with { QuorumBps = ClampBps(value) },
        "pass_threshold_bps" => this with { PassThresholdBps = ClampBps(value) },
        "proposal_threshold" => this with { ProposalThreshold = value },
        "execution_delay_seconds" => this with { ExecutionDelaySeconds = value },
        "grace_period_seconds" => this with { GracePeriodSeconds = value },
        "late_quorum_extension_seconds" => this with { LateQuorumExtensionSeconds = value },
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "not a settings field"),
    };

    private static int ClampBps(long value) => value is < 0 or > MaxBps ? -1 : (int)value;
}
