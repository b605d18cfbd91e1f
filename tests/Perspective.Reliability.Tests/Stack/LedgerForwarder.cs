using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Perspective.Reliability.Tests.Stack;

/// <summary>
/// The one Ledger address the other services are configured with: a TCP forwarder that sends each new connection to the
/// Ledger replica that is ready (holds the writer lock), as a readiness-aware Kubernetes Service or L4 load balancer
/// does. It polls readiness every 100 ms; when the replica it forwards to dies or another replica becomes ready (took
/// the writer lock, e.g. after a database restart fenced the first), it cuts the old replica's connections, so callers
/// reconnect to the writer instead of queueing on a standby.
/// </summary>
/// <remarks>
/// Why not client-side balancing: the services' client factory takes one address per service (<c>Services:Ledger</c>),
/// and grpc-dotnet's balancing would also send calls to the standby, which is live but not ready (its writes wait in
/// its queue until it takes over). A forwarder keeps the services' configuration as in production (one address) and
/// adds nothing to their code; a cut connection reaches the caller as UNAVAILABLE, which its client factory retries.
/// </remarks>
public sealed class LedgerForwarder : IAsyncDisposable
{
    private readonly IReadOnlyList<ServiceProcess> replicas;
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<int, (ServiceProcess Target, TcpClient Inbound, TcpClient Outbound)> links = new();
    private readonly Task acceptLoop;
    private readonly Task pollLoop;
    private volatile ServiceProcess? ready;
    private int nextLink;

    public LedgerForwarder(IReadOnlyList<ServiceProcess> replicas)
    {
        this.replicas = replicas;
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        pollLoop = Task.Run(PollAsync);
        acceptLoop = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string Address => $"http://127.0.0.1:{Port}";

    /// <summary>The replica connections go to now (null while none is alive and ready).</summary>
    public ServiceProcess? Ready => ready;

    private async Task PollAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            ServiceProcess? readyNow = null;
            foreach (var replica in replicas)
            {
                if (replica.IsRunning && await replica.IsReadyAsync(stop.Token).ConfigureAwait(false))
                {
                    readyNow = replica;
                    break;
                }
            }
            // Sticky: a replica that is merely not ready (a PostgreSQL restart makes both unready for a moment: readiness
            // includes the database, no longer the broker) keeps its connections until it dies or another replica
            // becomes ready (took the lock).
            var current = ready;
            var target = readyNow ?? (current is { IsRunning: true } ? current : null);
            ready = target;
            foreach (var (id, link) in links)
            {
                if (!ReferenceEquals(link.Target, target))
                {
                    Close(id);
                }
            }
            try
            {
                await Task.Delay(100, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => LinkAsync(inbound));
        }
    }

    private async Task LinkAsync(TcpClient inbound)
    {
        // Wait a little for a writer (a takeover in progress); if none comes, the caller sees the connection refused.
        var deadline = DateTime.UtcNow.AddSeconds(3);
        var target = ready;
        while (target is null && DateTime.UtcNow < deadline && !stop.IsCancellationRequested)
        {
            await Task.Delay(50).ConfigureAwait(false);
            target = ready;
        }
        if (target is null)
        {
            inbound.Dispose();
            return;
        }
        var outbound = new TcpClient { NoDelay = true };
        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, target.Port, stop.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            outbound.Dispose();
            inbound.Dispose();
            return;
        }
        inbound.NoDelay = true;
        var id = Interlocked.Increment(ref nextLink);
        links[id] = (target, inbound, outbound);
        var up = PumpAsync(inbound.GetStream(), outbound.GetStream());
        var down = PumpAsync(outbound.GetStream(), inbound.GetStream());
        await Task.WhenAny(up, down).ConfigureAwait(false);
        Close(id);
    }

    private static async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // the other side went away: the link closes
        }
    }

    private void Close(int id)
    {
        if (links.TryRemove(id, out var link))
        {
            link.Inbound.Dispose();
            link.Outbound.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        foreach (var id in links.Keys)
        {
            Close(id);
        }
        await Task.WhenAll(acceptLoop, pollLoop).ConfigureAwait(false);
        stop.Dispose();
    }
}
