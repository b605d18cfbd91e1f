using System.Collections.Concurrent;
using MassTransit;

namespace Perspective.Testing;

/// <summary>
/// A MassTransit bus of the test itself on a test's virtual host: it publishes events as another service would
/// (a governance decision the service under test must act on) and records what the services publish.
/// </summary>
public sealed class TestBus : IAsyncDisposable
{
    private readonly IBusControl bus;

    private TestBus(IBusControl bus) => this.bus = bus;

    /// <summary>Starts a bus on <paramref name="broker"/>, an amqp:// URI such as <see cref="RabbitMqServer.CreateVirtualHostAsync"/> returns.</summary>
    public static async Task<TestBus> StartAsync(string broker)
    {
        var uri = new Uri(broker);
        var userInfo = uri.UserInfo.Split(':', 2);
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
            rabbit.Host(uri.Host, (ushort)uri.Port, Uri.UnescapeDataString(uri.AbsolutePath.Trim('/')), host =>
            {
                host.Username(Uri.UnescapeDataString(userInfo[0]));
                host.Password(userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "");
            }));
        await bus.StartAsync(TimeSpan.FromSeconds(30));
        return new TestBus(bus);
    }

    public Task PublishAsync<T>(T message) where T : class => bus.Publish(message);

    /// <summary>Records every <typeparamref name="T"/> published from now on (a queue of its own, deleted with the bus).</summary>
    public async Task<EventLog<T>> ObserveAsync<T>() where T : class
    {
        var log = new EventLog<T>();
        var handle = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), DefaultEndpointNameFormatter.Instance,
            endpoint => endpoint.Handler<T>(context =>
            {
                log.Add(context.Message);
                return Task.CompletedTask;
            }));
        await handle.Ready;
        return log;
    }

    public async ValueTask DisposeAsync() => await bus.StopAsync(TimeSpan.FromSeconds(10));
}

/// <summary>The events of one type a <see cref="TestBus"/> has seen, in arrival order.</summary>
public sealed class EventLog<T>
{
    private readonly ConcurrentQueue<T> received = new();

    public IReadOnlyList<T> All => [.. received];

    internal void Add(T message) => received.Enqueue(message);

    /// <summary>The first event that matches, waiting for it up to <paramref name="timeout"/> (default 15 s).</summary>
    public async Task<T> WaitForAsync(Func<T, bool> match, TimeSpan? timeout = null, string? what = null) =>
        (await Eventually.WaitAsync(
            () => Task.FromResult(received.FirstOrDefault(match)),
            found => found is not null,
            timeout ?? TimeSpan.FromSeconds(15),
            what ?? $"a {typeof(T).Name} event"))!;
}
