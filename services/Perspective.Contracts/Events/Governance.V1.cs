namespace Perspective.Contracts.Events.Governance.V1;

/// <summary>How a vote ended.</summary>
public enum ProposalOutcome
{
    Succeeded = 1,
    Defeated = 2,
}

/// <summary>The counts behind a decision, enough to recompute it: every tally is reproducible.</summary>
public sealed record TallyResult(
    long ForBaseUnits,
    long AgainstBaseUnits,
    long AbstainBaseUnits,
    long QuorumBaseUnits,
    long SupplyAtSnapshotBaseUnits,
    int VoteCount,
    string VoteListDigest);

/// <summary>The service that carries out a proposal's action reports that it did.</summary>
public sealed record ProposalActionExecuted(
    string ProposalId,
    string DaoId,
    int ActionIndex,
    string ExecutedBy,
    string Detail,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => ProposalId;
}

/// <summary>The service that carries out a proposal's action could not; nothing was changed by it.</summary>
public sealed record ProposalActionFailed(
    string ProposalId,
    string DaoId,
    int ActionIndex,
    string ExecutedBy,
    string Reason,
    DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => ProposalId;
}
