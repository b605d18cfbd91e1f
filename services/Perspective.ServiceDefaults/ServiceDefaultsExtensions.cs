using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Data;
using Perspective.ServiceDefaults.Errors;
using Perspective.ServiceDefaults.Health;
using Perspective.ServiceDefaults.Messaging;
using Perspective.ServiceDefaults.Telemetry;

namespace Perspective.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>Maximum size of one gRPC message, in and out: a limit on every request.</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Everything a Perspective service needs besides its own endpoints and rules: gRPC over HTTP/2, JWT auth,
    /// error mapping, OpenTelemetry, its PostgreSQL database with migrations at start, MassTransit with the
    /// outbox and inbox, health and reflection, and <see cref="TimeProvider"/>.
    /// </summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, ServiceInfo service)
    {
        builder.Services.AddSingleton(service);
        builder.Services.TryAddSingleton(TimeProvider.System);

        // Cleartext HTTP/2 only: TLS terminates at the cluster edge.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2));

        builder.AddPerspectiveAuth();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<ErrorInterceptor>();
            // Inside the error interceptor, so a refusal becomes PERMISSION_DENIED with its rule.
            grpc.Interceptors.Add<AccessInterceptor>();
            grpc.EnableDetailedErrors = false;
            grpc.MaxReceiveMessageSize = MaxMessageBytes;
            grpc.MaxSendMessageSize = MaxMessageBytes;
        });
        // Who may call what (Auth/AccessTable.cs); a host with its own services (a test probe) registers a larger table.
        builder.Services.TryAddSingleton(AccessTable.Platform);
        builder.Services.AddHostedService<AccessTableCheck>();
        builder.Services.AddGrpcReflection();
        builder.AddPerspectiveTelemetry(service);
        builder.AddPerspectiveDatabase();
        builder.AddPerspectiveMessaging(service);
        builder.AddPerspectiveHealth();
        return builder;
    }

    /// <summary>Auth middleware, the health service and reflection (both open, for probes and generic tools).</summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapGrpcReflectionService().AllowAnonymous();
        return app;
    }
}
