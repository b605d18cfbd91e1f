using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Perspective.Treasury.Domain;

/// <summary>A holder of the model's AI token at the snapshot, as the Ledger's ListHolders returns it.</summary>
public sealed record Holding(string Account, long Balance);

/// <summary>One holder's share of a distribution; <see cref="LineNo"/> counts from 1 in ordinal account order.</summary>
public sealed record SplitLine(long LineNo, string Holder, long Balance, long Share, bool RemainderUnit);

/// <summary>
/// The pro-rata split of a distribution by the largest-remainder method, in exact integer arithmetic, and the digest
/// of its lines (docs/treasury.md gives the encoding, so anyone can recompute both from Ledger ListHolders).
/// </summary>
public static class RewardSplit
{
    /// <summary>
    /// Splits <paramref name="amount"/> among <paramref name="holders"/> pro rata to their balances:
    /// share_i = floor(amount × b_i / S), then the leftover units (fewer than the number of holders) go one each to the
    /// holders with the largest remainders (amount × b_i) mod S, ties to the smaller account id in ordinal order.
    /// The shares add up to <paramref name="amount"/> exactly; a share may be zero. Lines come back in ordinal order.
    /// </summary>
    public static IReadOnlyList<SplitLine> Compute(long amount, IReadOnlyList<Holding> holders)
    {
        if (amount <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, "the amount to split must be positive");
        }
        var ordered = holders.OrderBy(h => h.Account, StringComparer.Ordinal).ToArray();
        if (ordered.Length == 0)
        {
            throw new ArgumentException("there are no holders to split among", nameof(holders));
        }
        for (var i = 0; i < ordered.Length; i++)
        {
            if (ordered[i].Balance <= 0)
            {
                throw new ArgumentException($"holder {ordered[i].Account} has a non-positive balance", nameof(holders));
            }
            if (i > 0 && string.Equals(ordered[i - 1].Account, ordered[i].Account, StringComparison.Ordinal))
            {
                throw new ArgumentException($"holder {ordered[i].Account} appears twice", nameof(holders));
            }
        }
        var supply = SupplyHeld(ordered);

        // amount × b_i needs up to 126 bits; Int128 holds it exactly. The quotient is at most amount, so it fits a long.
        var shares = new long[ordered.Length];
        var remainders = new Int128[ordered.Length];
        long allotted = 0;
        for (var i = 0; i < ordered.Length; i++)
        {
            var product = (Int128)amount * ordered[i].Balance;
            shares[i] = checked((long)(product / supply));
            remainders[i] = product % supply;
            allotted = checked(allotted + shares[i]);
        }
        var leftover = checked(amount - allotted);
        if (leftover < 0 || leftover >= ordered.Length)
        {
            throw new InvalidOperationException($"largest remainder: leftover {leftover} is outside [0, {ordered.Length})");
        }
        var bonus = new bool[ordered.Length];
        // Indices are already in ordinal account order, so a stable sort by remainder (descending) breaks ties by account.
        foreach (var i in Enumerable.Range(0, ordered.Length).OrderByDescending(i => remainders[i]).Take((int)leftover))
        {
            bonus[i] = true;
            shares[i] = checked(shares[i] + 1);
        }

        var lines = new SplitLine[ordered.Length];
        for (var i = 0; i < ordered.Length; i++)
        {
            lines[i] = new SplitLine(i + 1, ordered[i].Account, ordered[i].Balance, shares[i], bonus[i]);
        }
        if (lines.Sum(l => l.Share) != amount)
        {
            throw new InvalidOperationException("largest remainder: the shares do not add up to the amount");
        }
        return lines;
    }

    /// <summary>Sum of the balances, checked: a sum beyond long is an error, never a wrap.</summary>
    public static long SupplyHeld(IEnumerable<Holding> holders)
    {
        long supply = 0;
        foreach (var holder in holders)
        {
            supply = checked(supply + holder.Balance);
        }
        return supply;
    }

    /// <summary>
    /// Lowercase hex SHA-256 over the lines in ordinal account order, each encoded as the UTF-8 bytes of
    /// <c>holder TAB balance TAB share LF</c>, the numbers in decimal without sign, grouping or leading zeros.
    /// </summary>
    public static string Digest(IEnumerable<SplitLine> lines)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var line in lines)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{line.Holder}\t{line.Balance}\t{line.Share}\n")));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
