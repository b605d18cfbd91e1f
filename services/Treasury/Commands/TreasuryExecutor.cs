using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Commands;

/// <summary>
/// The one worker that carries out payouts and distributions, outside any consumer. It holds a session-level advisory
/// lock on a dedicated connection, so one replica executes while the others serve reads and consume events; if that
/// connection drops, the lock goes with it and another replica takes over (the Ledger ids derived from each job make a
/// re-run harmless, and progress updates are conditional on the progress read). Jobs run in creation order per model;
/// a job that must wait (the Ledger did not answer) holds back the later jobs of its model only. It wakes on the NOTIFY
/// the execution consumer sends when it commits a new job, and otherwise every <see cref="TreasuryOptions.ExecutorPollIntervalMs"/>.
/// </summary>
public sealed partial class TreasuryExecutor(
    NpgsqlDataSource dataSource,
    PayoutStore jobs,
    SpendJob spends,
    DistributionJob distributionJobs,
    IOptions<TreasuryOptions> options,
    ILogger<TreasuryExecutor> logger) : Microsoft.Extensions.Hosting.BackgroundService
{
    /// <summary>Advisory lock key of the executor ("TREASEXE"), distinct from the migrator's.</summary>
    public const long LockKey = 0x5452_4541_5345_5845;

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
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_lock(@LockKey)", new { LockKey },
                        cancellationToken: stoppingToken)))
                {
                    await connection.CloseAsync();
                    await Task.Delay(poll, stoppingToken);
                    continue;
                }
                LogLeading(logger);
                await connection.ExecuteAsync(new CommandDefinition($"listen {PayoutStore.JobsChannel}", cancellationToken: stoppingToken));
                while (!stoppingToken.IsCancellationRequested)
                {
                    var progressed = await RunPassAsync(settings, stoppingToken);
                    if (progressed)
                    {
                        // Still holding the lock? A broken connection throws here and the outer loop competes again.
                        await connection.ExecuteAsync(new CommandDefinition("select 1", cancellationToken: stoppingToken));
                    }
                    else
                    {
                        await connection.WaitAsync(poll, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLost(logger, ex);
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

    /// <summary>Runs the unfinished jobs once, oldest first; true if any finished (there may be more).</summary>
    private async Task<bool> RunPassAsync(TreasuryOptions settings, CancellationToken ct)
    {
        var progressed = false;
        var held = new HashSet<Guid>();
        foreach (var job in await jobs.UnfinishedJobsAsync(settings.ExecutorJobsPerPass, ct))
        {
            if (held.Contains(job.ModelId))
            {
                continue;
            }
            JobOutcome outcome;
            try
            {
                outcome = job.Kind == JobRow.PayoutKind
                    ? await spends.RunAsync(job.JobId, ct)
                    : await distributionJobs.RunAsync(job.JobId, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogRetry(logger, ex, job.Kind, job.JobId);
                outcome = JobOutcome.RetryLater;
            }
            if (outcome == JobOutcome.RetryLater)
            {
                held.Add(job.ModelId);
            }
            else
            {
                progressed = true;
            }
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
