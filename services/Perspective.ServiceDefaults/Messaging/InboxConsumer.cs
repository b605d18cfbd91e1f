using Dapper;
using MassTransit;
using Npgsql;

namespace Perspective.ServiceDefaults.Messaging;

/// <summary>
/// Base class for every consumer: records the message id in the inbox in the same transaction as the effect,
/// so a redelivered message (at-least-once delivery) has no second effect. Two copies consumed at once
/// serialise on the inbox row; the second sees it and does nothing.
/// </summary>
public abstract class InboxConsumer<TMessage>(NpgsqlDataSource dataSource, TimeProvider time) : IConsumer<TMessage>
    where TMessage : class
{
    /// <summary>Stable name of this consumer in the inbox; two consumers of one message each apply it once.</summary>
    protected virtual string ConsumerName => GetType().FullName!;

    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var messageId = context.MessageId
            ?? throw new InvalidOperationException($"{typeof(TMessage).Name} arrived without a message id; it cannot be deduplicated.");
        var cancellationToken = context.CancellationToken;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var firstTime = await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into inbox_messages (message_id, consumer, received_at)
            values (@MessageId, @Consumer, @ReceivedAt)
            on conflict do nothing
            """,
            new { MessageId = messageId, Consumer = ConsumerName, ReceivedAt = time.GetUtcNow() },
            transaction, cancellationToken: cancellationToken)) == 1;
        if (firstTime)
        {
            await HandleAsync(context.Message, transaction, context);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Applies the message's effect inside <paramref name="transaction"/> (use the outbox with it to publish in turn).</summary>
    protected abstract Task HandleAsync(TMessage message, NpgsqlTransaction transaction, ConsumeContext<TMessage> context);
}
