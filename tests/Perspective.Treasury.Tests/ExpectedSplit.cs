using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Perspective.Treasury.Tests;

/// <summary>
/// An independent computation of a distribution, written from the rule in docs/treasury.md with BigInteger (not the
/// service's Int128 code): exact quotients, the leftover to the largest remainders, ties to the smaller account id.
/// </summary>
public static class ExpectedSplit
{
    public sealed record Line(string Holder, long Balance, long Share, bool RemainderUnit);

    public static IReadOnlyList<Line> Of(long amount, IEnumerable<(string Account, long Balance)> holders)
    {
        var ordered = holders.Where(h => h.Balance > 0).OrderBy(h => h.Account, StringComparer.Ordinal).ToList();
        var supply = ordered.Aggregate(BigInteger.Zero, (sum, h) => sum + h.Balance);
        var parts = ordered.Select(h =>
        {
            var quotient = BigInteger.DivRem(new BigInteger(amount) * h.Balance, supply, out var remainder);
            return (h.Account, h.Balance, Quotient: quotient, Remainder: remainder);
        }).ToList();
        var leftover = (int)(amount - parts.Aggregate(BigInteger.Zero, (sum, p) => sum + p.Quotient));
        var winners = parts
            .OrderByDescending(p => p.Remainder)
            .ThenBy(p => p.Account, StringComparer.Ordinal)
            .Take(leftover)
            .Select(p => p.Account)
            .ToHashSet(StringComparer.Ordinal);
        return parts.Select(p => new Line(p.Account, p.Balance, (long)p.Quotient + (winners.Contains(p.Account) ? 1 : 0), winners.Contains(p.Account))).ToList();
    }

    /// <summary>The digest as docs/treasury.md defines it: SHA-256 over "holder\tbalance\tshare\n" per line, UTF-8, lowercase hex.</summary>
    public static string Digest(IEnumerable<Line> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(CultureInfo.InvariantCulture, $"{line.Holder}\t{line.Balance}\t{line.Share}\n");
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
