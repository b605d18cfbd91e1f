using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Commands;

/// <summary>
/// The one worker that carries out payouts and distributions, outside any consumer. It holds a session-level advisory
/// lock on a dedicated non-pooled connection (<see cref="ExecutorLease"/>), so one replica executes while the others serve
/// reads and consume events; if that connection drops, the lock goes with it and another replica takes over (the Ledger
/// ids derived from each job make a re-run harmless, and progress updates are conditional on the progress read). The
/// lease is checked before every job and every distribution batch: a lost lock stops the pass at once. Jobs run in
/// creation order per model; each pass takes the oldest unfinished job of every model, so a model whose job must wait
/// (the Ledger did not answer, its registration has not arrived) holds back only its own later jobs. It wakes on the
/// NOTIFY the execution consumer sends when it commits a new job, and otherwise every <see cref="TreasuryOptions.ExecutorPollIntervalMs"/>.
/// </summary>
public sealed partial class TreasuryExecutor(
    ExecutorLease lease,
    PayoutStore jobs,
    SpendJob spends,
    DistributionJob distributionJobs,
    IOptions<TreasuryOptions> options,
    ILogger<TreasuryExecutor> logger) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (TreasuryOptions.Invalid(settings) is { } problem)
        {
            throw new InvalidOperationException(problem);
        }
        // Poll pacing is infrastructure time, not domain time: real delays even when tests fake the TimeProvider.
        var poll = TimeSpan.FromMilliseconds(settings.ExecutorPollIntervalMs);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await lease.TryTakeAsync(stoppingToken))
                {
                    await Task.Delay(poll, stoppingToken);
                    continue;
                }
                LogLeading(logger);
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await RunPassAsync(settings, stoppingToken))
                    {
                        await lease.WaitForJobsAsync(poll, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                await lease.ReleaseAsync();
                return;
            }
            catch (Exception ex)
            {
                LogLost(logger, ex);
                await lease.ReleaseAsync();
                try
                {
                    await Task.Delay(poll, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Runs the oldest unfinished job of each model once; true if any finished (there may be more).</summary>
    private async Task<bool> RunPassAsync(TreasuryOptions settings, CancellationToken ct)
    {
        var progressed = false;
        foreach (var job in await jobs.UnfinishedJobsAsync(settings.ExecutorJobsPerPass, ct))
        {
            await lease.EnsureHeldAsync(ct);
            JobOutcome outcome;
            try
            {
                outcome = job.Kind == JobRow.PayoutKind
                    ? await spends.RunAsync(job.JobId, ct)
                    : await distributionJobs.RunAsync(job.JobId, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && ex is not ExecutorLeaseLostException)
            {
                LogRetry(logger, ex, job.Kind, job.JobId);
                outcome = JobOutcome.RetryLater;
            }
            progressed |= outcome == JobOutcome.Done;
        }
        return progressed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This replica runs the treasury executor")]
    private static partial void LogLeading(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Treasury executor stopped on an error (database or lock connection); it competes for the lock again")]
    private static partial void LogLost(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Treasury {Kind} {JobId} did not finish and is retried later")]
    private static partial void LogRetry(ILogger logger, Exception exception, string kind, Guid jobId);
}
