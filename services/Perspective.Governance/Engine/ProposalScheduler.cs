using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Governance.Data;
using Perspective.Governance.Domain;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.Governance.Engine;

/// <summary>Configuration section <c>Governance:Scheduler</c>.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Governance:Scheduler";

    /// <summary>Pause between passes (wall-clock pacing only: what is due is decided by the injected TimeProvider).</summary>
    public int IntervalMs { get; set; } = 1_000;

    /// <summary>Longest wait before a proposal whose step keeps failing is tried again.</summary>
    public int MaxRetryDelayMs { get; set; } = 300_000;

    /// <summary>Tests switch the background loop off and run passes themselves.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>
/// Moves proposals through time: Pending → Active → Succeeded | Defeated (ProposalDecided), Succeeded → Queued, the
/// timelock → ProposalExecutionRequested (and the service's own actions), the grace period → Expired.
/// Safe with any number of replicas: a pass claims due rows with <c>FOR UPDATE SKIP LOCKED</c> in one transaction
/// and writes the step and its events (outbox) in that transaction, so a row is stepped by one replica at a time and
/// a step is never applied twice (the next pass sees the new state). A row a vote holds is skipped until the next pass.
/// </summary>
public sealed partial class ProposalScheduler(
    NpgsqlDataSource dataSource,
    GovernanceStore store,
    IDaoHost host,
    ExecutionAnswers answers,
    IOutbox outbox,
    GovernanceMetrics metrics,
    TimeProvider time,
    IOptions<SchedulerOptions> options,
    ILogger<ProposalScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        var interval = TimeSpan.FromMilliseconds(Math.Max(10, options.Value.IntervalMs));
        var counted = long.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                // The state gauge's reading, on wall-clock pacing (it is a metric, not a domain decision).
                if (counted == long.MinValue || System.Diagnostics.Stopwatch.GetElapsedTime(counted) >= StateCountInterval)
                {
                    metrics.StatesCounted(await store.CountByStateAsync(stoppingToken));
                    counted = System.Diagnostics.Stopwatch.GetTimestamp();
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPassFailed(logger, ex);
            }
            try
            {
                await Task.Delay(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static readonly TimeSpan StateCountInterval = TimeSpan.FromSeconds(15);

    /// <summary>One pass: at most one step for each due proposal (at most <see cref="GovernanceStore.DueBatchMax"/>); returns the steps taken.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await db.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        var steps = 0;
        var counted = new List<Action>();
        foreach (var p in await store.ClaimDueAsync(tx, now, ct))
        {
            // A savepoint per proposal: one that cannot be stepped (a bug, a bad row) does not hold back the others.
            await tx.SaveAsync("step", ct);
            try
            {
                if (await StepAsync(tx, p, now, counted, ct))
                {
                    steps++;
                }
                if (p.StepFailures > 0)
                {
                    await store.ClearStepFailuresAsync(tx, p.ProposalId, ct);
                }
                await tx.ReleaseAsync("step", ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await tx.RollbackAsync("step", ct);
                // Due again later and later: left due now, it would be first in every pass and many such rows would
                // crowd the others out of the batch. The row is still ours (claimed FOR UPDATE before the savepoint).
                var failures = p.StepFailures == int.MaxValue ? p.StepFailures : p.StepFailures + 1;
                var retryAt = now + RetryDelay(failures);
                await store.RecordStepFailureAsync(tx, p.ProposalId, failures, $"{ex.GetType().Name}: {Rules.Printable(ex.Message)}", retryAt, ct);
                LogStepFailed(logger, p.ProposalId, failures, retryAt, ex);
            }
        }
        await tx.CommitAsync(ct);
        counted.ForEach(count => count());
        return steps;
    }

    private async Task<bool> StepAsync(NpgsqlTransaction tx, ProposalRow p, DateTimeOffset now, List<Action> counted, CancellationToken ct)
    {
        var nowUtc = now.UtcDateTime;
        switch (Lifecycle.Next(p, now))
        {
            case StepKind.Activate:
                await store.UpdateAsync(tx, p with { State = (short)ProposalState.Active, NextDueAt = p.VotingEndsAt }, ct);
                return true;
            case StepKind.Decide:
                var passed = await DecideAsync(tx, p, now, ct);
                counted.Add(() => metrics.Decided(passed));
                return true;
            case StepKind.Queue:
                await store.UpdateAsync(tx, p with { State = (short)ProposalState.Queued, NextDueAt = p.ExecutableAt }, ct);
                return true;
            case StepKind.RequestExecution:
                var requested = p with { ExecutionRequestedAt = nowUtc, NextDueAt = p.ExpiresAt };
                await store.UpdateAsync(tx, requested, ct);
                await outbox.EnqueueAsync(tx, host.ExecutionRequested(requested, now), ct);
                var own = await host.ExecuteOwnActionsAsync(tx, requested, now, ct);
                await answers.RecordOwnAsync(tx, requested, host.Name, own, now, ct);
                await answers.SettleAsync(tx, requested, now, ct);
                counted.Add(metrics.ExecutionRequested);
                return true;
            case StepKind.Expire:
                await store.UpdateAsync(tx, p with
                {
                    State = (short)ProposalState.Expired,
                    FailureReason = "not executed within the grace period",
                    NextDueAt = null,
                }, ct);
                return true;
            default:
                // Due but nothing to do (its time moved): look again when it is due, never in a tight loop.
                var due = Lifecycle.DueAt(p.ProposalState, p.VotingStartsAt, p.VotingEndsAt, p.ExecutableAt, p.ExpiresAt, p.ExecutionRequestedAt is not null,
                    nowUtc);
                await store.UpdateAsync(tx, p with { NextDueAt = due > nowUtc ? due : null }, ct);
                return false;
        }
    }

    /// <summary>min(interval × 2^failures, the longest delay): 2, 4, 8… intervals, then every 5 minutes by default.</summary>
    public TimeSpan RetryDelay(int failures)
    {
        var interval = Math.Max(10, options.Value.IntervalMs);
        var max = Math.Max(interval, options.Value.MaxRetryDelayMs);
        // Past 2^20 intervals the cap has long been reached; stopping there keeps the shift and product in range.
        var delay = (long)interval << Math.Min(failures, 20);
        return TimeSpan.FromMilliseconds(Math.Min(delay, max));
    }

    /// <summary>The final tally from the frozen settings and the recorded votes, its digest, the result and ProposalDecided.</summary>
    private async Task<bool> DecideAsync(NpgsqlTransaction tx, ProposalRow p, DateTimeOffset now, CancellationToken ct)
    {
        var tally = p.Tally();
        var votes = await store.AllVotesAsync(tx.Connection!, tx, p.ProposalId, ct);
        if (votes.Count != tally.VoteCount)
        {
            throw new InvalidOperationException($"proposal {p.ProposalId}: {votes.Count} votes recorded, the counters say {tally.VoteCount}");
        }
        var digest = Tally.Digest(p.ProposalId, p.SnapshotSequence, votes.Select(v => v.Record));
        var decided = p with { DecidedAt = now.UtcDateTime, VotesDigest = digest };
        if (tally.Passed)
        {
            var (executableAt, expiresAt) = Lifecycle.Timelock(p.FrozenSettings, p.VotingEndsAt);
            decided = decided with
            {
                State = (short)ProposalState.Succeeded,
                ExecutableAt = executableAt,
                ExpiresAt = expiresAt,
                NextDueAt = now.UtcDateTime,
            };
        }
        else
        {
            decided = decided with { State = (short)ProposalState.Defeated, NextDueAt = null };
        }
        await store.UpdateAsync(tx, decided, ct);
        await outbox.EnqueueAsync(tx, host.Decided(decided, tally, digest, now), ct);
        return tally.Passed;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Governance scheduler pass failed; the next pass retries")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Proposal {ProposalId} could not be stepped ({Failures} failure(s) in a row); retried at {RetryAt}")]
    private static partial void LogStepFailed(ILogger logger, Guid proposalId, int failures, DateTimeOffset retryAt, Exception ex);
}
