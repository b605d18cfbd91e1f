using Perspective.Governance.Domain;

namespace Perspective.PlatformGovernance;

/// <summary>One set of governance settings in configuration (defaults: <see cref="Settings.Default"/>).</summary>
public sealed class SettingsOptions
{
    public long VotingDelaySeconds { get; set; } = Settings.Default.VotingDelaySeconds;
    public long VotingPeriodSeconds { get; set; } = Settings.Default.VotingPeriodSeconds;
    public int QuorumBps { get; set; } = Settings.Default.QuorumBps;
    public int PassThresholdBps { get; set; } = Settings.Default.PassThresholdBps;
    public long ProposalThreshold { get; set; } = Settings.Default.ProposalThreshold;
    public long ExecutionDelaySeconds { get; set; } = Settings.Default.ExecutionDelaySeconds;
    public long GracePeriodSeconds { get; set; } = Settings.Default.GracePeriodSeconds;
    public long LateQuorumExtensionSeconds { get; set; } = Settings.Default.LateQuorumExtensionSeconds;

    public Settings ToSettings(string section) => new Settings(VotingDelaySeconds, VotingPeriodSeconds, QuorumBps, PassThresholdBps, ProposalThreshold,
        ExecutionDelaySeconds, GracePeriodSeconds, LateQuorumExtensionSeconds).Validate(section + ".");
}

/// <summary>Configuration section <c>Governance</c> of the platform DAO.</summary>
public sealed class PlatformOptions
{
    public const string Section = "Governance";

    /// <summary>The voting asset of the platform DAO.</summary>
    public string VotingAsset { get; set; } = "POV";

    /// <summary>The platform DAO's settings at its creation (first start); <c>platform_*</c> parameters change them later.</summary>
    public SettingsOptions PlatformSettings { get; set; } = new();

    /// <summary>
    /// The defaults of the <c>subdao_default_*</c> parameters: must equal SubDaoGovernance's
    /// <c>Governance:DefaultSettings</c>, so that both services agree before the first SetParameter.
    /// </summary>
    public SettingsOptions DefaultSettings { get; set; } = new();
}
