using MassTransit;
using Npgsql;
using Perspective.Contracts.Events.Platform.V1;
using Perspective.ModelRegistry.Commands;
using Perspective.ModelRegistry.Domain;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.ModelRegistry.Events;

/// <summary>
/// A passed platform proposal asks its actions to be carried out. The registry owns exactly the four model-listing
/// kinds (ListModel, DelistModel, BanModel, ReinstateModel): the action records name no target service, so the kind is
/// the routing key. Every other kind (PublishStandard, SetParameter, Signal) belongs to PlatformGovernance and is
/// left alone, unanswered by the registry.
/// </summary>
public sealed class PlatformExecutionConsumer(NpgsqlDataSource dataSource, TimeProvider time, GovernanceActions actions)
    : InboxConsumer<ProposalExecutionRequested>(dataSource, time)
{
    protected override async Task HandleAsync(ProposalExecutionRequested message, NpgsqlTransaction transaction,
        ConsumeContext<ProposalExecutionRequested> context)
    {
        foreach (var action in message.Actions.OrderBy(a => a.Index))
        {
            StatusAction? statusAction = action.Kind switch
            {
                PlatformActionKind.ListModel => StatusAction.List,
                PlatformActionKind.DelistModel => StatusAction.Delist,
                PlatformActionKind.BanModel => StatusAction.Ban,
                PlatformActionKind.ReinstateModel => StatusAction.Reinstate,
                _ => null,
            };
            if (statusAction is { } registryAction)
            {
                await actions.StatusAsync(transaction, message.ProposalId, action.Index, action.ModelId, registryAction, action.Reason,
                    context.CancellationToken);
            }
        }
    }
}
