using Grpc.Core;
using Grpc.Net.Client.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Perspective.ServiceDefaults.Clients;

/// <summary>
/// Typed gRPC clients for the other Perspective services. The address comes from configuration section
/// <c>Services</c> (<c>Services:Ledger</c> = <c>http://ledger:8080</c>); every call carries this service's own
/// <c>service</c>-role token, a deadline (<see cref="DefaultDeadline"/> unless the caller sets one) and is retried on
/// <c>UNAVAILABLE</c>. Retrying is safe because every Perspective RPC is idempotent: reads by nature, changes by their
/// request id.
/// </summary>
public static class ServiceClientExtensions
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(10);

    public static IHttpClientBuilder AddServiceClient<TClient>(this WebApplicationBuilder builder, string service) where TClient : class
    {
        builder.Services.TryAddSingleton<ServiceTokenSource>();
        return builder.Services
            .AddGrpcClient<TClient>((provider, options) =>
            {
                var address = provider.GetRequiredService<IConfiguration>()[$"Services:{service}"];
                if (string.IsNullOrWhiteSpace(address))
                {
                    throw new InvalidOperationException($"Services:{service} is not set (the address of the {service} service, for example http://127.0.0.1:5101).");
                }
                options.Address = new Uri(address);
            })
            .ConfigureChannel(channel =>
            {
                // Cleartext HTTP/2 inside the cluster (TLS ends at the edge), so the token must be allowed on it.
                channel.UnsafeUseInsecureChannelCallCredentials = true;
                channel.MaxReceiveMessageSize = ServiceDefaultsExtensions.MaxMessageBytes;
                channel.MaxSendMessageSize = ServiceDefaultsExtensions.MaxMessageBytes;
                channel.ServiceConfig = new ServiceConfig
                {
                    MethodConfigs =
                    {
                        new MethodConfig
                        {
                            Names = { MethodName.Default },
                            RetryPolicy = new RetryPolicy
                            {
                                MaxAttempts = 4,
                                InitialBackoff = TimeSpan.FromMilliseconds(100),
                                MaxBackoff = TimeSpan.FromSeconds(1),
                                BackoffMultiplier = 2,
                                RetryableStatusCodes = { StatusCode.Unavailable },
                            },
                        },
                    },
                };
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // One HTTP/2 connection caps concurrent streams (100 by default); open more under load.
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            })
            .AddCallCredentials((_, metadata, provider) =>
            {
                metadata.Add("Authorization", $"Bearer {provider.GetRequiredService<ServiceTokenSource>().Token}");
                return Task.CompletedTask;
            })
            .AddInterceptor(() => new DefaultDeadlineInterceptor(DefaultDeadline));
    }
}
