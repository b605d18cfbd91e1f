namespace Perspective.Contracts.Events.Gateway.V1;

/// <summary>A use of a model was paid: POV moved from the payer to <c>treasury:&lt;ModelId&gt;</c> on the Ledger.</summary>
public sealed record UsagePaid(
    string PaymentId,
    string ModelId,
    string PayerAccount,
    string ProviderAccount,
    long Units,
    long AmountBaseUnits,
    string LedgerTransferId,
    long LedgerSequence,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => PaymentId;
}
