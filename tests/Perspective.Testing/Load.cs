using System.Diagnostics;

namespace Perspective.Testing;

/// <summary>
/// Operations per second and latency percentiles of one benchmark scenario; <paramref name="LatenciesMs"/> in the order the
/// operations were started (for an open loop, by when each was due), so slow ones can be tied to what happened then.
/// For an open loop, <paramref name="StartLateMs"/>: how long after it was due each operation was started (the generator's
/// own delay, which shares the machine with what it measures and is counted in the latency).
/// </summary>
public sealed record LoadResult(double PerSecond, double P50Ms, double P99Ms, double[] LatenciesMs, double[]? StartLateMs = null);

/// <summary>The load generators of the benchmarks: a closed loop (a fixed number in flight) and an open loop (a fixed rate).</summary>
public static class Load
{
    /// <summary>Runs <paramref name="count"/> operations with <paramref name="concurrency"/> in flight; every operation must succeed.</summary>
    public static async Task<LoadResult> RunAsync(int count, int concurrency, Func<int, Task> operation)
    {
        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} running {count} operations, {concurrency} in flight...");
        var latencies = new double[count];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var started = Stopwatch.GetTimestamp();
                await operation(i);
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }));
        return Summarize(latencies, clock.Elapsed);
    }

    /// <summary>
    /// Starts <paramref name="count"/> operations at <paramref name="perSecond"/> whatever their latency (open loop); latency
    /// counts from when each was due, so a stall is not hidden by callers waiting.
    /// </summary>
    public static async Task<LoadResult> RunAtRateAsync(int count, double perSecond, Func<int, Task> operation)
    {
        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} running {count} operations at {perSecond:N0}/s...");
        var latencies = new double[count];
        var late = new double[count];
        var running = new Task[count];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / perSecond);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }
            var index = i;
            running[i] = Task.Run(async () =>
            {
                late[index] = (clock.Elapsed - due).TotalMilliseconds;
                await operation(index);
                latencies[index] = (clock.Elapsed - due).TotalMilliseconds;
            });
        }
        await Task.WhenAll(running);
        return Summarize(latencies, clock.Elapsed) with { StartLateMs = late };
    }

    private static LoadResult Summarize(double[] latencies, TimeSpan elapsed)
    {
        var sorted = (double[])latencies.Clone();
        Array.Sort(sorted);
        var count = sorted.Length;
        return new LoadResult(count / elapsed.TotalSeconds, sorted[count / 2], sorted[Math.Min(count - 1, (int)(count * 0.99))], latencies);
    }
}
