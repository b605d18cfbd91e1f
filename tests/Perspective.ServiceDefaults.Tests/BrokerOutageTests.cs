using Dapper;
using Grpc.Health.V1;
using Npgsql;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Tests.Probe;
using Perspective.Testing;

namespace Perspective.ServiceDefaults.Tests;

/// <summary>Uses a broker of its own, because it stops it: the assembly's shared broker keeps serving the other tests.</summary>
public sealed class BrokerOutageTests(TestInfrastructure infrastructure) : IAsyncLifetime
{
    private RabbitMqServer? broker;
    private ServiceUnderTest? probe;
    private string database = "";

    public async ValueTask InitializeAsync()
    {
        broker = await RabbitMqServer.StartAsync();
        database = await infrastructure.CreateDatabaseAsync("probe_outage");
        probe = await ServiceUnderTest.StartAsync(ProbeHost.Build, infrastructure, database, broker: broker.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (probe is not null)
        {
            await probe.DisposeAsync();
        }
        if (broker is not null)
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_broker_outage_leaves_the_service_ready_and_writing_and_the_event_arrives_once_after_it_returns()
    {
        var client = new ProbeService.ProbeServiceClient(probe!.Channel);
        var health = new Grpc.Health.V1.Health.HealthClient(probe.Channel);
        var user = TestTokens.Bearer("alice", Roles.User);
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, "broker", ct));

        await broker!.StopNodeAsync();
        await Eventually.WaitAsync(() => StatusAsync(health, "broker", ct),
            s => s == HealthCheckResponse.Types.ServingStatus.NotServing, TimeSpan.FromSeconds(30), "the broker health service reporting it down");
        // Readiness is what a request needs: the database, not the broker (the outbox holds the event).
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, "", ct));
        await client.RecordNoteAsync(new RecordNoteRequest { NoteId = "n-outage", Text = "during the outage" }, user, cancellationToken: ct);

        await using var db = new NpgsqlConnection(probe.DatabaseConnectionString);
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from outbox_messages where sent_at is null", ct));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, "", ct));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await StatusAsync(health, "broker", ct));

        await broker.StartNodeAgainAsync();

        await Eventually.WaitAsync(() => db.ExecuteScalarAsync<int>("select count(*) from note_effects where note_id = 'n-outage'"),
            n => n > 0, TimeSpan.FromSeconds(90), "delivery after the broker returned");
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from note_effects where note_id = 'n-outage'"));
        // The row is stamped after the broker's confirm, which can come after the consumer applied the event.
        await Eventually.WaitAsync(() => db.ExecuteScalarAsync<int>("select count(*) from outbox_messages where sent_at is null"), n => n == 0,
            TimeSpan.FromSeconds(30), "the outbox row stamped sent");
        await Eventually.WaitAsync(() => StatusAsync(health, "broker", ct),
            s => s == HealthCheckResponse.Types.ServingStatus.Serving, TimeSpan.FromSeconds(60), "the broker health service after the outage");
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, "", ct));
    }

    [Fact]
    public async Task A_process_started_while_the_broker_is_down_is_not_ready_until_its_bus_has_connected()
    {
        var ct = TestContext.Current.CancellationToken;
        await probe!.DisposeAsync();
        probe = null;
        await broker!.StopNodeAsync();

        probe = await ServiceUnderTest.StartAsync(ProbeHost.Build, infrastructure, database, broker: broker.ConnectionString, waitUntilReady: false);
        var health = new Grpc.Health.V1.Health.HealthClient(probe.Channel);
        await Eventually.WaitAsync(() => StatusAsync(health, "liveness", ct),
            s => s == HealthCheckResponse.Types.ServingStatus.Serving, TimeSpan.FromSeconds(30), "liveness of the new process");
        // Its queues are not declared yet: taking traffic now could publish events nobody's queue receives.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await StatusAsync(health, "", ct));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await StatusAsync(health, "broker", ct));

        await broker.StartNodeAgainAsync();

        await Eventually.WaitAsync(() => StatusAsync(health, "", ct),
            s => s == HealthCheckResponse.Types.ServingStatus.Serving, TimeSpan.FromSeconds(90), "readiness once the bus connected");
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, "broker", ct));
    }

    [Fact]
    public async Task An_event_left_unsent_by_a_stopped_process_is_sent_once_by_the_next_start()
    {
        var ct = TestContext.Current.CancellationToken;
        await broker!.StopNodeAsync();
        await new ProbeService.ProbeServiceClient(probe!.Channel).RecordNoteAsync(
            new RecordNoteRequest { NoteId = "n-restart", Text = "committed, never published" }, TestTokens.Bearer("alice", Roles.User),
            cancellationToken: ct);
        await probe.DisposeAsync();
        probe = null;

        await using var db = new NpgsqlConnection(database);
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from outbox_messages where sent_at is null", ct));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("select count(*) from note_effects", ct));

        await broker.StartNodeAgainAsync();
        probe = await ServiceUnderTest.StartAsync(ProbeHost.Build, infrastructure, database, broker: broker.ConnectionString);

        await Eventually.WaitAsync(() => db.ExecuteScalarAsync<int>("select count(*) from note_effects where note_id = 'n-restart'"),
            n => n > 0, TimeSpan.FromSeconds(60), "delivery by the restarted process");
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from note_effects where note_id = 'n-restart'", ct));
        // Stamped after the broker's confirm, which can come after the consumer applied the event.
        await Eventually.WaitAsync(() => db.ExecuteScalarAsync<int>("select count(*) from outbox_messages where sent_at is null"), n => n == 0,
            TimeSpan.FromSeconds(30), "the outbox row stamped sent");
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> StatusAsync(Grpc.Health.V1.Health.HealthClient health, string service, CancellationToken ct) =>
        (await health.CheckAsync(new HealthCheckRequest { Service = service }, cancellationToken: ct)).Status;
}
