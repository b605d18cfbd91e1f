using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Contracts.Events;

namespace Perspective.ServiceDefaults.Messaging;

/// <summary>
/// Publishes outbox rows to RabbitMQ, a batch at a time in position order, and stamps them sent. Each row's id becomes the message id,
/// so a row published twice (a crash between publish and stamp) is dropped by the consumers' inbox.
/// Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so replicas share the work without sending a row twice at once.
/// While the broker or the database is down it backs off and retries; nothing is lost because nothing is deleted unsent.
/// </summary>
internal sealed partial class OutboxDispatcher(
    NpgsqlDataSource dataSource,
    IBus bus,
    EventTypes eventTypes,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private sealed record Row(long Position, Guid Id, string MessageType, string Payload);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            int published;
            try
            {
                published = await DispatchBatchAsync(settings, stoppingToken);
                failures = 0;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                LogFailed(logger, failures, ex.Message);
                published = 0;
            }

            if (published < settings.BatchSize)
            {
                // Poll pacing is infrastructure time, not domain time: it stays on the real clock even when tests fake the TimeProvider.
                var delayMs = failures == 0 ? settings.PollIntervalMs : Math.Min(settings.MaxBackoffMs, settings.PollIntervalMs << Math.Min(failures, 10));
                try
                {
                    await Task.Delay(delayMs, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Publishes one batch; returns how many rows it stamped sent.</summary>
    private async Task<int> DispatchBatchAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition(
            """
            select position, id, message_type, payload::text as payload
            from outbox_messages
            where sent_at is null and parked_at is null
            order by position
            limit @BatchSize
            for update skip locked
            """, new { settings.BatchSize }, transaction, cancellationToken: cancellationToken))).ToList();

        var ready = new List<(Row Row, Type Type, object Message)>(rows.Count);
        foreach (var row in rows)
        {
            try
            {
                var type = eventTypes.Resolve(row.MessageType);
                ready.Add((row, type, JsonSerializer.Deserialize(row.Payload, type, Outbox.Json) ?? throw new JsonException("the payload is null")));
            }
            catch (Exception ex) when (ex is InvalidOperationException or JsonException or NotSupportedException)
            {
                LogParked(logger, row.Id, row.MessageType, ex.Message);
                await connection.ExecuteAsync(new CommandDefinition(
                    "update outbox_messages set parked_at = @ParkedAt, attempts = attempts + 1, last_error = @Error where id = @Id",
                    new { row.Id, ParkedAt = time.GetUtcNow(), Error = ex.Message }, transaction, cancellationToken: cancellationToken));
            }
        }

        // Rows of different entities are published at once and their confirms awaited together (one publish at a time,
        // each waiting for its confirm, could not keep up with the payment path); rows of one entity (a model's status
        // changes) go one after the other in position order, so they arrive in the order they were made.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.PublishTimeoutMs);
        var perEntity = ready.GroupBy(item => item.Message is IIntegrationEvent e ? e.EntityId : item.Row.Id.ToString(), StringComparer.Ordinal);
        var outcomes = (await Task.WhenAll(perEntity.Select(async rows =>
        {
            var results = new List<(Guid Id, Exception? Error)>();
            foreach (var item in rows)
            {
                try
                {
                    await bus.Publish(item.Message, item.Type, context => context.MessageId = item.Row.Id, timeout.Token);
                    results.Add((item.Row.Id, null));
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // Later rows of this entity wait for the next pass, to stay behind it.
                    results.Add((item.Row.Id, ex));
                    break;
                }
            }
            return results;
        }))).SelectMany(r => r).ToList();
        var sent = outcomes.Where(o => o.Error is null).Select(o => o.Id).ToList();
        var failed = outcomes.Where(o => o.Error is not null).ToList();
        foreach (var (id, error) in failed)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "update outbox_messages set attempts = attempts + 1, last_error = @Error where id = @Id",
                new { Id = id, Error = error!.Message }, transaction, cancellationToken: cancellationToken));
        }
        // Back off only when nothing went out (the broker is down): one row that keeps failing must not slow the others.
        var failure = failed.Count > 0 && sent.Count == 0 ? failed[0].Error : null;
        if (failed.Count > 0 && sent.Count > 0)
        {
            LogPartial(logger, failed.Count, sent.Count, failed[0].Error!.Message);
        }
        if (sent.Count > 0)
        {
            // One statement stamps the batch: a row per statement cost more than publishing it.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                update outbox_messages o set sent_at = @SentAt, attempts = o.attempts + 1, last_error = null
                from unnest(@Ids::uuid[]) as k(id) where o.id = k.id
                """,
                new { Ids = sent.ToArray(), SentAt = time.GetUtcNow() }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        if (failure is not null)
        {
            throw new InvalidOperationException($"publishing outbox row failed: {failure.Message}", failure);
        }
        return sent.Count;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox row {Id} ({MessageType}) can never be published and is parked: {Reason}")]
    private static partial void LogParked(ILogger logger, Guid id, string messageType, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox: {Failed} rows failed to publish and are retried on a later pass; {Sent} went out: {Reason}")]
    private static partial void LogPartial(ILogger logger, int failed, int sent, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox dispatch failed (attempt {Failures}), retrying: {Reason}")]
    private static partial void LogFailed(ILogger logger, int failures, string reason);
}
