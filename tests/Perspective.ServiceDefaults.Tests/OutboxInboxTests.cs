using Dapper;
using Grpc.Core;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Tests.Probe;
using Perspective.Testing;

namespace Perspective.ServiceDefaults.Tests;

public sealed class OutboxInboxTests(TestInfrastructure infrastructure) : ProbeTestBase(infrastructure)
{
    private readonly DeliveryCounter deliveries = new();

    /// <summary>Counts every consumption, effective or not, from the first message on.</summary>
    protected override void Configure(WebApplicationBuilder builder) => builder.Services.AddConsumeObserver(_ => deliveries);

    private static readonly Metadata User = TestTokens.Bearer("alice", Roles.User);
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_committed_change_publishes_its_event_and_the_consumer_applies_it_once()
    {
        await Client.RecordNoteAsync(new RecordNoteRequest { NoteId = "n-1", Text = "hello" }, User,
            cancellationToken: TestContext.Current.CancellationToken);

        var effects = await Eventually.WaitAsync(() => EffectsAsync("n-1"), n => n > 0, Delivery, "the NoteRecorded effect");
        Assert.Equal(1, effects);
        await using var db = new NpgsqlConnection(Probe.DatabaseConnectionString);
        // The dispatcher stamps the row after the broker confirmed it, which can be after the consumer already applied it.
        await Eventually.WaitAsync(() => db.ExecuteScalarAsync<int>("select count(*) from outbox_messages where sent_at is null"), n => n == 0, Delivery,
            "the outbox row stamped sent");
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from outbox_messages where sent_at is not null"));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from inbox_messages"));
    }

    [Fact]
    public async Task A_rolled_back_change_leaves_no_event()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.RecordNoteAsync(new RecordNoteRequest { NoteId = "n-2", Text = "never", RollBack = true }, User,
                cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);

        await using var db = new NpgsqlConnection(Probe.DatabaseConnectionString);
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("select count(*) from notes where note_id = 'n-2'"));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("select count(*) from outbox_messages"));
        // A later committed note is delivered; the rolled-back one still has no effect.
        await Client.RecordNoteAsync(new RecordNoteRequest { NoteId = "n-3", Text = "later" }, User,
            cancellationToken: TestContext.Current.CancellationToken);
        await Eventually.WaitAsync(() => EffectsAsync("n-3"), n => n > 0, Delivery, "the later note's effect");
        Assert.Equal(0, await EffectsAsync("n-2"));
    }

    [Fact]
    public async Task The_same_message_delivered_twice_has_one_effect()
    {
        var bus = Probe.Services.GetRequiredService<IBus>();
        var messageId = Guid.NewGuid();
        var message = new NoteRecorded("n-dup", "twice", DateTimeOffset.UtcNow);

        await bus.Publish(message, context => context.MessageId = messageId, TestContext.Current.CancellationToken);
        await bus.Publish(message, context => context.MessageId = messageId, TestContext.Current.CancellationToken);

        await Eventually.WaitAsync(() => Task.FromResult(deliveries.Count), n => n >= 2, Delivery, "two deliveries");
        Assert.Equal(1, await EffectsAsync("n-dup"));
    }

    [Fact]
    public async Task A_row_that_can_never_be_published_is_parked_and_does_not_hold_back_later_events()
    {
        await using (var db = new NpgsqlConnection(Probe.DatabaseConnectionString))
        {
            await db.ExecuteAsync(
                """
                insert into outbox_messages (id, message_type, payload, created_at)
                values (gen_random_uuid(), 'Perspective.Contracts.Events.Gone.V1.Renamed', '{}'::jsonb, now())
                """);
        }

        await Client.RecordNoteAsync(new RecordNoteRequest { NoteId = "n-after-poison", Text = "still delivered" }, User,
            cancellationToken: TestContext.Current.CancellationToken);

        await Eventually.WaitAsync(() => EffectsAsync("n-after-poison"), n => n > 0, Delivery, "the event queued behind the bad row");
        // The dispatcher parks the row in the transaction that stamps its batch, which may commit just after the later
        // event was already consumed: wait for it rather than read once.
        var parked = await Eventually.WaitAsync(async () =>
        {
            await using var check = new NpgsqlConnection(Probe.DatabaseConnectionString);
            return await check.QuerySingleAsync<(DateTime? ParkedAt, string LastError)>(
                "select parked_at, last_error from outbox_messages where message_type like '%Gone%'");
        }, row => row.ParkedAt is not null, Delivery, "the bad row parked");
        Assert.Contains("unknown event type", parked.LastError, StringComparison.Ordinal);
    }

    private async Task<int> EffectsAsync(string noteId)
    {
        await using var db = new NpgsqlConnection(Probe.DatabaseConnectionString);
        return await db.ExecuteScalarAsync<int>("select count(*) from note_effects where note_id = @noteId", new { noteId });
    }

    /// <summary>Counts finished consumptions of NoteRecorded, whether or not they had an effect.</summary>
    private sealed class DeliveryCounter : IConsumeObserver
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (context.Message is NoteRecorded)
            {
                Interlocked.Increment(ref count);
            }
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
