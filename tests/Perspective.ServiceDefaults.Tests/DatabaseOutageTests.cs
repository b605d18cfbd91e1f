using Dapper;
using Grpc.Core;
using Npgsql;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Tests.Probe;
using Perspective.Testing;

namespace Perspective.ServiceDefaults.Tests;

/// <summary>
/// The database down, found by the faults-under-load run (docs/RELIABILITY.md): a call answers UNAVAILABLE ("retry with
/// the same request id"), not INTERNAL; an event delivered meanwhile waits for the database instead of going to the error
/// queue after the 18 s of ordinary retries (the treasury lost UsagePaid events that way). The probe runs on a
/// PostgreSQL of its own, so stopping it disturbs no other test.
/// </summary>
public sealed class DatabaseOutageTests(TestInfrastructure infrastructure)
{
    [Fact]
    public async Task A_call_while_the_database_is_down_is_unavailable_not_internal()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = TestTokens.Bearer("alice", Roles.User);
        await using var postgres = await PostgresServer.StartAsync();
        await using var probe = await ServiceUnderTest.StartAsync(ProbeHost.Build, infrastructure, await postgres.CreateDatabaseAsync("probe"));
        var client = new ProbeService.ProbeServiceClient(probe.Channel);
        await client.RecordNoteAsync(new RecordNoteRequest { NoteId = "n-before", Text = "the database is up" }, user, cancellationToken: ct);

        await postgres.StopAsync();

        // Twice: the first call may find a pooled connection the shutdown closed, the second finds nothing listening.
        foreach (var note in new[] { "n-during-1", "n-during-2" })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() =>
                client.RecordNoteAsync(new RecordNoteRequest { NoteId = note, Text = "the database is down" }, user, cancellationToken: ct).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Matches("^the database did not answer; retry with the same request id \\(trace id [0-9a-f]{32}\\)$", error.Status.Detail);
        }
    }

    [Fact]
    public async Task An_event_delivered_while_the_database_is_down_is_applied_once_it_is_back()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = await PostgresServer.StartAsync();
        var broker = await infrastructure.RabbitMq.CreateVirtualHostAsync("probe_db_outage");
        var database = await postgres.CreateDatabaseAsync("probe");
        await using var probe = await ServiceUnderTest.StartAsync(ProbeHost.Build, infrastructure, database, broker: broker);
        await using var bus = await TestBus.StartAsync(broker);

        await postgres.StopAsync();
        await bus.PublishAsync(new NoteRecorded("n-db-outage", "delivered while the database is down", DateTimeOffset.UtcNow));
        // The outage itself, on the real clock (the broker's retries run on it): longer than the ordinary retries (18 s).
        await Task.Delay(TimeSpan.FromSeconds(25), ct);
        await postgres.StartAgainAsync();

        await using var db = new NpgsqlConnection(database);
        await Eventually.WaitAsync(() => db.ExecuteScalarAsync<int>("select count(*) from note_effects where note_id = 'n-db-outage'"),
            n => n == 1, TimeSpan.FromSeconds(60), "the effect of the event delivered during the outage");
    }
}
