using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.UsageGateway.Domain;

/// <summary>Input rules and pure helpers of the gateway. Each rule throws <see cref="DomainException.InvalidArgument"/> naming the field.</summary>
public static partial class GatewayRules
{
    public const int AccountLengthMax = 128;
    public const int ReasonLengthMax = 1_000;
    public const long TtlSecondsMax = 86_400;
    public const string TreasuryPrefix = "treasury:";

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex UuidPattern();

    // The Ledger's account alphabet: the gateway only ever passes these on as Ledger accounts.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9:_.@-]*$")]
    private static partial Regex AccountPattern();

    public static string TreasuryAccount(string modelId) => TreasuryPrefix + modelId;

    /// <summary>
    /// Now, cut to PostgreSQL's microsecond precision, so a time put in a response before it is stored reads back the
    /// same afterwards (a replayed or listed payment equals the first answer).
    /// </summary>
    public static DateTimeOffset Now(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % (TimeSpan.TicksPerMillisecond / 1000)));
    }

    public static Guid RequestId(string field, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw DomainException.InvalidArgument(field, "is required (a client-chosen UUID)");
        }
        if (!UuidPattern().IsMatch(value))
        {
            throw DomainException.InvalidArgument(field, "must be a UUID");
        }
        return Guid.Parse(value);
    }

    /// <summary>An id the gateway assigned (payment, authorization): malformed means it cannot exist.</summary>
    public static Guid Id(string field, string value) =>
        UuidPattern().IsMatch(value) ? Guid.Parse(value) : throw DomainException.InvalidArgument(field, "must be a UUID");

    public static void Account(string field, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw DomainException.InvalidArgument(field, "is required");
        }
        if (value.Length > AccountLengthMax)
        {
            throw DomainException.InvalidArgument(field, $"must be at most {AccountLengthMax} characters");
        }
        if (!AccountPattern().IsMatch(value))
        {
            throw DomainException.InvalidArgument(field, "may hold only letters, digits and : _ . @ -");
        }
    }

    /// <summary>Model ids are registry UUIDs; anything else cannot name a model (and would make a bad treasury account).</summary>
    public static void ModelId(string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw DomainException.InvalidArgument("model_id", "is required");
        }
        Account("model_id", value);
    }

    public static void Positive(string field, long value)
    {
        if (value <= 0)
        {
            throw DomainException.InvalidArgument(field, "must be positive");
        }
    }

    /// <summary>price × units in int64 base units; an overflow is bad input naming <paramref name="field"/>, never a wrap.</summary>
    public static long Fee(string field, long amountPerUnit, long units)
    {
        try
        {
            return checked(amountPerUnit * units);
        }
        catch (OverflowException)
        {
            throw DomainException.InvalidArgument(field, $"price {amountPerUnit} × {units} overflows int64 base units");
        }
    }

    /// <summary>
    /// A stable UUID for a Ledger request derived from one of ours (name-based, SHA-256, RFC 9562 version 8): the same
    /// gateway request always makes the same Ledger request, so a retry, a second replica or a recovery pass can only
    /// ever replay it, never pay twice.
    /// </summary>
    public static Guid Derived(string purpose, Guid source)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"perspective.gateway/{purpose}/{source:D}"));
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>What makes two requests with one request id "the same": their content and who sent it.</summary>
    public static byte[] ContentHash(IMessage request, string caller)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(request.Descriptor.FullName));
        hash.AppendData([0]);
        hash.AppendData(Encoding.UTF8.GetBytes(caller));
        hash.AppendData([0]);
        hash.AppendData(request.ToByteArray());
        return hash.GetHashAndReset();
    }
}
