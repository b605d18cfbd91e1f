using MassTransit;
using Npgsql;
using Perspective.Contracts.Events.Registry.V1;
using Perspective.ServiceDefaults.Messaging;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Events;

/// <summary>A model was registered: open its treasury (or complete the record a first payment opened), keeping creator and token.</summary>
public sealed class ModelRegisteredConsumer(NpgsqlDataSource dataSource, TimeProvider time, TreasuryStore store)
    : InboxConsumer<ModelRegistered>(dataSource, time)
{
    protected override Task HandleAsync(ModelRegistered message, NpgsqlTransaction transaction, ConsumeContext<ModelRegistered> context) =>
        store.OpenAsync(transaction, Guid.ParseExact(message.ModelId, "D"), message.CreatorAccount, message.TokenSymbol,
            message.OccurredAt.ToUniversalTime(), context.CancellationToken);
}
