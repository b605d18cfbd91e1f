using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Perspective.Governance.Domain;

/// <summary>One recorded vote as the digest covers it.</summary>
public sealed record VoteRecord(long Ordinal, string Voter, Support Support, long Weight, string Reason, DateTimeOffset CastAt);

/// <summary>
/// The count of a proposal's votes and what it means, computed from the frozen settings and the supply at the snapshot.
/// Pure: the same votes and settings always give the same result.
/// </summary>
public sealed record Tally(
    long ForCount, long AgainstCount, long AbstainCount,
    long ForWeight, long AgainstWeight, long AbstainWeight,
    long SupplyAtSnapshot, long QuorumWeight, bool QuorumReached, bool ThresholdReached)
{
    public long VoteCount => checked(ForCount + AgainstCount + AbstainCount);

    /// <summary>Passed: quorum reached (For + Abstain ≥ quorum weight, exactly at quorum passes) and For at or beyond the threshold.</summary>
    public bool Passed => QuorumReached && ThresholdReached;

    public static Tally Compute(Settings settings, long supplyAtSnapshot,
        long forCount, long againstCount, long abstainCount, long forWeight, long againstWeight, long abstainWeight)
    {
        var quorumWeight = QuorumWeightOf(supplyAtSnapshot, settings.QuorumBps);
        var quorumReached = checked(forWeight + abstainWeight) >= quorumWeight;
        // For / (For + Against) ≥ threshold, in integers, so exactly at the threshold passes and 10,000 bps is reachable
        // (unanimity). For > Against as well: a tie is defeated at any threshold, and no For/Against votes is defeated.
        // Int128 because weight × 10,000 can exceed int64.
        var thresholdReached = (Int128)forWeight * Settings.MaxBps >= (Int128)settings.PassThresholdBps * checked(forWeight + againstWeight)
            && forWeight > againstWeight;
        return new(forCount, againstCount, abstainCount, forWeight, againstWeight, abstainWeight, supplyAtSnapshot, quorumWeight,
            quorumReached, thresholdReached);
    }

    /// <summary>ceil(supply × quorum_bps / 10,000), exact for every int64 supply.</summary>
    public static long QuorumWeightOf(long supply, int quorumBps) =>
        checked((long)(((Int128)supply * quorumBps + (Settings.MaxBps - 1)) / Settings.MaxBps));

    /// <summary>Domain tag of the digest's canonical encoding (docs/governance.md); a new encoding gets a new tag.</summary>
    public const string DigestTag = "perspective.governance.votes.v1";

    /// <summary>
    /// SHA-256 over the canonical encoding of the ordered vote list (docs/governance.md, "Tally digest"):
    /// tag, proposal id and snapshot, then per vote in ascending ordinal: ordinal, voter, support, weight, reason.
    /// Integers big-endian; strings UTF-8 with a 4-byte big-endian length before them. Lowercase hex.
    /// </summary>
    public static string Digest(Guid proposalId, long snapshotSequence, IEnumerable<VoteRecord> votesInOrder)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        AppendString(sha, DigestTag);
        AppendString(sha, proposalId.ToString("D"));
        BinaryPrimitives.WriteInt64BigEndian(number, snapshotSequence);
        sha.AppendData(number);
        var expected = 1L;
        foreach (var vote in votesInOrder)
        {
            if (vote.Ordinal != expected)
            {
                // The list must be complete and ordered, or the digest would describe another tally.
                throw new InvalidOperationException($"vote ordinal {vote.Ordinal} where {expected} was expected");
            }
            expected++;
            BinaryPrimitives.WriteInt64BigEndian(number, vote.Ordinal);
            sha.AppendData(number);
            AppendString(sha, vote.Voter);
            sha.AppendData([(byte)vote.Support]);
            BinaryPrimitives.WriteInt64BigEndian(number, vote.Weight);
            sha.AppendData(number);
            AppendString(sha, vote.Reason);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void AppendString(IncrementalHash sha, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        sha.AppendData(length);
        sha.AppendData(bytes);
    }
}
