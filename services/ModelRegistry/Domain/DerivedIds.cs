using System.Security.Cryptography;
using System.Text;

namespace Perspective.ModelRegistry.Domain;

/// <summary>
/// Ids derived from other ids as name-based UUIDs (RFC 9562 version 5), the platform's convention: the same model
/// always gives the same Ledger request id, so a retried registration replays the asset creation instead of
/// creating a second asset.
/// </summary>
public static class DerivedIds
{
    /// <summary>Namespace of the Ledger CreateAsset request of a model (fixed forever: changing it would mint again).</summary>
    public static readonly Guid AssetCreationNamespace = new("6f1d8a4e-2c3b-5e7f-9a10-526567697374");

    public static Guid LedgerAssetRequest(Guid modelId) => NameBased(AssetCreationNamespace, modelId.ToString("D"));

    public static Guid NameBased(Guid @namespace, string name)
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
