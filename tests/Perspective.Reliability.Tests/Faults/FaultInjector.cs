using System.Diagnostics;
using Perspective.Reliability.Tests.Stack;

namespace Perspective.Reliability.Tests.Faults;

public enum FaultKind
{
    KillLedgerWriter,
    KillGateway,
    KillTreasury,
    RestartRabbitMq,
    RestartPostgres,
}

/// <summary>A fault as injected: when (seconds since the load started), what, how long until the stack was whole again.</summary>
public sealed record FaultRecord(FaultKind Kind, double AtSeconds, double RecoveredAfterSeconds, string Detail);

/// <summary>
/// Injects faults one after another at moments drawn from a seed: SIGKILL of the Ledger writer (the standby takes over;
/// the killed one comes back as the new standby), of the gateway and of the treasury (restarted after a random pause),
/// a RabbitMQ restart (stop, pause, start: same ports and data) and a PostgreSQL restart (fast or immediate stop, start).
/// Every kind comes at least once; longer runs draw more. Each fault waits until the stack is ready again before the
/// next, so each one is seen on its own.
/// </summary>
public sealed class FaultInjector(ChaosStack stack, int seed, TimeSpan duration)
{
    private readonly Random random = new(seed);

    public List<FaultRecord> Injected { get; } = [];

    /// <summary>The plan: every kind once in a seeded order, then one more drawn at random per further 20 s of load.</summary>
    public IReadOnlyList<(double At, FaultKind Kind)> Plan()
    {
        var kinds = Enum.GetValues<FaultKind>().OrderBy(_ => random.Next()).ToList();
        var extra = Math.Max(0, (int)(duration.TotalSeconds / 20) - kinds.Count);
        for (var i = 0; i < extra; i++)
        {
            kinds.Add((FaultKind)random.Next(5));
        }
        var usable = Math.Max(duration.TotalSeconds - 8, 1);
        var slot = usable / kinds.Count;
        return [.. kinds.Select((kind, i) => (Math.Round(3 + i * slot + random.NextDouble() * slot * 0.6, 1), kind))];
    }

    public async Task RunAsync(Stopwatch clock, CancellationToken ct)
    {
        foreach (var (at, kind) in Plan())
        {
            var wait = TimeSpan.FromSeconds(at) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }
            var started = clock.Elapsed.TotalSeconds;
            var detail = await InjectAsync(kind, ct);
            await stack.WaitAllReadyAsync(TimeSpan.FromSeconds(180), ct);
            Injected.Add(new FaultRecord(kind, Math.Round(started, 1), Math.Round(clock.Elapsed.TotalSeconds - started, 1), detail));
        }
    }

    private async Task<string> InjectAsync(FaultKind kind, CancellationToken ct)
    {
        switch (kind)
        {
            case FaultKind.KillLedgerWriter:
                {
                    var writer = await stack.LedgerWriterAsync(ct) ?? stack.LedgerA;
                    var standby = ReferenceEquals(writer, stack.LedgerA) ? stack.LedgerB : stack.LedgerA;
                    var watch = Stopwatch.StartNew();
                    writer.Kill();
                    await standby.WaitAsync(standby.IsReadyAsync, TimeSpan.FromSeconds(120), "takeover", ct);
                    var takeover = watch.Elapsed.TotalSeconds;
                    writer.Start();
                    await writer.WaitAsync(writer.IsLiveAsync, TimeSpan.FromSeconds(120), "live (new standby)", ct);
                    return $"killed {writer.Name}; {standby.Name} took over in {takeover:0.0} s";
                }
            case FaultKind.KillGateway:
                return await KillAndRestartAsync(stack.Gateway, ct);
            case FaultKind.KillTreasury:
                return await KillAndRestartAsync(stack.Treasury, ct);
            case FaultKind.RestartRabbitMq:
                {
                    await stack.RabbitMq.StopNodeAsync();
                    var pause = random.Next(0, 3000);
                    await Task.Delay(pause, ct);
                    await stack.RabbitMq.StartNodeAgainAsync();
                    return $"stopped, {pause / 1000.0:0.0} s down, started";
                }
            case FaultKind.RestartPostgres:
                {
                    var immediate = random.Next(2) == 0;
                    await stack.Postgres.RestartAsync(immediate);
                    return immediate ? "immediate stop (crash), start" : "fast stop, start";
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private async Task<string> KillAndRestartAsync(ServiceProcess service, CancellationToken ct)
    {
        service.Kill();
        var pause = random.Next(200, 2500);
        await Task.Delay(pause, ct);
        service.Start();
        await service.WaitAsync(service.IsReadyAsync, TimeSpan.FromSeconds(120), "ready after restart", ct);
        return $"SIGKILL, {pause / 1000.0:0.0} s down, restarted";
    }
}
