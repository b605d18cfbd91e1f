using Microsoft.Extensions.Options;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.Ledger.Writer;

/// <summary>
/// Voids expired holds and releases locks whose time has come, by sending the writer a sweep every
/// <see cref="LedgerOptions.SweepIntervalMs"/> of the injected clock (tests advance a fake one).
/// </summary>
public sealed partial class ExpirySweeper(LedgerWriter writer, TimeProvider time, IOptions<LedgerOptions> options, ILogger<ExpirySweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.SweepIntervalMs), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!writer.IsActive)
                {
                    continue;
                }
                try
                {
                    await writer.SubmitAsync(new SweepCommand(time.GetUtcNow()), stoppingToken);
                }
                catch (DomainException ex)
                {
                    // The batch failed (the database is away); the next tick tries again.
                    LogSweepFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry sweep failed, retrying at the next tick: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
