using MassTransit;
using Npgsql;
using Perspective.Contracts.Events.Platform.V1;
using Perspective.ServiceDefaults.Messaging;
using Perspective.SubDaoGovernance.Data;

namespace Perspective.SubDaoGovernance.Events;

/// <summary>
/// Keeps the platform parameters that shape sub-DAOs: the defaults for new sub-DAOs (<c>subdao_default_*</c>) and
/// the fee limit checked at proposal time (<c>max_usage_fee_per_unit</c>). Existing sub-DAOs and proposals keep their settings.
/// </summary>
public sealed class PlatformParameterConsumer(NpgsqlDataSource dataSource, TimeProvider time, SubDaoStore subDao)
    : InboxConsumer<PlatformParameterChanged>(dataSource, time)
{
    protected override async Task HandleAsync(PlatformParameterChanged message, NpgsqlTransaction transaction,
        ConsumeContext<PlatformParameterChanged> context)
    {
        if (message.Key == SubDaoStore.MaxUsageFeeKey || message.Key.StartsWith(SubDaoStore.DefaultPrefix, StringComparison.Ordinal))
        {
            await subDao.SetParameterAsync(transaction, message.Key, message.NewValue, message.ProposalId, message.OccurredAt, context.CancellationToken);
        }
    }
}
