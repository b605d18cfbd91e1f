using System.Globalization;
using System.Text;
using Google.Protobuf.WellKnownTypes;

namespace Perspective.Cli.Infrastructure;

/// <summary>How values are shown to people: counts and amounts with thousands separators, enums in UPPER_SNAKE, UTC times.</summary>
public static class Show
{
    /// <summary>A count (units, payments, entries, vote weights in base units): <c>1,500</c>.</summary>
    public static string Count(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>
    /// An amount of base units in whole units of an asset with <paramref name="decimals"/> decimals, exactly (integer
    /// arithmetic, no floating point): 1500 with 6 decimals is <c>0.0015</c>, 49999600000000 is <c>49,999,600</c>.
    /// Trailing zeros of the fraction are dropped; the integer part has thousands separators.
    /// </summary>
    public static string Units(long amount, int decimals)
    {
        if (decimals <= 0)
        {
            return Count(amount);
        }
        // Digits of |amount| as text: long.MinValue has no positive counterpart as a long.
        var digits = amount < 0 ? ((ulong)-(amount + 1) + 1).ToString(CultureInfo.InvariantCulture) : amount.ToString(CultureInfo.InvariantCulture);
        digits = digits.PadLeft(decimals + 1, '0');
        var whole = ulong.Parse(digits[..^decimals], CultureInfo.InvariantCulture).ToString("N0", CultureInfo.InvariantCulture);
        var fraction = digits[^decimals..].TrimEnd('0');
        return (amount < 0 ? "-" : "") + whole + (fraction.Length > 0 ? "." + fraction : "");
    }

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
