using Perspective.Contracts.Events.Governance.V1;

namespace Perspective.Contracts.Events.SubDao.V1;

public enum SubDaoActionKind
{
    SetUsageFee = 1,
    TreasurySpend = 2,
    DistributeRewards = 3,
    UpdateSettings = 4,
    Signal = 5,
}

/// <summary>
/// One action of a sub-DAO proposal. Which fields are set depends on <see cref="Kind"/>:
/// SetUsageFee → PricePerUnitBaseUnits; TreasurySpend → Recipient, AmountBaseUnits, Purpose;
/// DistributeRewards → AmountBaseUnits; UpdateSettings → SettingsJson; Signal → Text.
/// </summary>
public sealed record SubDaoAction(
    int Index,
    SubDaoActionKind Kind,
    long? PricePerUnitBaseUnits = null,
    string? Recipient = null,
    long? AmountBaseUnits = null,
    string? Purpose = null,
    string? SettingsJson = null,
    string? Text = null);

/// <summary>A sub-DAO vote ended.</summary>
public sealed record ProposalDecided(
    string ProposalId,
    string ModelId,
    ProposalOutcome Outcome,
    long SnapshotSequence,
    TallyResult Tally,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => ProposalId;
}

/// <summary>A passed sub-DAO proposal's timelock ran out: the services that own its actions carry them out.</summary>
public sealed record ProposalExecutionRequested(
    string ProposalId,
    string ModelId,
    long SnapshotSequence,
    IReadOnlyList<SubDaoAction> Actions,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => ProposalId;
}
