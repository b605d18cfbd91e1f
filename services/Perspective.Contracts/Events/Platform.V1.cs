using Perspective.Contracts.Events.Governance.V1;

namespace Perspective.Contracts.Events.Platform.V1;

public enum PlatformActionKind
{
    ListModel = 1,
    DelistModel = 2,
    BanModel = 3,
    ReinstateModel = 4,
    PublishStandard = 5,
    SetParameter = 6,
    Signal = 7,
}

/// <summary>
/// One action of a platform proposal. Which fields are set depends on <see cref="Kind"/>:
/// List/Delist/Ban/ReinstateModel → ModelId (and Reason); PublishStandard → Title, Version, TextDigest;
/// SetParameter → Key, Value; Signal → Text.
/// </summary>
public sealed record PlatformAction(
    int Index,
    PlatformActionKind Kind,
    string? ModelId = null,
    string? Reason = null,
    string? Title = null,
    string? Version = null,
    string? TextDigest = null,
    string? Key = null,
    string? Value = null,
    string? Text = null);

/// <summary>A platform vote ended.</summary>
public sealed record ProposalDecided(
    string ProposalId,
    ProposalOutcome Outcome,
    long SnapshotSequence,
    TallyResult Tally,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => ProposalId;
}

/// <summary>A passed platform proposal's timelock ran out: the services that own its actions carry them out.</summary>
public sealed record ProposalExecutionRequested(
    string ProposalId,
    long SnapshotSequence,
    IReadOnlyList<PlatformAction> Actions,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => ProposalId;
}

/// <summary>A platform parameter (such as <c>listing_requires_approval</c>) changed.</summary>
public sealed record PlatformParameterChanged(
    string Key,
    string? OldValue,
    string NewValue,
    string ProposalId,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => Key;
}
