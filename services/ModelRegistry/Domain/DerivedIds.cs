using Perspective.ServiceDefaults.Ids;

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

    public static Guid NameBased(Guid @namespace, string name) => NameBasedId.Create(@namespace, name);
}
