using Perspective.Governance;
using Perspective.Governance.Domain;

namespace Perspective.SubDaoGovernance;

/// <summary>
/// Configuration section <c>Governance:DefaultSettings</c>: the settings a new sub-DAO gets until the platform DAO sets
/// <c>subdao_default_*</c> parameters (which then win, field by field). Defaults: <see cref="Settings.Default"/>.
/// </summary>
public sealed class SubDaoOptions : SettingsOptions
{
    public const string Section = "Governance:DefaultSettings";

    public Settings ToSettings() => ToSettings(Section);
}
