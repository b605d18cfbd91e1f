using MassTransit;
using Npgsql;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Governance.Engine;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.PlatformGovernance.Events;

/// <summary>An action of a platform proposal was carried out (by the registry, or this service).</summary>
public sealed class ProposalActionExecutedConsumer(NpgsqlDataSource dataSource, TimeProvider time, ExecutionAnswers answers)
    : InboxConsumer<ProposalActionExecuted>(dataSource, time)
{
    protected override Task HandleAsync(ProposalActionExecuted message, NpgsqlTransaction transaction, ConsumeContext<ProposalActionExecuted> context) =>
        answers.ApplyAsync(transaction, message.ProposalId, message.DaoId, message.ActionIndex, true, message.ExecutedBy, message.Detail,
            context.CancellationToken);
}

/// <summary>An action of a platform proposal could not be carried out: the proposal is ExecutionFailed with the reason.</summary>
public sealed class ProposalActionFailedConsumer(NpgsqlDataSource dataSource, TimeProvider time, ExecutionAnswers answers)
    : InboxConsumer<ProposalActionFailed>(dataSource, time)
{
    protected override Task HandleAsync(ProposalActionFailed message, NpgsqlTransaction transaction, ConsumeContext<ProposalActionFailed> context) =>
        answers.ApplyAsync(transaction, message.ProposalId, message.DaoId, message.ActionIndex, false, message.ExecutedBy, message.Reason,
            context.CancellationToken);
}
