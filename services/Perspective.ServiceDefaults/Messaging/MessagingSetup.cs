using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Perspective.ServiceDefaults.Data;

namespace Perspective.ServiceDefaults.Messaging;

internal static class MessagingSetup
{
    /// <summary>
    /// MassTransit 8 over RabbitMQ (<c>ConnectionStrings:RabbitMq</c>, an amqp:// URI), the service's consumers with
    /// queues prefixed by its name, and the outbox (writer and dispatcher).
    /// </summary>
    public static void AddPerspectiveMessaging(this WebApplicationBuilder builder, ServiceInfo service)
    {
        builder.Services.AddOptions<OutboxOptions>().Bind(builder.Configuration.GetSection(OutboxOptions.Section));
        builder.Services.AddSingleton<EventTypes>();
        builder.Services.AddSingleton<IOutbox, Outbox>();

        builder.Services.AddMassTransit(bus =>
        {
            // Each service gets its own queue per consumer, so every service that consumes an event sees it.
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(service.Name, includeNamespace: false));
            bus.AddConsumers(service.Assembly);
            // MassTransit's own check reports a lost broker as Degraded, which gRPC health shows as SERVING;
            // the "broker" health service and readiness's first-connection gate use BrokerState instead, which calls
            // anything short of Healthy not connected (Health/HealthSetup.cs).
            bus.ConfigureHealthCheckOptions(health =>
            {
                health.Tags.Clear();
                health.Tags.Add("masstransit");
            });
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var uri = context.GetRequiredService<IConfiguration>().GetConnectionString("RabbitMq");
                if (string.IsNullOrWhiteSpace(uri))
                {
                    throw new InvalidOperationException("ConnectionStrings:RabbitMq is not set (for example amqp://guest:guest@127.0.0.1:5672/).");
                }
                var broker = new Uri(uri);
                var userInfo = broker.UserInfo.Split(':', 2);
                var virtualHost = broker.AbsolutePath.Trim('/');
                rabbit.Host(broker.Host, (ushort)(broker.IsDefaultPort ? 5672 : broker.Port),
                    string.IsNullOrEmpty(virtualHost) ? "/" : Uri.UnescapeDataString(virtualHost), host =>
                    {
                        host.Username(userInfo.Length > 0 && userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : "guest");
                        host.Password(userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "guest");
                    });
                // Failures are retried in place before the message goes to the error queue.
                rabbit.UseMessageRetry(retry => retry.Intervals(100, 500, 2_000, 5_000, 10_000));
                // A database that does not answer is waited for much longer: the 18 s above are shorter than a PostgreSQL
                // crash recovery under load, and a message sent to the error queue for that lost its effect (the faults-
                // under-load run dead-lettered UsagePaid events during a restart and the treasury missed their revenue,
                // docs/RELIABILITY.md). Every 5 s for 10 minutes; the message stays unacknowledged meanwhile.
                rabbit.UseMessageRetry(retry =>
                {
                    retry.Handle<NpgsqlException>(DatabaseFailures.IsUnavailable);
                    retry.Interval(120, TimeSpan.FromSeconds(5));
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        // After the bus: hosted services stop in reverse order, so the dispatcher stops before the bus does.
        builder.Services.AddHostedService<OutboxDispatcher>();
    }
}
