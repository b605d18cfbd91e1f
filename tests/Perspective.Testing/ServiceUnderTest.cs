using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Perspective.Testing;

/// <summary>How a service builds itself: each service's <c>…Host.Build</c>.</summary>
public delegate WebApplication BuildService(string[] args, Action<WebApplicationBuilder>? configure);

/// <summary>
/// One service running in-process on Kestrel (a free loopback port, real HTTP/2), against a database of the test
/// infrastructure and its RabbitMQ, reached through a real gRPC channel.
/// </summary>
public sealed class ServiceUnderTest : IAsyncDisposable
{
    private ServiceUnderTest(WebApplication app, string address, string databaseConnectionString)
    {
        App = app;
        Address = address;
        DatabaseConnectionString = databaseConnectionString;
        Channel = GrpcChannel.ForAddress(address);
    }

    public WebApplication App { get; }

    public string Address { get; }

    public string DatabaseConnectionString { get; }

    public GrpcChannel Channel { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>
    /// Builds and starts the service. <paramref name="broker"/> is the AMQP URI of a virtual host that the services of one
    /// test share (<see cref="RabbitMqServer.CreateVirtualHostAsync"/>); without it the service gets a virtual host of its own.
    /// <paramref name="configure"/> runs after the defaults, so it can replace services (a fake clock).
    /// </summary>
    public static async Task<ServiceUnderTest> StartAsync(
        BuildService build,
        TestInfrastructure infrastructure,
        string databaseConnectionString,
        Action<WebApplicationBuilder>? configure = null,
        IDictionary<string, string?>? settings = null,
        string? broker = null,
        bool waitUntilReady = true)
    {
        broker ??= await infrastructure.RabbitMq.CreateVirtualHostAsync("test");
        var app = build(["--environment", "Testing"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
                ["ConnectionStrings:Database"] = databaseConnectionString,
                ["ConnectionStrings:RabbitMq"] = broker,
                ["Auth:SigningKey"] = TestTokens.SigningKey,
                ["Outbox:PollIntervalMs"] = "50",
                ["Outbox:PublishTimeoutMs"] = "2000",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:MassTransit"] = Environment.GetEnvironmentVariable("PERSPECTIVE_TEST_MASSTRANSIT_LOG") ?? "Warning",
            });
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var service = new ServiceUnderTest(app, address, databaseConnectionString);
        if (!waitUntilReady)
        {
            return service;
        }
        // Ready means migrated, database reachable, bus connected once (queues bound), and "broker" SERVING means the
        // bus is connected now: only then can a test rely on events reaching this service's consumers. Readiness alone
        // no longer says so, as a broker outage after the first connection leaves it SERVING.
        var health = new Health.HealthClient(service.Channel);
        foreach (var (name, what) in new[] { ("", "readiness"), ("broker", "the broker health service") })
        {
            await Eventually.WaitAsync(
                async () => (await health.CheckAsync(new HealthCheckRequest { Service = name })).Status,
                status => status == HealthCheckResponse.Types.ServingStatus.Serving,
                TimeSpan.FromSeconds(60), $"{what} of the service under test");
        }
        return service;
    }

    private bool disposed;

    /// <summary>Stops the service (a test may stop it early to restart on the same database; a second call does nothing).</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
