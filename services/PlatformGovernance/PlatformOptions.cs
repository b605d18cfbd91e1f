using Perspective.Governance;

namespace Perspective.PlatformGovernance;

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
