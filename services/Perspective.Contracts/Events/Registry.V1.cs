namespace Perspective.Contracts.Events.Registry.V1;

/// <summary>Model listing status, as the registry keeps it.</summary>
public enum ModelStatus
{
    PendingListing = 1,
    Listed = 2,
    Delisted = 3,
    Banned = 4,
}

/// <summary>What one priced unit of use is.</summary>
public enum PriceUnit
{
    Request = 1,
    ThousandInputTokens = 2,
    ThousandOutputTokens = 3,
    Second = 4,
}

/// <summary>A model was registered; its AI token exists on the Ledger with the whole supply held by the creator.</summary>
public sealed record ModelRegistered(
    string ModelId,
    string Name,
    string CreatorAccount,
    string ProviderAccount,
    string TokenSymbol,
    int TokenDecimals,
    long TokenTotalSupplyBaseUnits,
    long PricePerUnitBaseUnits,
    PriceUnit PriceUnit,
    ModelStatus Status,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => ModelId;
}

/// <summary>A model's usage fee changed, by a sub-DAO decision.</summary>
public sealed record ModelPricingChanged(
    string ModelId,
    long OldPricePerUnitBaseUnits,
    long NewPricePerUnitBaseUnits,
    PriceUnit PriceUnit,
    string ProposalId,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => ModelId;
}

/// <summary>A model's listing status changed, by a platform decision or its creator retiring it.</summary>
public sealed record ModelStatusChanged(
    string ModelId,
    ModelStatus OldStatus,
    ModelStatus NewStatus,
    string? ProposalId,
    string Reason,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => ModelId;
}

/// <summary>
/// The account allowed to charge for a model changed (its creator's UpdateModelMetadata). Consumers that cache the
/// provider (the gateway) apply it only when <see cref="ModelVersion"/> is newer than what they hold: events may arrive
/// out of order.
/// </summary>
public sealed record ModelProviderChanged(
    string ModelId,
    string OldProviderAccount,
    string NewProviderAccount,
    long ModelVersion,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => ModelId;
}
