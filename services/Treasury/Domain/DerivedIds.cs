using Perspective.ServiceDefaults.Ids;

namespace Perspective.Treasury.Domain;

/// <summary>
/// Ids derived from other ids as name-based UUIDs (RFC 9562 version 5), the platform's convention: the same proposal
/// action always gives the same payout or distribution, and the same (distribution, holder) the same Ledger transfer,
/// so a redelivered request or a resumed run replays at the Ledger instead of paying again.
/// The namespaces are fixed forever: changing one would pay again. So is <see cref="DistributionLegMemo"/>: the memo is
/// part of each leg's content at the Ledger, and a leg re-sent under its id with another memo is refused as a reused id,
/// which would leave a distribution in progress unable to finish.
/// </summary>
public static class DerivedIds
{
    public static readonly Guid PayoutNamespace = new("2b6c1d0e-7a41-5c3e-8f2a-547265617375");
    public static readonly Guid DistributionNamespace = new("9e4f2a17-3b5d-5a6c-9d81-446973747269");
    public static readonly Guid DistributionLegNamespace = new("c3a85e92-1f04-5b7d-a6e3-4c6567526577");
    public static readonly Guid DistributionBatchNamespace = new("5d17b3c8-6e29-5f40-b1a7-426174636852");

    /// <summary>The payout of one TreasurySpend action; also its Ledger transfer id.</summary>
    public static Guid Payout(string proposalId, int actionIndex) => NameBased(PayoutNamespace, $"{proposalId}/{actionIndex}");

    public static Guid Distribution(string proposalId, int actionIndex) => NameBased(DistributionNamespace, $"{proposalId}/{actionIndex}");

    /// <summary>The Ledger transfer paying one holder of one distribution.</summary>
    public static Guid DistributionLeg(Guid distributionId, string holder) => NameBased(DistributionLegNamespace, $"{distributionId:D}/{holder}");

    /// <summary>
    /// The request id of one TransferBatch: named by its first line and its size, so a re-sent batch is the same request,
    /// and a batch formed differently after a configuration change is a new request (its already committed legs still
    /// replay by their own transfer ids).
    /// </summary>
    public static Guid DistributionBatch(Guid distributionId, long firstLine, int lineCount) =>
        NameBased(DistributionBatchNamespace, $"{distributionId:D}/{firstLine}/{lineCount}");

    /// <summary>The memo of every leg of a distribution. Fixed forever, like the namespaces (see above).</summary>
    public static string DistributionLegMemo(Guid distributionId) => $"control rewards {distributionId:D}";

    public static Guid NameBased(Guid @namespace, string name) => NameBasedId.Create(@namespace, name);
}
