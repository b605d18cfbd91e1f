using System.Security.Cryptography;
using System.Text;

namespace Perspective.ServiceDefaults.Ids;

/// <summary>
/// Name-based UUIDs (RFC 9562 version 5): the same namespace and name always give the same id. The services derive the
/// ids of their Ledger requests from what caused them this way, so a retry or a redelivery replays instead of moving
/// money again. The output of this function is persisted and sent to the Ledger: it must never change.
/// </summary>
public static class NameBasedId
{
    public static Guid Create(Guid @namespace, string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        @namespace.TryWriteBytes(input, bigEndian: true, out _);
        nameBytes.CopyTo(input, 16);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 version 5 specifies; it names, it does not protect.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
