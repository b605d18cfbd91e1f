using MassTransit;
using Npgsql;
using Perspective.Contracts.Events.SubDao.V1;
using Perspective.ModelRegistry.Commands;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.ModelRegistry.Events;

/// <summary>
/// A passed sub-DAO proposal asks its actions to be carried out. The registry owns SetUsageFee (the model's price);
/// TreasurySpend and DistributeRewards belong to the Treasury, UpdateSettings and Signal to SubDaoGovernance, so those
/// are left alone. The model is the proposal's own (<see cref="ProposalExecutionRequested.ModelId"/>): a sub-DAO
/// prices only its model.
/// </summary>
public sealed class SubDaoExecutionConsumer(NpgsqlDataSource dataSource, TimeProvider time, GovernanceActions actions)
    : InboxConsumer<ProposalExecutionRequested>(dataSource, time)
{
    protected override async Task HandleAsync(ProposalExecutionRequested message, NpgsqlTransaction transaction,
        ConsumeContext<ProposalExecutionRequested> context)
    {
        foreach (var action in message.Actions.Where(a => a.Kind == SubDaoActionKind.SetUsageFee).OrderBy(a => a.Index))
        {
            await actions.PriceAsync(transaction, message.ProposalId, action.Index, message.ModelId, action.PricePerUnitBaseUnits,
                context.CancellationToken);
        }
    }
}
