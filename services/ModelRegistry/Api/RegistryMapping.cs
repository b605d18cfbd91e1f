using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Perspective.Contracts.Registry.V1;
using Perspective.ModelRegistry.Data;

namespace Perspective.ModelRegistry.Api;

/// <summary>Rows to proto messages. The contract enums (events) and the proto enums share their numbers.</summary>
public static class RegistryMapping
{
    public const string TreasuryPrefix = "treasury:";

    public static Model ToProto(ModelRow row) => new()
    {
        ModelId = row.ModelId.ToString("D"),
        Name = row.Name,
        Description = row.Description,
        CreatorAccount = row.CreatorAccount,
        ProviderAccount = row.ProviderAccount,
        Token = new TokenSpec
        {
            Symbol = row.TokenSymbol,
            Name = row.TokenName,
            Decimals = row.TokenDecimals,
            TotalSupply = row.TokenTotalSupply,
        },
        Price = new Price { AmountPerUnit = row.PricePerUnit, Unit = (UsageUnit)row.PriceUnit },
        Status = (ModelStatus)row.Status,
        TreasuryAccount = TreasuryPrefix + row.ModelId.ToString("D"),
        CreatedAt = Time(row.CreatedAt),
        UpdatedAt = Time(row.UpdatedAt),
        Version = row.Version,
    };

    public static ModelHistoryEntry ToProto(HistoryRow row) => new()
    {
        Version = row.Version,
        Kind = (ModelChangeKind)row.Kind,
        Source = (ModelChangeSource)row.Source,
        ProposalId = row.ProposalId,
        ActorAccount = row.ActorAccount,
        OldStatus = (ModelStatus)row.OldStatus,
        NewStatus = (ModelStatus)row.NewStatus,
        OldPrice = row.OldPrice is { } oldPrice ? new Price { AmountPerUnit = oldPrice, Unit = (UsageUnit)(row.OldPriceUnit ?? 0) } : null,
        NewPrice = new Price { AmountPerUnit = row.NewPrice, Unit = (UsageUnit)row.NewPriceUnit },
        Reason = row.Reason,
        ChangedAt = Time(row.ChangedAt),
    };

    public static string Cursor(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static Timestamp Time(DateTime value) => Timestamp.FromDateTime(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
