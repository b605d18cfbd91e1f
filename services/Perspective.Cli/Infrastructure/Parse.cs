using System.Globalization;
using Google.Protobuf.WellKnownTypes;

namespace Perspective.Cli.Infrastructure;

/// <summary>Parsing of argument values beyond what Spectre converts itself; a bad value is a <see cref="UsageException"/>.</summary>
public static class Parse
{
    /// <summary>An enum value by its proto name without prefix, any case, dashes for underscores: <c>pending-listing</c>.</summary>
    public static T Enum<T>(string option, string value) where T : struct, System.Enum
    {
        var wanted = value.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        foreach (var candidate in System.Enum.GetValues<T>())
        {
            if (string.Equals(candidate.ToString(), wanted, StringComparison.OrdinalIgnoreCase) && Convert.ToInt32(candidate, CultureInfo.InvariantCulture) != 0)
            {
                return candidate;
            }
        }
        var known = System.Enum.GetValues<T>().Where(v => Convert.ToInt32(v, CultureInfo.InvariantCulture) != 0).Select(v => Show.Enum(v).ToLowerInvariant());
        throw new UsageException($"{option}: unknown value '{value}' (one of {string.Join(", ", known)})");
    }

    public static T EnumOrDefault<T>(string option, string? value) where T : struct, System.Enum =>
        value is null ? default : Enum<T>(option, value);

    /// <summary>
    /// A point in time: ISO 8601 (<c>2026-12-01T00:00:00Z</c>) or a duration from now (<c>90s</c>, <c>15m</c>, <c>2h</c>, <c>30d</c>).
    /// </summary>
    public static Timestamp When(string option, string value, TimeProvider clock)
    {
        if (value.Length >= 2 && long.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            TimeSpan? span = value[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (span is { } s)
            {
                return Timestamp.FromDateTimeOffset(clock.GetUtcNow() + s);
            }
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return Timestamp.FromDateTimeOffset(at);
        }
        throw new UsageException($"{option}: '{value}' is neither a time (2026-12-01T00:00:00Z) nor a duration (90s, 15m, 2h, 30d)");
    }

    public static long Long(string option, string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UsageException($"{option}: '{value}' is not a whole number of base units");

    /// <summary>Splits <c>left:right</c> (the right part may hold more colons when <paramref name="parts"/> allows).</summary>
    public static string[] Pair(string option, string value, string shape, int parts = 2)
    {
        var split = value.Split(':', parts);
        if (split.Length < 2 || split.Any(p => p.Length == 0))
        {
            throw new UsageException($"{option}: '{value}' is not {shape}");
        }
        return split;
    }
}
