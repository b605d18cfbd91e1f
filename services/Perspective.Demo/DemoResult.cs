using Grpc.Core;

namespace Perspective.Demo;

/// <summary>The accounts of one run: fresh names, so the story can run again on the same stack.</summary>
public sealed record DemoCast(string Tag)
{
    public string Developer => $"dev-{Tag}";

    public string Provider => $"host-{Tag}";

    public string DataProviderA => $"data-a-{Tag}";

    public string DataProviderB => $"data-b-{Tag}";

    public string User => $"user-{Tag}";

    public string Buyer => $"buyer-{Tag}";

    public string Symbol => $"NOVA{Tag.ToUpperInvariant()}";

    public string ModelName => $"Nova {Tag}";

    public string StandardVersion => $"1.0-{Tag}";
}

/// <summary>One asset's conservation check at one journal sequence: holders + issuance = 0, holders = supply.</summary>
public sealed record AssetSum(string Asset, long Sequence, long HoldersTotal, int HolderCount, long IssuanceBalance, long Supply)
{
    public long Sum => checked(HoldersTotal + IssuanceBalance);
}

/// <summary>What a run did, by id: the end-to-end test reads the services itself and checks the values.</summary>
public sealed record DemoResult(
    DemoCast Cast,
    string ModelId,
    string TreasuryAccount,
    string LockId,
    string SwapOfferId,
    IReadOnlyList<string> PaymentIds,
    string FeeProposalId,
    string TreasuryProposalId,
    string StandardProposalId,
    string StandardId,
    string BanProposalId,
    StatusCode RefusedChargeStatus,
    string RefusedChargeMessage,
    long FinalSequence,
    bool JournalValid,
    long JournalEntriesChecked,
    IReadOnlyList<AssetSum> Sums,
    TimeSpan Elapsed);
