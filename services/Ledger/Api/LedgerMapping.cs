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
}
