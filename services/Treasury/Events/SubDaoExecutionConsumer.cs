using MassTransit;
using Npgsql;
using Perspective.Contracts.Events.SubDao.V1;
using Perspective.ServiceDefaults.Messaging;
using Perspective.Treasury.Data;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Events;

/// <summary>
/// A passed sub-DAO proposal asks its actions to be carried out. The treasury owns TreasurySpend and DistributeRewards; it
/// only records them here (a payout or distribution row keyed by the proposal action, in the inbox transaction, so fast
/// and exactly once) and wakes the executor, which calls the Ledger outside any consumer. The other kinds belong to the
/// registry and SubDaoGovernance.
/// </summary>
public sealed class SubDaoExecutionConsumer(NpgsqlDataSource dataSource, TimeProvider time, PayoutStore payouts, DistributionStore distributions)
    : InboxConsumer<ProposalExecutionRequested>(dataSource, time)
{
    private readonly TimeProvider clock = time;

    protected override async Task HandleAsync(ProposalExecutionRequested message, NpgsqlTransaction transaction,
        ConsumeContext<ProposalExecutionRequested> context)
    {
        var ct = context.CancellationToken;
        var modelId = Guid.ParseExact(message.ModelId, "D");
        var now = clock.GetUtcNow();
        var added = false;
        foreach (var action in message.Actions
                     .Where(a => a.Kind is SubDaoActionKind.TreasurySpend or SubDaoActionKind.DistributeRewards)
                     .OrderBy(a => a.Index))
        {
            added |= action.Kind == SubDaoActionKind.TreasurySpend
                ? await payouts.InsertAsync(transaction, DerivedIds.Payout(message.ProposalId, action.Index), modelId, message.ModelId, message.ProposalId, action.Index,
                    action.Recipient ?? "", action.AmountBaseUnits ?? 0, action.Purpose ?? "", now, ct)
                : await distributions.InsertAsync(transaction, DerivedIds.Distribution(message.ProposalId, action.Index), modelId, message.ModelId, message.ProposalId,
                    action.Index, action.AmountBaseUnits ?? 0, message.SnapshotSequence, now, ct);
        }
        if (added)
        {
            await PayoutStore.NotifyAsync(transaction, ct);
        }
    }
}
