using System.Globalization;
using System.Text;
using Google.Protobuf.WellKnownTypes;

namespace Perspective.Cli.Infrastructure;

/// <summary>How values are shown to people: amounts with thousands separators, enums in UPPER_SNAKE, UTC times.</summary>
public static class Show
{
    public static string Amount(long amount) => amount.ToString("N0", CultureInfo.InvariantCulture);

    public static string Time(Timestamp? at) =>
        at is null ? "" : at.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Day(Timestamp? at) =>
        at is null ? "" : at.ToDateTimeOffset().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A generated enum value without its type prefix: <c>LockStatus.Active</c> → <c>ACTIVE</c>.</summary>
    public static string Enum<T>(T value) where T : struct, System.Enum => Snake(value.ToString());

    public static string Snake(string pascal)
    {
        var result = new StringBuilder();
        for (var i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i]))
            {
                result.Append('_');
            }
            result.Append(char.ToUpperInvariant(pascal[i]));
        }
        return result.ToString();
    }

    public static string Or(string value, string fallback) => value.Length == 0 ? fallback : value;
}
