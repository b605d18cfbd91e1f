using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Perspective.ServiceDefaults.Data;

/// <summary>
/// Migrates before the service accepts calls. The database may still be starting (a pod next to a new
/// PostgreSQL, or <c>make up</c>), so connection failures are retried until <c>Database:StartupTimeoutSeconds</c> (default 60).
/// </summary>
internal sealed partial class MigrationHostedService(Migrator migrator, IConfiguration configuration, ILogger<MigrationHostedService> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var timeoutSeconds = configuration.GetValue("Database:StartupTimeoutSeconds", 60);
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var applied = await migrator.MigrateAsync(cancellationToken);
                LogMigrated(logger, applied.Count);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException
                                       && DateTime.UtcNow < deadline)
            {
                LogWaiting(logger, attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is current ({Applied} migrations applied now)")]
    private static partial void LogMigrated(ILogger logger, int applied);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database not reachable yet (attempt {Attempt}): {Reason}")]
    private static partial void LogWaiting(ILogger logger, int attempt, string reason);
}
