using System.Text.Json;
using Dapper;
using Npgsql;
using Perspective.Contracts.Events;

namespace Perspective.ServiceDefaults.Messaging;

/// <summary>Writes events into the outbox table inside the caller's transaction, so they commit with the change that causes them.</summary>
public interface IOutbox
{
    Task EnqueueAsync(NpgsqlTransaction transaction, IIntegrationEvent message, CancellationToken cancellationToken = default);

    /// <summary>Writes many events in one statement, in list order (the order they are published in).</summary>
    Task EnqueueAsync(NpgsqlTransaction transaction, IReadOnlyList<IIntegrationEvent> messages, CancellationToken cancellationToken = default);

    /// <summary>
    /// The statement of <see cref="EnqueueAsync(NpgsqlTransaction, IReadOnlyList{IIntegrationEvent}, CancellationToken)"/> as a
    /// command for the caller's <see cref="NpgsqlBatch"/> (positional parameters), so a hot path writes its events in the
    /// same round trip as its change.
    /// </summary>
    NpgsqlBatchCommand EnqueueCommand(IReadOnlyList<IIntegrationEvent> messages);
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

    public async Task EnqueueAsync(NpgsqlTransaction transaction, IReadOnlyList<IIntegrationEvent> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction.Connection, nameof(transaction));
        if (messages.Count == 0)
        {
            return;
        }
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction) { BatchCommands = { EnqueueCommand(messages) } };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public NpgsqlBatchCommand EnqueueCommand(IReadOnlyList<IIntegrationEvent> messages)
    {
        var now = time.GetUtcNow();
        // with ordinality keeps the list order in the identity positions the dispatcher publishes by.
        var command = new NpgsqlBatchCommand(
            """
            insert into outbox_messages (id, message_type, payload, created_at)
            select m.id, m.message_type, m.payload::jsonb, $4
            from unnest($1::uuid[], $2::text[], $3::text[]) with ordinality as m(id, message_type, payload, n)
            order by m.n
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = messages.Select(_ => Guid.CreateVersion7(now)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = messages.Select(m => EventTypes.NameOf(m.GetType())).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = messages.Select(m => JsonSerializer.Serialize(m, m.GetType(), Json)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        return command;
    }
}
