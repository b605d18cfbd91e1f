using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Perspective.ServiceDefaults.Auth;

/// <summary>
/// Refuses to start a service that maps an RPC the <see cref="AccessTable"/> has no rule for: such an RPC would answer
/// PERMISSION_DENIED to everyone, which is a bug to find at start, not in production.
/// </summary>
internal sealed class AccessTableCheck(EndpointDataSource endpoints, AccessTable table) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every hosted service has started: only then has the web host built its pipeline and its endpoints.</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var missing = Missing(endpoints, table);
        return missing.Count == 0
            ? Task.CompletedTask
            : throw new InvalidOperationException($"the access table has no rule for {string.Join(", ", missing)}: add one to AccessTable");
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The full names of the gRPC methods mapped in <paramref name="endpoints"/> that <paramref name="table"/> lacks.</summary>
    public static List<string> Missing(EndpointDataSource endpoints, AccessTable table) =>
        endpoints.Endpoints
            .Select(endpoint => endpoint.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method.FullName)
            .OfType<string>()
            .Where(method => table.Find(method) is null)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
}
