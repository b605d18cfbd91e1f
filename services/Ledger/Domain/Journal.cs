using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Perspective.Ledger.Domain;

public enum EntryKind : byte
{
    AssetCreated = 1,
    Transfer = 2,
    HoldCreated = 3,
    HoldPosted = 4,
    HoldVoided = 5,
    HoldExpired = 6,
    LockCreated = 7,
    LockReleased = 8,
    SwapOfferCreated = 9,
    SwapOfferAccepted = 10,
    SwapOfferCanceled = 11,
    SwapOfferExpired = 12,
}

/// <summary>Which part of a balance a posting changes. total = available + held + locked.</summary>
public enum Bucket : byte
{
    Available = 1,
    Held = 2,
    Locked = 3,
}

/// <summary>One signed change to one (account, asset, bucket): positive credits, negative debits.</summary>
public sealed record PostingRecord(string Account, string Asset, Bucket Bucket, long Amount);

/// <summary>
/// One link of the hash chain: <c>hash = SHA-256(canonical bytes ‖ previous hash)</c>. The canonical encoding is
/// specified in docs/ledger.md so anyone can verify the chain with their own code.
/// </summary>
public sealed record JournalRecord(
    long Sequence,
    EntryKind Kind,
    string ReferenceId,
    string Memo,
    long CommittedAtMicros,
    IReadOnlyList<PostingRecord> Postings)
{
    public static readonly byte[] GenesisHash = new byte[32];

    private static readonly byte[] Magic = "PLJ1"u8.ToArray();

    /// <summary>
    /// "PLJ1", sequence (int64), kind (uint8), reference id and memo (each uint32 byte length + UTF-8),
    /// committed-at in Unix microseconds (int64), posting count (uint32), then per posting: account, asset
    /// (length-prefixed UTF-8), bucket (uint8), amount (int64, two's complement). Integers are big-endian.
    /// </summary>
    public byte[] Canonical()
    {
        using var stream = new MemoryStream(64 + Postings.Count * 48);
        stream.Write(Magic);
        WriteInt64(stream, Sequence);
        stream.WriteByte((byte)Kind);
        WriteString(stream, ReferenceId);
        WriteString(stream, Memo);
        WriteInt64(stream, CommittedAtMicros);
        WriteUInt32(stream, (uint)Postings.Count);
        foreach (var posting in Postings)
        {
            WriteString(stream, posting.Account);
            WriteString(stream, posting.Asset);
            stream.WriteByte((byte)posting.Bucket);
            WriteInt64(stream, posting.Amount);
        }
        return stream.ToArray();
    }

    public byte[] ComputeHash(ReadOnlySpan<byte> previousHash)
    {
        var canonical = Canonical();
        var buffer = new byte[canonical.Length + previousHash.Length];
        canonical.CopyTo(buffer, 0);
        previousHash.CopyTo(buffer.AsSpan(canonical.Length));
        return SHA256.HashData(buffer);
    }

    /// <summary>Double entry: within the entry, the postings of each asset sum to zero (checked, no wrap).</summary>
    public bool Balances() =>
        Postings.GroupBy(p => p.Asset, StringComparer.Ordinal).All(g => g.Aggregate(0L, (sum, p) => checked(sum + p.Amount)) == 0);

    private static void WriteInt64(Stream stream, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void WriteString(Stream stream, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteUInt32(stream, (uint)bytes.Length);
        stream.Write(bytes);
    }
}
