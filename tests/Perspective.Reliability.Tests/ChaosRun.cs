using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Reliability.Tests.Faults;
using Perspective.Reliability.Tests.Load;
using Perspective.Reliability.Tests.Stack;

namespace Perspective.Reliability.Tests;

/// <summary>What one run did and found, and how long each part took.</summary>
public sealed record RunReport(
    int Seed,
    int LoadSeconds,
    string Load,
    IReadOnlyList<FaultRecord> Faults,
    IReadOnlyList<CheckResult> Checks,
    string Retries,
    double StartSeconds,
    double SettleSeconds,
    double TotalSeconds,
    string LogDir)
{
    public bool Passed => Checks.All(c => c.Passed);

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"seed {Seed}, load {LoadSeconds} s, stack start {StartSeconds:0} s, settle {SettleSeconds:0} s, total {TotalSeconds:0} s — {(Passed ? "PASSED" : "FAILED")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"load: {Load}");
        text.AppendLine("faults:");
        foreach (var fault in Faults)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {fault.AtSeconds,6:0.0} s  {fault.Kind,-17} {fault.Detail}; whole again after {fault.RecoveredAfterSeconds:0.0} s");
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"retried statuses: {Retries}");
        text.AppendLine("checks:");
        foreach (var check in Checks)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  [{(check.Passed ? "ok" : "FAIL")}] {check.Name}: {check.Detail}");
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"logs: {LogDir}");
        return text.ToString();
    }
}

/// <summary>
/// One run: start the stack, set up models, holders and allowances, run the load while the injector runs its faults,
/// stop sending, let the system settle, check. <see cref="AdditionalChecks"/> lets the caller add the auditor.
/// </summary>
public static class ChaosRun
{
    public const int Holders = 300;

    public static async Task<RunReport> RunAsync(int seed, int loadSeconds, Func<ChaosStack, LoadDriver, CancellationToken, Task<IReadOnlyList<CheckResult>>>? additionalChecks,
        Action<string> log, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        log($"chaos run: seed {seed}, load {loadSeconds} s");
        await using var stack = await ChaosStack.StartAsync(LoadDriver.Genesis, ct);
        var startSeconds = total.Elapsed.TotalSeconds;
        log($"stack up in {startSeconds:0} s; logs in {stack.LogDir}");
        await using var driver = new LoadDriver(stack, seed, Holders);
        await driver.SetUpAsync(ct);
        log($"set up at {total.Elapsed.TotalSeconds:0} s: models {driver.ModelA.ModelId} ({driver.ModelA.Token}), {driver.ModelB.ModelId} ({driver.ModelB.Token})");

        var injector = new FaultInjector(stack, seed, TimeSpan.FromSeconds(loadSeconds));
        log("fault plan: " + string.Join(", ", injector.Plan().Select(p => $"{p.At:0.0}s {p.Kind}")));
        injector = new FaultInjector(stack, seed, TimeSpan.FromSeconds(loadSeconds)); // Plan() draws from the seed: start afresh
        using var stopSending = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var load = driver.RunAsync(stopSending.Token, ct);
        var faults = injector.RunAsync(clock, ct);
        Exception? faultError = null;
        try
        {
            await faults;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            faultError = ex; // the stack did not recover: report it, still settle and check what can be checked
            log($"fault injection failed: {ex}");
        }
        var remaining = TimeSpan.FromSeconds(loadSeconds) - clock.Elapsed;
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, ct);
        }
        await stopSending.CancelAsync();
        await load;
        log($"load stopped at {clock.Elapsed.TotalSeconds:0} s: {Counts(driver)}");
        foreach (var fault in injector.Injected)
        {
            log($"  fault {fault.AtSeconds:0.0}s {fault.Kind}: {fault.Detail}; whole after {fault.RecoveredAfterSeconds:0.0}s");
        }

        var settle = Stopwatch.StartNew();
        var settled = await SettleAsync(stack, driver, TimeSpan.FromSeconds(180), log, ct);
        var settleSeconds = settle.Elapsed.TotalSeconds;
        log($"settled: {settled ?? "yes"} after {settleSeconds:0} s");

        var checks = new List<CheckResult>
        {
            new("the fault injector ran every fault and the stack recovered", faultError is null, faultError?.Message ?? $"{injector.Injected.Count} faults"),
            new("the system settled (outboxes drained, no pending payment, revenue counted, distribution and proposals finished)", settled is null, settled ?? ""),
        };
        checks.AddRange(await new DriverChecks(stack, driver, ct).RunAsync());
        if (additionalChecks is not null)
        {
            checks.AddRange(await additionalChecks(stack, driver, ct));
        }
        var retries = string.Join(", ", driver.Retry.RetriedStatuses.OrderBy(r => r.Key.Operation, StringComparer.Ordinal).Select(r => $"{r.Key.Operation} {r.Key.Status} ×{r.Value}"));
        var report = new RunReport(seed, loadSeconds, Counts(driver), injector.Injected, checks, retries, startSeconds, settleSeconds, total.Elapsed.TotalSeconds, stack.LogDir);
        await File.WriteAllTextAsync(Path.Combine(stack.LogDir, "report.txt"), report.ToMarkdown(), ct);
        return report;
    }

    private static string Counts(LoadDriver driver) =>
        $"{driver.ChargesAcked.Count}/{driver.ChargesSent.Count} charges acknowledged/sent (+{driver.DuplicatesSent} re-sent with the same id), " +
        $"{driver.TransfersAcked.Count}/{driver.TransfersSent.Count} transfers, {driver.VotesAcked.Count}/{driver.VotesSent.Count} votes on {driver.Proposals.Count} proposals, " +
        $"distribution to {driver.TokensHanded.Count + 1} holders, {driver.Refusals.Count} refusals ({string.Join(", ", driver.Refusals.GroupBy(r => $"{r.Operation} {r.Status}").Select(g => $"{g.Key} ×{g.Count()}"))})";

    /// <summary>Polls until nothing is left in flight; null when settled, else what was still outstanding at the timeout.</summary>
    private static async Task<string?> SettleAsync(ChaosStack stack, LoadDriver driver, TimeSpan timeout, Action<string> log, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? outstanding = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                outstanding = await OutstandingAsync(stack, driver, ct);
            }
            catch (RpcException ex)
            {
                outstanding = $"a read failed: {ex.Status}";
            }
            if (outstanding is null)
            {
                return null;
            }
            await Task.Delay(1000, ct);
        }
        log($"not settled: {outstanding}");
        return outstanding;
    }

    private static async Task<string?> OutstandingAsync(ChaosStack stack, LoadDriver driver, CancellationToken ct)
    {
        var unsent = await stack.UnsentOutboxAsync();
        if (unsent.Values.Any(n => n > 0))
        {
            return "unsent outbox rows: " + string.Join(", ", unsent.Where(u => u.Value > 0).Select(u => $"{u.Key} {u.Value}"));
        }
        var pending = await stack.ScalarAsync<long>("gateway", "select count(*) from payments where status <> 2");
        if (pending > 0)
        {
            return $"{pending} gateway payments pending";
        }
        var acked = driver.ChargesAcked.ToList();
        foreach (var model in new[] { driver.ModelA, driver.ModelB })
        {
            var treasury = (await driver.Treasury.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, LoadDriver.AsService, cancellationToken: ct)).Treasury;
            var count = acked.Count(a => a.Request.ModelId == model.ModelId);
            if (treasury.PaymentCount < count)
            {
                return $"treasury of {model.Token} counted {treasury.PaymentCount} of {count} payments";
            }
        }
        var distributions = await driver.Treasury.ListDistributionsAsync(new ListDistributionsRequest { ModelId = driver.ModelA.ModelId }, LoadDriver.AsService, cancellationToken: ct);
        if (distributions.Distributions.Any(d => d.Status is DistributionStatus.Pending or DistributionStatus.Paying) || distributions.Distributions.Count == 0)
        {
            return "distribution " + string.Join(", ", distributions.Distributions.Select(d => $"{d.Status} {d.LinesPaid}/{d.LineCount}"));
        }
        foreach (var run in driver.Proposals)
        {
            var state = (await driver.SubDao.GetProposalAsync(new Contracts.SubDao.V1.GetProposalRequest { ProposalId = run.ProposalId }, LoadDriver.AsService, cancellationToken: ct))
                .Proposal.State;
            if (state is ProposalState.Pending or ProposalState.Active or ProposalState.Succeeded or ProposalState.Queued)
            {
                return $"proposal {run.ProposalId} {state}";
            }
        }
        return null;
    }
}
