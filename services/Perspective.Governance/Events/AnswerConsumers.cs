using MassTransit;
using Npgsql;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Governance.Engine;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.Governance.Events;

// Abstract: each host derives a sealed consumer in its own assembly, because the bus registers the consumers of the
// host's assembly and names their queues (and inbox rows) after the derived type.

/// <summary>An action of a proposal was carried out (by another service, or the host itself).</summary>
public abstract class ProposalActionExecutedConsumerBase(NpgsqlDataSource dataSource, TimeProvider time, ExecutionAnswers answers)
    : InboxConsumer<ProposalActionExecuted>(dataSource, time)
{
    protected sealed override Task HandleAsync(ProposalActionExecuted message, NpgsqlTransaction transaction,
        ConsumeContext<ProposalActionExecuted> context) =>
        answers.ApplyAsync(transaction, message.ProposalId, message.DaoId, message.ActionIndex, true, message.ExecutedBy, message.Detail,
            context.CancellationToken);
}

/// <summary>An action of a proposal could not be carried out: the proposal is ExecutionFailed with the reason.</summary>
public abstract class ProposalActionFailedConsumerBase(NpgsqlDataSource dataSource, TimeProvider time, ExecutionAnswers answers)
    : InboxConsumer<ProposalActionFailed>(dataSource, time)
{
    protected sealed override Task HandleAsync(ProposalActionFailed message, NpgsqlTransaction transaction,
        ConsumeContext<ProposalActionFailed> context) =>
        answers.ApplyAsync(transaction, message.ProposalId, message.DaoId, message.ActionIndex, false, message.ExecutedBy, message.Reason,
            context.CancellationToken);
}
