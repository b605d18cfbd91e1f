using System.Globalization;
using Perspective.Contracts.Platform.V1;
using Perspective.Governance.Domain;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.PlatformGovernance.Domain;

/// <summary>One known platform parameter: its key, type, allowed range, default (as stored text) and meaning.</summary>
public sealed record ParameterSpec(string Key, ParameterType Type, long Min, long Max, string DefaultText, string Description,
    string? SettingsGroup = null, string? SettingsField = null);

/// <summary>
/// The fixed, typed set of platform parameters (docs/governance.md). Values travel as text in
/// PlatformParameterChanged: <c>true</c>/<c>false</c>, or a decimal int64.
/// </summary>
public sealed class Parameters
{
    public const string PlatformPrefix = "platform_";
    public const string SubDaoPrefix = "subdao_default_";

    private readonly SortedDictionary<string, ParameterSpec> specs = new(StringComparer.Ordinal);

    public Parameters(Settings platformDefaults, Settings subDaoDefaults)
    {
        Add(new("listing_requires_approval", ParameterType.Bool, 0, 1, "false",
            "New models start PENDING_LISTING and need a ListModel decision (bool)."));
        Add(new("max_usage_fee_per_unit", ParameterType.Int64, 0, long.MaxValue, "0",
            "Highest usage fee a sub-DAO may set, POV base units per unit; 0 = no limit (int64 ≥ 0)."));
        foreach (var field in Settings.FieldNames)
        {
            Add(SettingsSpec(SubDaoPrefix, "settings of new sub-DAOs", field, subDaoDefaults));
            Add(SettingsSpec(PlatformPrefix, "settings of the platform DAO for proposals created afterwards", field, platformDefaults));
        }
    }

    private void Add(ParameterSpec spec) => specs.Add(spec.Key, spec);

    private static ParameterSpec SettingsSpec(string prefix, string what, string field, Settings defaults)
    {
        var (min, max) = field switch
        {
            "quorum_bps" or "pass_threshold_bps" => (1L, (long)Settings.MaxBps),
            "voting_period_seconds" or "grace_period_seconds" => (1L, Settings.MaxSeconds),
            "proposal_threshold" => (0L, long.MaxValue),
            _ => (0L, Settings.MaxSeconds),
        };
        return new(prefix + field, ParameterType.Int64, min, max, Text(defaults.Get(field)), $"{field} of the {what} (int64, {min}–{max}).",
            prefix, field);
    }

    public IEnumerable<ParameterSpec> All => specs.Values;

    public ParameterSpec? Find(string key) => specs.GetValueOrDefault(key);

    /// <summary>The stored text of a proposed value, checked against the key's type and range; errors name <paramref name="field"/>.</summary>
    public string Check(string field, string key, ParameterValue? value)
    {
        var spec = Find(key) ?? throw DomainException.InvalidArgument($"{field}.key", $"is not a known parameter ({key})");
        switch (spec.Type)
        {
            case ParameterType.Bool when value?.KindCase == ParameterValue.KindOneofCase.BoolValue:
                return value.BoolValue ? "true" : "false";
            case ParameterType.Int64 when value?.KindCase == ParameterValue.KindOneofCase.Int64Value:
                if (value.Int64Value < spec.Min || value.Int64Value > spec.Max)
                {
                    throw DomainException.InvalidArgument($"{field}.value", $"{key} must be between {spec.Min} and {spec.Max}");
                }
                return Text(value.Int64Value);
            default:
                throw DomainException.InvalidArgument($"{field}.value", $"{key} takes a {spec.Type switch
                {
                    ParameterType.Bool => "bool_value",
                    _ => "int64_value",
                }}");
        }
    }

    public static ParameterValue ToValue(ParameterSpec spec, string text) => spec.Type == ParameterType.Bool
        ? new ParameterValue { BoolValue = text == "true" }
        : new ParameterValue { Int64Value = long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) };

    public static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
