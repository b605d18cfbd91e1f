using Google.Protobuf.WellKnownTypes;
using Perspective.Contracts.Ledger.V1;
using Perspective.Ledger.Writer;

namespace Perspective.Ledger.Api;

/// <summary>Rows to proto messages.</summary>
public static class LedgerMapping
{
    public static Asset ToProto(AssetRow row) => new()
    {
        Code = row.Code,
        Name = row.Name,
        Decimals = row.Decimals,
        TotalSupply = row.TotalSupply,
        InitialHolderAccount = row.InitialHolderAccount,
        CreatedSequence = row.CreatedSequence,
        CreatedAt = Timestamp.FromDateTimeOffset(row.CreatedAt),
    };

    public static Transfer ToProto(TransferRow row, Receipt receipt) => new()
    {
        TransferId = row.TransferId,
        Kind = (TransferKind)row.Kind,
        FromAccount = row.From,
        ToAccount = row.To,
        Asset = row.Asset,
        Amount = row.Amount,
        Memo = row.Memo,
        ReferenceId = row.ReferenceId,
        Receipt = receipt,
    };

    public static Receipt Receipt(long sequence, byte[] hash, DateTime committedAt) => new()
    {
        Sequence = sequence,
        Hash = Convert.ToHexStringLower(hash),
        CommittedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(committedAt, DateTimeKind.Utc)),
    };

    /// <summary>A hold; <paramref name="closed"/> is the receipt of the entry that posted, voided or expired it, if any.</summary>
    public static Hold ToProto(HoldRow row, Receipt? closed) => new()
    {
        HoldId = row.HoldId,
        FromAccount = row.FromAccount,
        ToAccount = row.ToAccount,
        Asset = row.Asset,
        Amount = row.Amount,
        Status = (HoldStatus)row.Status,
        PostedAmount = row.PostedAmount,
        PostedTransferId = row.PostedTransferId,
        ExpiresAt = Timestamp.FromDateTime(DateTime.SpecifyKind(row.ExpiresAt, DateTimeKind.Utc)),
        Memo = row.Memo,
        CreatedBy = row.CreatedBy,
        Created = Receipt(row.CreatedSequence, row.CreatedHash, row.CreatedAt),
        Closed = closed,
    };

    /// <summary>A lock; <paramref name="released"/> is the receipt of the entry that released it, if any.</summary>
    public static TokenLock ToProto(LockRow row, Receipt? released) => new()
    {
        LockId = row.LockId,
        Account = row.Account,
        Asset = row.Asset,
        Amount = row.Amount,
        Until = Timestamp.FromDateTime(DateTime.SpecifyKind(row.Until, DateTimeKind.Utc)),
        Status = (LockStatus)row.Status,
        Memo = row.Memo,
        Created = Receipt(row.CreatedSequence, row.CreatedHash, row.CreatedAt),
        Released = released,
    };

    /// <summary>A swap offer; <paramref name="closed"/> is the receipt of the entry that accepted, canceled or expired it, if any.</summary>
    public static SwapOffer ToProto(OfferRow row, Receipt? closed) => new()
    {
        OfferId = row.OfferId,
        MakerAccount = row.MakerAccount,
        GiveAsset = row.GiveAsset,
        GiveAmount = row.GiveAmount,
        WantAsset = row.WantAsset,
        WantAmount = row.WantAmount,
        CounterpartyAccount = row.CounterpartyAccount,
        ExpiresAt = Timestamp.FromDateTime(DateTime.SpecifyKind(row.ExpiresAt, DateTimeKind.Utc)),
        Status = (SwapOfferStatus)row.Status,
        TakerAccount = row.TakerAccount,
        Memo = row.Memo,
        Created = Receipt(row.CreatedSequence, row.CreatedHash, row.CreatedAt),
        Closed = closed,
    };
}
