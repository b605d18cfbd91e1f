namespace Perspective.Client.Tests;

/// <summary>What the network does to the next answers.</summary>
public enum Fault
{
    /// <summary>Deliver it.</summary>
    None,

    /// <summary>Let the gateway finish the call, then lose its answer as a broken connection would (the client sees UNAVAILABLE).</summary>
    LoseAnswer,

    /// <summary>Let the gateway finish the call, then withhold its answer until the client gives up (its deadline).</summary>
    HoldAnswer,

    /// <summary>Never forward the request; hang until the client gives up.</summary>
    Hang,
}

/// <summary>The HTTP handler between the client under test and the gateway: counts requests and injects faults, one per queued entry.</summary>
public sealed class FaultyNetwork() : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly Queue<Fault> faults = new();
    private readonly Lock gate = new();
    private int requests;

    /// <summary>Requests that reached this handler (attempts of the client).</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>The bearer tokens the attempts carried, in order.</summary>
    public List<string> Authorizations { get; } = [];

    /// <summary>The gRPC status (<c>grpc-status</c> trailer, "0" = OK) of each answer the gateway gave and the client never got.</summary>
    public List<string> Withheld { get; } = [];

    /// <summary>The next requests meet these faults, in order; after them, none.</summary>
    public void Next(params Fault[] next)
    {
        lock (gate)
        {
            foreach (var fault in next)
            {
                faults.Enqueue(fault);
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref requests);
        Fault fault;
        lock (gate)
        {
            Authorizations.Add(request.Headers.Authorization?.ToString() ?? "");
            fault = faults.Count > 0 ? faults.Dequeue() : Fault.None;
        }
        if (fault == Fault.Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        if (fault == Fault.None)
        {
            return await base.SendAsync(request, cancellationToken);
        }
        var response = await base.SendAsync(request, TestContext.Current.CancellationToken);
        // Read the whole answer (message and trailers): the gateway has finished the call. Not bound to the call's own
        // cancellation: a gateway slower than the client's deadline must still have its answer withheld, not cut off.
        await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        lock (gate)
        {
            Withheld.Add(response.TrailingHeaders.TryGetValues("grpc-status", out var status) ? string.Join(",", status) : "none");
        }
        response.Dispose();
        if (fault == Fault.HoldAnswer)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        // What a broken connection looks like to HttpClient: an IOException inside (gRPC reports it as UNAVAILABLE).
        throw new HttpRequestException("the connection broke before the answer arrived", new IOException("connection reset (injected by the test)"));
    }
}
