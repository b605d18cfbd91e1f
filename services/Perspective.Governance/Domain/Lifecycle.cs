namespace Perspective.Governance.Domain;

/// <summary>What the scheduler does to a due proposal.</summary>
public enum StepKind
{
    /// <summary>Nothing is due yet (another replica moved it, or the clock is behind).</summary>
    None,
    /// <summary>Pending → Active at voting start.</summary>
    Activate,
    /// <summary>Active → Succeeded | Defeated at voting end; ProposalDecided.</summary>
    Decide,
    /// <summary>Succeeded → Queued: the timelock runs.</summary>
    Queue,
    /// <summary>Queued, timelock over: ProposalExecutionRequested, local actions carried out.</summary>
    RequestExecution,
    /// <summary>Queued past the grace period without a complete answer → Expired.</summary>
    Expire,
}

/// <summary>The proposal state machine over time. Pure: the same row and clock give the same step.</summary>
public static class Lifecycle
{
    /// <summary>One step at a time, so every state is visible to readers between scheduler passes.</summary>
    public static StepKind Next(ProposalRow p, DateTimeOffset now) => p.ProposalState switch
    {
        ProposalState.Pending when now >= ProposalRow.Utc(p.VotingStartsAt) => StepKind.Activate,
        ProposalState.Active when now >= ProposalRow.Utc(p.VotingEndsAt) => StepKind.Decide,
        ProposalState.Succeeded => StepKind.Queue,
        ProposalState.Queued when p.ExpiresAt is { } expires && now >= ProposalRow.Utc(expires) => StepKind.Expire,
        ProposalState.Queued when p.ExecutionRequestedAt is null && p.ExecutableAt is { } at && now >= ProposalRow.Utc(at) => StepKind.RequestExecution,
        _ => StepKind.None,
    };

    /// <summary>When the scheduler must look at a proposal in <paramref name="state"/> next; null once nothing more happens by time.</summary>
    public static DateTime? DueAt(ProposalState state, DateTime startsAt, DateTime endsAt, DateTime? executableAt, DateTime? expiresAt,
        bool executionRequested, DateTime now) => state switch
        {
            ProposalState.Pending => startsAt,
            ProposalState.Active => endsAt,
            ProposalState.Succeeded => now,
            ProposalState.Queued => executionRequested ? expiresAt : executableAt,
            _ => null,
        };

    /// <summary>The timelock and grace period run from the end of voting, so they do not depend on when the scheduler ran.</summary>
    public static (DateTime ExecutableAt, DateTime ExpiresAt) Timelock(Settings settings, DateTime votingEndsAt)
    {
        var executable = votingEndsAt.AddSeconds(settings.ExecutionDelaySeconds);
        return (executable, executable.AddSeconds(settings.GracePeriodSeconds));
    }

    /// <summary>
    /// Late-quorum protection: when the vote at <paramref name="now"/> is the first to reach quorum and voting would
    /// end within the extension, voting ends one extension after now instead. Once: a proposal that was extended, or
    /// reached quorum before, keeps its end.
    /// </summary>
    public static DateTime? ExtendedEnd(Settings settings, bool quorumReachedBefore, bool quorumReachedNow, bool extended, DateTime endsAt, DateTime now)
    {
        if (settings.LateQuorumExtensionSeconds == 0 || quorumReachedBefore || !quorumReachedNow || extended)
        {
            return null;
        }
        var newEnd = now.AddSeconds(settings.LateQuorumExtensionSeconds);
        return newEnd > endsAt ? newEnd : null;
    }
}
