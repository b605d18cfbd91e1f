using System.Globalization;

namespace Perspective.Reliability.Tests;

/// <summary>
/// Faults under load (issue 10, docs/RELIABILITY.md). The short variant runs in <c>make test</c> with a fixed seed; the
/// long one is the same test with <c>PERSPECTIVE_CHAOS_SECONDS</c> (load duration) and <c>PERSPECTIVE_CHAOS_SEED</c>:
/// <c>PERSPECTIVE_CHAOS_SECONDS=600 PERSPECTIVE_CHAOS_SEED=7 dotnet test --project tests/Perspective.Reliability.Tests</c>.
/// </summary>
public sealed class FaultsUnderLoadTests
{
    public const int DefaultSeed = 20261126;
    public const int DefaultSeconds = 45;

    [Fact]
    public async Task Under_kills_and_restarts_no_payment_is_lost_or_doubled_and_no_effect_applies_twice()
    {
        var seed = Environment.GetEnvironmentVariable("PERSPECTIVE_CHAOS_SEED") is { Length: > 0 } s ? int.Parse(s, CultureInfo.InvariantCulture) : DefaultSeed;
        var seconds = Environment.GetEnvironmentVariable("PERSPECTIVE_CHAOS_SECONDS") is { Length: > 0 } d ? int.Parse(d, CultureInfo.InvariantCulture) : DefaultSeconds;
        var output = TestContext.Current.TestOutputHelper!;
        void Log(string line)
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}");
            Console.Error.WriteLine($"[chaos] {DateTime.UtcNow:HH:mm:ss} {line}");
        }
        var report = await ChaosRun.RunAsync(seed, seconds, AuditStep.RunAsync, Log, TestContext.Current.CancellationToken);
        Log(report.ToMarkdown());
        var failed = report.Checks.Where(c => !c.Passed).ToList();
        Assert.True(failed.Count == 0, $"seed {seed}: " + string.Join("\n", failed.Select(c => $"{c.Name}: {c.Detail}")));
        Assert.Contains(report.Faults, f => f.Kind == Faults.FaultKind.KillLedgerWriter);
        Assert.Contains(report.Faults, f => f.Kind == Faults.FaultKind.RestartRabbitMq);
        Assert.Contains(report.Faults, f => f.Kind == Faults.FaultKind.RestartPostgres);
    }
}
