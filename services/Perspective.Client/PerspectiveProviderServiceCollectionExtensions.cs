using Grpc.Net.ClientFactory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Perspective.Client;
using Perspective.Contracts.Gateway.V1;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="PerspectiveProviderClient"/> with a gRPC client from the client factory.</summary>
public static class PerspectiveProviderServiceCollectionExtensions
{
    /// <summary>The name of the factory's gRPC client, so it never collides with a UsageGatewayServiceClient of the app's own.</summary>
    public const string GrpcClientName = "Perspective.Client";

    /// <summary>
    /// Adds <see cref="PerspectiveProviderClient"/> (a singleton) configured by <paramref name="configure"/>. The options
    /// are ordinary options (<c>services.AddOptions&lt;PerspectiveProviderOptions&gt;().Configure&lt;TDep&gt;(…)</c> to take
    /// a token source from the container). Returns the gRPC client's builder for handlers and the primary handler;
    /// <see cref="PerspectiveProviderOptions.HttpHandler"/> is not used here.
    /// </summary>
    public static IHttpClientBuilder AddPerspectiveProvider(this IServiceCollection services, Action<PerspectiveProviderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PerspectiveProviderOptions>().Configure(configure);
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<PerspectiveProviderOptions>>().Value;
            options.Validate();
            var gateway = provider.GetRequiredService<GrpcClientFactory>().CreateClient<UsageGatewayService.UsageGatewayServiceClient>(GrpcClientName);
            return new PerspectiveProviderClient(gateway, options);
        });
        return services
            .AddGrpcClient<UsageGatewayService.UsageGatewayServiceClient>(GrpcClientName, (provider, grpc) =>
                grpc.Address = provider.GetRequiredService<IOptions<PerspectiveProviderOptions>>().Value.Endpoint)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            });
    }
}
