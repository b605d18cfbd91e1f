using Microsoft.Extensions.Logging;
using Npgsql;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Governance.Data;
using Perspective.Governance.Domain;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.Governance.Engine;

/// <summary>
/// Answers to a proposal's actions: from the service itself (its own actions, in the scheduler's transaction) and from
/// the services that carry out the others (ProposalActionExecuted / ProposalActionFailed, in the consumer's inbox
/// transaction). Each action is answered once; a second answer for it (a redelivery, a duplicate) changes nothing.
/// </summary>
public sealed partial class ExecutionAnswers(GovernanceStore store, IDaoHost host, IOutbox outbox, TimeProvider time, ILogger<ExecutionAnswers> logger)
{
    /// <summary>
    /// Applies an answer that arrived as an event. Answers for proposals of another service or DAO are ignored, and so
    /// is an answer from a service that does not own the action's kind (it did not carry it out, so it cannot settle it).
    /// </summary>
    public async Task ApplyAsync(NpgsqlTransaction tx, string proposalId, string daoId, int actionIndex, bool succeeded, string executedBy, string detail,
        CancellationToken ct)
    {
        if (!Guid.TryParseExact(proposalId, "D", out var id))
        {
            return;
        }
        var p = await store.LockAsync(tx, id, ct);
        // Both DAO services consume every answer; each applies only those about its own proposals.
        if (p is null || p.DaoId != daoId || actionIndex < 0 || actionIndex >= p.ActionCount || p.ExecutionRequestedAt is null)
        {
            return;
        }
        var owner = host.OwnerOf(p, actionIndex);
        if (executedBy != owner)
        {
            LogNotOwner(logger, id, actionIndex, executedBy, owner);
            return;
        }
        var now = time.GetUtcNow();
        if (await store.TryRecordAnswerAsync(tx, id, actionIndex, succeeded, executedBy, detail, now, ct))
        {
            await SettleAsync(tx, p, now, ct);
        }
    }

    /// <summary>Records and announces the outcomes of the actions the service carried out itself.</summary>
    public async Task RecordOwnAsync(NpgsqlTransaction tx, ProposalRow p, string executedBy, IReadOnlyList<ActionOutcome> outcomes, DateTimeOffset now,
        CancellationToken ct)
    {
        foreach (var outcome in outcomes)
        {
            if (!await store.TryRecordAnswerAsync(tx, p.ProposalId, outcome.ActionIndex, outcome.Succeeded, executedBy, outcome.Detail, now, ct))
            {
                continue;
            }
            var proposalId = p.ProposalId.ToString("D");
            await outbox.EnqueueAsync(tx, outcome.Succeeded
                ? new ProposalActionExecuted(proposalId, p.DaoId, outcome.ActionIndex, executedBy, outcome.Detail, now)
                : new ProposalActionFailed(proposalId, p.DaoId, outcome.ActionIndex, executedBy, outcome.Detail, now), ct);
        }
    }

    /// <summary>
    /// Moves a proposal whose execution was requested to ExecutionFailed at the first failed action, or to Executed
    /// once every action succeeded. An Expired proposal is settled too: a late answer reports an effect that did happen.
    /// </summary>
    public async Task<ProposalRow> SettleAsync(NpgsqlTransaction tx, ProposalRow p, DateTimeOffset now, CancellationToken ct)
    {
        if (p.ProposalState is not (ProposalState.Queued or ProposalState.Expired) || p.ExecutionRequestedAt is null)
        {
            return p;
        }
        var answers = await store.AnswersAsync(tx, p.ProposalId, ct);
        var failed = answers.FirstOrDefault(a => !a.Succeeded);
        ProposalRow settled;
        if (failed is not null)
        {
            settled = p with
            {
                State = (short)ProposalState.ExecutionFailed,
                ExecutedAt = now.UtcDateTime,
                FailureReason = $"actions[{failed.ActionIndex}] ({failed.ExecutedBy}): {failed.Detail}",
                NextDueAt = null,
            };
        }
        else if (answers.Count == p.ActionCount)
        {
            settled = p with { State = (short)ProposalState.Executed, ExecutedAt = now.UtcDateTime, FailureReason = "", NextDueAt = null };
        }
        else
        {
            return p;
        }
        await store.UpdateAsync(tx, settled, ct);
        return settled;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Ignored an answer about proposal {ProposalId} action {ActionIndex} from {ExecutedBy}: the action is carried out by {Owner}")]
    private static partial void LogNotOwner(ILogger logger, Guid proposalId, int actionIndex, string executedBy, string owner);
}
