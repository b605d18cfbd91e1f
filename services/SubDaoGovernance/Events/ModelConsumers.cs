using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Contracts.Events.Registry.V1;
using Perspective.Governance.Data;
using Perspective.ServiceDefaults.Messaging;
using Perspective.SubDaoGovernance.Data;

namespace Perspective.SubDaoGovernance.Events;

/// <summary>A registered model gets its sub-DAO (voting asset = its AI token) with the platform's default settings; once.</summary>
public sealed class ModelRegisteredConsumer(NpgsqlDataSource dataSource, TimeProvider time, GovernanceStore store, SubDaoStore subDao)
    : InboxConsumer<ModelRegistered>(dataSource, time)
{
    protected override async Task HandleAsync(ModelRegistered message, NpgsqlTransaction transaction, ConsumeContext<ModelRegistered> context)
    {
        var ct = context.CancellationToken;
        var settings = await subDao.DefaultSettingsAsync(transaction.Connection!, transaction, ct);
        // Insert-if-missing: the same model registered under another message id still gets one DAO.
        if (await store.InsertDaoIfMissingAsync(transaction.Connection!, transaction, message.ModelId, message.TokenSymbol, settings, message.OccurredAt, ct)
            && await subDao.IsBannedAsync(transaction, message.ModelId, ct))
        {
            await store.SetAcceptingAsync(transaction, message.ModelId, false, ct);
        }
    }
}

/// <summary>A banned model's sub-DAO accepts no new proposals (a ban is for good, so nothing turns it back on).</summary>
public sealed class ModelStatusChangedConsumer(NpgsqlDataSource dataSource, TimeProvider time, GovernanceStore store, SubDaoStore subDao)
    : InboxConsumer<ModelStatusChanged>(dataSource, time)
{
    protected override async Task HandleAsync(ModelStatusChanged message, NpgsqlTransaction transaction, ConsumeContext<ModelStatusChanged> context)
    {
        if (message.NewStatus != ModelStatus.Banned)
        {
            return;
        }
        await subDao.BanAsync(transaction, message.ModelId, message.OccurredAt, context.CancellationToken);
        await store.SetAcceptingAsync(transaction, message.ModelId, false, context.CancellationToken);
    }
}
