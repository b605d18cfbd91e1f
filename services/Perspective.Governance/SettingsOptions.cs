using Perspective.Governance.Domain;

namespace Perspective.Governance;

/// <summary>One set of governance settings in configuration (defaults: <see cref="Settings.Default"/>); both hosts bind it.</summary>
public class SettingsOptions
{
    public long VotingDelaySeconds { get; set; } = Settings.Default.VotingDelaySeconds;
    public long VotingPeriodSeconds { get; set; } = Settings.Default.VotingPeriodSeconds;
    public int QuorumBps { get; set; } = Settings.Default.QuorumBps;
    public int PassThresholdBps { get; set; } = Settings.Default.PassThresholdBps;
    public long ProposalThreshold { get; set; } = Settings.Default.ProposalThreshold;
    public long ExecutionDelaySeconds { get; set; } = Settings.Default.ExecutionDelaySeconds;
    public long GracePeriodSeconds { get; set; } = Settings.Default.GracePeriodSeconds;
    public long LateQuorumExtensionSeconds { get; set; } = Settings.Default.LateQuorumExtensionSeconds;

    /// <summary>The validated settings; <paramref name="section"/> names the configuration section in errors.</summary>
    public Settings ToSettings(string section) => new Settings(VotingDelaySeconds, VotingPeriodSeconds, QuorumBps, PassThresholdBps, ProposalThreshold,
        ExecutionDelaySeconds, GracePeriodSeconds, LateQuorumExtensionSeconds).Validate(section + ".");
}
