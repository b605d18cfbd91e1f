using Npgsql;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.Treasury.Commands;

/// <summary>How the treasury answers a sub-DAO action it carried out or refused, through the outbox of the same transaction.</summary>
public sealed class ProposalAnswers(IOutbox outbox)
{
    /// <summary>How the treasury signs its answers.</summary>
    public const string ExecutedBy = "treasury";

    /// <summary>A sub-DAO's id is its model's id, echoed exactly as the execution request spelled it (<paramref name="daoId"/>).</summary>
    public Task ExecutedAsync(NpgsqlTransaction tx, string daoId, string proposalId, int actionIndex, string detail, DateTimeOffset now,
        CancellationToken ct) =>
        outbox.EnqueueAsync(tx, new ProposalActionExecuted(proposalId, daoId, actionIndex, ExecutedBy, detail, now), ct);

    public Task FailedAsync(NpgsqlTransaction tx, string daoId, string proposalId, int actionIndex, string reason, DateTimeOffset now,
        CancellationToken ct) =>
        outbox.EnqueueAsync(tx, new ProposalActionFailed(proposalId, daoId, actionIndex, ExecutedBy, reason, now), ct);
}

/// <summary>What became of one job in one pass of the executor.</summary>
public enum JobOutcome
{
    /// <summary>Finished (paid, completed or failed) or found finished by someone else.</summary>
    Done,

    /// <summary>Not finished: a dependency did not answer; the job stays where it is and is tried again later.</summary>
    RetryLater,
}
