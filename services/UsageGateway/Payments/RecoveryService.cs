using Microsoft.Extensions.Options;
using Perspective.UsageGateway.Data;

namespace Perspective.UsageGateway.Payments;

/// <summary>
/// Every <see cref="GatewayOptions.SweepIntervalMs"/> of the injected clock (tests advance a fake one): expires open
/// usage authorizations past their time (voids the hold, frees the allowance), and resumes payments and authorizations
/// left mid-flight for longer than <see cref="GatewayOptions.ResumeAfterMs"/> (a crash or a lost Ledger answer between
/// steps). Every step is idempotent, so replicas sweeping the same row at once end in the same state.
/// </summary>
public sealed partial class RecoveryService(
    GatewayStore store, ChargeService charges, MeteredService metered, TimeProvider time, IOptions<GatewayOptions> options, ILogger<RecoveryService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(settings.SweepIntervalMs), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await SweepOnceAsync(settings, stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The database or the Ledger is away; the next tick tries again.
                    LogSweepFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    public async Task SweepOnceAsync(GatewayOptions settings, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var staleBefore = (now - TimeSpan.FromMilliseconds(settings.ResumeAfterMs)).UtcDateTime;
        // One item that keeps failing must not stop the others: each is tried, logged if it fails, and tried again next tick.
        foreach (var requestId in await store.StalePendingPaymentsAsync(staleBefore, settings.SweepBatchMax, cancellationToken))
        {
            try
            {
                await charges.ResumePendingAsync(requestId, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogItemFailed(logger, "payment", requestId, ex.Message);
            }
        }
        foreach (var authorization in await store.AuthorizationsToSweepAsync(now.UtcDateTime, staleBefore, settings.SweepBatchMax, cancellationToken))
        {
            try
            {
                await metered.SweepAsync(authorization, cancellationToken);
            }
            catch (ServiceDefaults.Errors.DomainException ex)
            {
                // Refused by the Ledger and already undone (a hold that could not be placed or posted); the rest goes on.
                LogSweepRefused(logger, authorization.AuthorizationId, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogItemFailed(logger, "authorization", authorization.AuthorizationId, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery sweep failed, retrying at the next tick: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recovery of {Kind} {Id} failed, retrying at the next tick: {Reason}")]
    private static partial void LogItemFailed(ILogger logger, string kind, Guid id, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Authorization {AuthorizationId} closed by the sweep: {Reason}")]
    private static partial void LogSweepRefused(ILogger logger, Guid authorizationId, string reason);
}
