using Perspective.Governance.Domain;

namespace Perspective.SubDaoGovernance;

/// <summary>
/// Configuration section <c>Governance:DefaultSettings</c>: the settings a new sub-DAO gets until the platform DAO sets
/// <c>subdao_default_*</c> parameters (which then win, field by field). Defaults: <see cref="Settings.Default"/>.
/// </summary>
public sealed class SubDaoOptions
{
    public const string Section = "Governance:DefaultSettings";

    public long VotingDelaySeconds { get; set; } = Settings.Default.VotingDelaySeconds;
    public long VotingPeriodSeconds { get; set; } = Settings.Default.VotingPeriodSeconds;
    public int QuorumBps { get; set; } = Settings.Default.QuorumBps;
    public int PassThresholdBps { get; set; } = Settings.Default.PassThresholdBps;
    public long ProposalThreshold { get; set; } = Settings.Default.ProposalThreshold;
    public long ExecutionDelaySeconds { get; set; } = Settings.Default.ExecutionDelaySeconds;
    public long GracePeriodSeconds { get; set; } = Settings.Default.GracePeriodSeconds;
    public long LateQuorumExtensionSeconds { get; set; } = Settings.Default.LateQuorumExtensionSeconds;

    public Settings ToSettings() => new Settings(VotingDelaySeconds, VotingPeriodSeconds, QuorumBps, PassThresholdBps, ProposalThreshold,
        ExecutionDelaySeconds, GracePeriodSeconds, LateQuorumExtensionSeconds).Validate("Governance:DefaultSettings.");
}
