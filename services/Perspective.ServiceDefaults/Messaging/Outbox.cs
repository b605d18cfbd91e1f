using System.Text.Json;
using Dapper;
using Npgsql;
using Perspective.Contracts.Events;

namespace Perspective.ServiceDefaults.Messaging;

/// <summary>Writes events into the outbox table inside the caller's transaction, so they commit with the change that causes them.</summary>
public interface IOutbox
{
    Task EnqueueAsync(NpgsqlTransaction transaction, IIntegrationEvent message, CancellationToken cancellationToken = default);
}

internal sealed class Outbox(TimeProvider time) : IOutbox
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task EnqueueAsync(NpgsqlTransaction transaction, IIntegrationEvent message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction.Connection, nameof(transaction));
        var type = message.GetType();
        return transaction.Connection.ExecuteAsync(new CommandDefinition(
            "insert into outbox_messages (id, message_type, payload, created_at) values (@Id, @Type, @Payload::jsonb, @CreatedAt)",
            new
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                Type = EventTypes.NameOf(type),
                Payload = JsonSerializer.Serialize(message, type, Json),
                CreatedAt = time.GetUtcNow(),
            },
            transaction,
            cancellationToken: cancellationToken));
    }
}
