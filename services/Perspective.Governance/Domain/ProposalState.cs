namespace Perspective.Governance.Domain;

/// <summary>Proposal states; the numbers are those of perspective.governance.v1.ProposalState (stored as smallint).</summary>
public enum ProposalState : short
{
    Pending = 1,
    Active = 2,
    Defeated = 3,
    Succeeded = 4,
    Queued = 5,
    Executed = 6,
    ExecutionFailed = 7,
    Expired = 8,
    Canceled = 9,
}

/// <summary>A voter's choice; the numbers are those of perspective.governance.v1.VoteSupport.</summary>
public enum Support : short
{
    For = 1,
    Against = 2,
    Abstain = 3,
}
