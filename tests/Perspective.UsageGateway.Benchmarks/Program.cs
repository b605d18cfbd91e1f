using System.Globalization;
using System.Text;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Ledger;
using Perspective.ModelRegistry;
using Perspective.Testing;
using Perspective.UsageGateway;

// ChargeUsage through gateway + ledger + registry in this process, with production durability (fsync on), next to a
// bare unary gRPC call that does nothing (the health Check of the same gateway): the ceiling of this machine.
// Usage: dotnet run -c Release --project tests/Perspective.UsageGateway.Benchmarks -- [charges per scenario] [concurrency] [open-loop rate/s]
var chargesPerScenario = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
var openLoopRate = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 1_000;
var writers = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : new GatewayOptions().ChargeWriters;
const int Payers = 1_000;
// Appended to each service's connection string, to try Npgsql settings without a code change (docs/BENCHMARKS.md).
var connectionOptions = Environment.GetEnvironmentVariable("PERSPECTIVE_BENCH_CONNECTION_OPTIONS") ?? "";
const int Channels = 8; // "many provider clients": separate HTTP/2 connections, as separate provider processes would have
const long Funding = 1_000_000_000;
const string Provider = "bench-provider";

Console.WriteLine($"gateway benchmark: {chargesPerScenario} charges per scenario, {concurrency} in flight over {Channels} connections, {Payers} payers, {writers} charge writers, fsync on");
var infrastructure = new TestInfrastructure { DurablePostgres = true };
await infrastructure.InitializeAsync();
var channels = new List<GrpcChannel>();
try
{
    var broker = await infrastructure.RabbitMq.CreateVirtualHostAsync("bench");
    var quiet = new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Error" };
    await using var ledger = await ServiceUnderTest.StartAsync(LedgerHost.Build, infrastructure, (await infrastructure.CreateDatabaseAsync("ledger") + connectionOptions), settings: new Dictionary<string, string?>(quiet)
    {
        ["Ledger:Genesis:Code"] = "POV",
        ["Ledger:Genesis:Allocations:0:Account"] = "reserve",
        ["Ledger:Genesis:Allocations:0:Amount"] = (Funding * Payers).ToString(CultureInfo.InvariantCulture),
    }, broker: broker);
    var ledgerClient = new LedgerService.LedgerServiceClient(ledger.Channel);
    var service = TestTokens.Bearer("bench", "service");
    await Eventually.WaitAsync(async () => (await ledgerClient.GetHeadAsync(new GetHeadRequest(), service)).Sequence, s => s >= 1, TimeSpan.FromSeconds(30), "genesis");
    await using var registry = await ServiceUnderTest.StartAsync(ModelRegistryHost.Build, infrastructure, (await infrastructure.CreateDatabaseAsync("registry") + connectionOptions),
        settings: new Dictionary<string, string?>(quiet) { ["Services:Ledger"] = ledger.Address }, broker: broker);
    await using var gateway = await ServiceUnderTest.StartAsync(UsageGatewayHost.Build, infrastructure, (await infrastructure.CreateDatabaseAsync("gateway") + connectionOptions),
        settings: new Dictionary<string, string?>(quiet)
        {
            ["Services:Ledger"] = ledger.Address,
            ["Services:ModelRegistry"] = registry.Address,
            // The limiter is on the path and measured, but set above what one provider can reach here.
            ["Gateway:RateLimitPerSecond"] = "1000000",
            ["Gateway:RateLimitBurst"] = "1000000",
            ["Gateway:ChargeWriters"] = writers.ToString(CultureInfo.InvariantCulture),
        }, broker: broker);

    var model = (await new ModelRegistryService.ModelRegistryServiceClient(registry.Channel).RegisterModelAsync(new RegisterModelRequest
    {
        RequestId = Guid.NewGuid().ToString(),
        Name = "bench model",
        Description = "benchmark",
        ProviderAccount = Provider,
        Token = new TokenSpec { Symbol = "BENCH", Name = "bench token", Decimals = 6, TotalSupply = 1_000_000 },
        Price = new Price { AmountPerUnit = 3, Unit = UsageUnit.Request },
    }, TestTokens.Bearer("creator", "user"))).Model;

    Console.WriteLine($"funding {Payers} payers and setting their allowances...");
    var batch = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
    for (var i = 0; i < Payers; i++)
    {
        batch.Legs.Add(new TransferLeg { TransferId = Guid.NewGuid().ToString(), FromAccount = "reserve", ToAccount = Payer(i), Asset = "POV", Amount = Funding });
    }
    await ledgerClient.TransferBatchAsync(batch, service);
    var setup = new UsageGatewayService.UsageGatewayServiceClient(gateway.Channel);
    for (var i = 0; i < Payers; i++)
    {
        await setup.SetAllowanceAsync(new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, CapAmount = Funding },
            TestTokens.Bearer(Payer(i), "user"));
    }

    for (var i = 0; i < Channels; i++)
    {
        channels.Add(GrpcChannel.ForAddress(gateway.Address));
    }
    var gateways = channels.Select(c => new UsageGatewayService.UsageGatewayServiceClient(c)).ToArray();
    var healths = channels.Select(c => new Health.HealthClient(c)).ToArray();
    var asProvider = TestTokens.Bearer(Provider, "provider");
    Task ChargeAsync(int i) => gateways[i % Channels].ChargeUsageAsync(new ChargeUsageRequest
    {
        RequestId = Guid.NewGuid().ToString(),
        ModelId = model.ModelId,
        PayerAccount = Payer(i % Payers),
        Units = 1,
    }, asProvider).ResponseAsync;
    Task CheckAsync(int i) => healths[i % Channels].CheckAsync(new HealthCheckRequest { Service = "liveness" }).ResponseAsync;

    // Warm-up (connection pools, HTTP/2 windows, the model cache, and JIT tiering), not measured. Tiered compilation
    // rewrites thousands of hot methods in the first tens of seconds (seen in the perf map: ~1,000 methods a second
    // after a 5,000-charge warm-up, a fifth of the CPU); a service that has run for a minute has finished that.
    var walBefore = await Wal.PositionAsync(gateway);
    await Load.RunAsync(chargesPerScenario, concurrency, ChargeAsync);
    var walPerCharge = (await Wal.PositionAsync(gateway) - walBefore) / chargesPerScenario;
    await Load.RunAsync(chargesPerScenario, concurrency, CheckAsync);
    // Statistics as autovacuum gathers them within a minute of a real start: without them the planner scans the
    // tables the warm-up just filled, and the run measures a state production is in only for its first minute.
    foreach (var host in new[] { ledger, registry, gateway })
    {
        await using var connection = new Npgsql.NpgsqlConnection(host.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var analyze = new Npgsql.NpgsqlCommand("analyze", connection);
        await analyze.ExecuteNonQueryAsync();
    }
    // And WAL segments ready for the measured runs, as a database that has run for a while has them. A fresh cluster has
    // none: every 16 MB of WAL (every ~3 s at 1,000 charges/s, ~5 KB of WAL per charge) it creates and zero-fills a new
    // segment while holding the WAL write lock, ~30 ms in which no commit completes (seen: three new segment files during
    // one ten-second open loop, and its slow charges in windows that far apart). A running database recycles the segments
    // a checkpoint no longer needs as the next ones. So: as many segments as the measured runs will write, and a checkpoint
    // that recycles them. A quarter of a scenario after it, not measured, takes the burst of full-page writes that follows
    // every checkpoint (the first change of each page after one logs the whole page).
    var measuredCharges = chargesPerScenario / 4 + chargesPerScenario + Math.Max(chargesPerScenario / 2, (int)(openLoopRate * 10));
    await Wal.PrepareSegmentsAsync(gateway, walPerCharge * measuredCharges * 3 / 2);
    await Load.RunAsync(chargesPerScenario / 4, concurrency, ChargeAsync);

    var ceilingCpuBefore = ProcessCpu.Snapshot(infrastructure);
    var ceiling = await Load.RunAsync(chargesPerScenario * 2, concurrency, CheckAsync);
    var ceilingCpu = ProcessCpu.Snapshot(infrastructure).Since(ceilingCpuBefore);
    using var steps = new BatchSteps();
    var cpuBefore = ProcessCpu.Snapshot(infrastructure);
    var closed = await Load.RunAsync(chargesPerScenario, concurrency, ChargeAsync);
    var cpu = ProcessCpu.Snapshot(infrastructure).Since(cpuBefore);
    var stepReport = steps.Report();
    // The events of the charges must keep up too: a dispatcher falling behind would grow the outbox without bound.
    var unsentAfterClosed = await UnsentAsync(gateway);
    var drain = System.Diagnostics.Stopwatch.StartNew();
    await Eventually.WaitAsync(() => UnsentAsync(gateway), n => n == 0, TimeSpan.FromMinutes(5), "the outbox drained");
    var drainSeconds = drain.Elapsed.TotalSeconds;
    var statements = await Statements.ResetAsync(ledger, registry, gateway);
    var openSteps = new BatchSteps();
    var openCpuBefore = ProcessCpu.Snapshot(infrastructure);
    var openCount = Math.Max(chargesPerScenario / 2, (int)(openLoopRate * 10));
    var maintenanceBefore = await Maintenance.SnapshotAsync(ledger, registry, gateway);
    using var timeline = new Timeline();
    var open = await Load.RunAtRateAsync(openCount, openLoopRate, ChargeAsync);
    var openCpu = ProcessCpu.Snapshot(infrastructure).Since(openCpuBefore);
    var maintenance = (await Maintenance.SnapshotAsync(ledger, registry, gateway)).Since(maintenanceBefore);
    var openStepReport = openSteps.Report();
    var statementReport = await statements.ReportAsync(openCount);
    openSteps.Dispose();

    var verify = await ledgerClient.VerifyJournalAsync(new VerifyJournalRequest(), service);
    var treasury = (await ledgerClient.GetBalanceAsync(new GetBalanceRequest { Account = $"treasury:{model.ModelId}", Asset = "POV" }, service)).Balance.Total;
    Console.WriteLine();
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}; journal verified: {verify.Valid} ({verify.EntriesChecked} entries); treasury holds {treasury} (3 per charge)");
    Console.WriteLine("| scenario | calls/s | p50 ms | p99 ms |");
    Console.WriteLine("|---|---:|---:|---:|");
    Console.WriteLine($"| ceiling: bare unary gRPC (health Check), {concurrency} in flight | {ceiling.PerSecond:N0} | {ceiling.P50Ms:0.0} | {ceiling.P99Ms:0.0} |");
    Console.WriteLine($"| ChargeUsage, closed loop, {concurrency} in flight | {closed.PerSecond:N0} | {closed.P50Ms:0.0} | {closed.P99Ms:0.0} |");
    Console.WriteLine($"| ChargeUsage, open loop at {openLoopRate:N0}/s | {open.PerSecond:N0} | {open.P50Ms:0.0} | {open.P99Ms:0.0} |");
    Console.WriteLine();
    Console.WriteLine($"closed loop: {unsentAfterClosed} UsagePaid events not yet published when it ended, all published {drainSeconds:0.0} s later");
    Console.WriteLine($"closed loop batches: {stepReport}");
    Console.WriteLine($"CPU per call, ceiling: {string.Join(", ", ceilingCpu.Select(c => $"{c.Key} {c.Value * 1e6 / (chargesPerScenario * 2):N0} µs"))}");
    Console.WriteLine($"CPU per charge, closed loop: {string.Join(", ", cpu.Select(c => $"{c.Key} {c.Value * 1e6 / chargesPerScenario:N0} µs"))}");
    Console.WriteLine($"open loop batches: {openStepReport}");
    Console.WriteLine($"CPU per charge, open loop: {string.Join(", ", openCpu.Select(c => $"{c.Key} {c.Value * 1e6 / openCount:N0} µs"))}");
    Console.Write(statementReport);
    Console.WriteLine($"open loop, database maintenance meanwhile: {maintenance}");
    var late = open.StartLateMs!.Order().ToArray();
    Console.WriteLine($"open loop, calls started after they were due (this process's own delay, in the latency): p50 {late[late.Length / 2]:0.0} ms, p99 {late[late.Length * 99 / 100]:0.0} ms, max {late[^1]:0.0} ms");
    Console.Write(timeline.Report(open.LatenciesMs, openLoopRate, slowMs: 25));
}
finally
{
    foreach (var channel in channels)
    {
        channel.Dispose();
    }
    await infrastructure.DisposeAsync();
}

static string Payer(int i) => $"payer-{i}";

static async Task<long> UnsentAsync(ServiceUnderTest gateway)
{
    await using var connection = new Npgsql.NpgsqlConnection(gateway.DatabaseConnectionString);
    await connection.OpenAsync();
    await using var count = new Npgsql.NpgsqlCommand("select count(*) from outbox_messages where sent_at is null", connection);
    return (long)(await count.ExecuteScalarAsync())!;
}

/// <summary>CPU seconds used by this process (client and the three services) and by the PostgreSQL and RabbitMQ it started, from /proc.</summary>
internal sealed class ProcessCpu(Dictionary<string, double> seconds)
{
    private const string Self = "dotnet (client + services)";

    private Dictionary<string, double> Seconds { get; } = seconds;

    /// <summary>The postmaster of the benchmark's PostgreSQL and the node of its RabbitMQ, found by their folders.</summary>
    public static ProcessCpu Snapshot(TestInfrastructure infrastructure)
    {
        const double TicksPerSecond = 100.0; // USER_HZ on Linux
        var processes = new Dictionary<int, (int Parent, string Name, double Seconds)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                processes[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture), name,
                    (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond);
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }
        // Only the benchmark's own processes and their children: other work on the machine (a build, another test run) is not counted.
        var roots = new Dictionary<int, string> { [Environment.ProcessId] = Self };
        var postmaster = File.ReadLines(Path.Combine(infrastructure.Postgres.Root, "data", "postmaster.pid")).First();
        roots[int.Parse(postmaster, CultureInfo.InvariantCulture)] = "postgres";
        foreach (var pid in processes.Keys.Where(pid => processes[pid].Name.StartsWith("beam", StringComparison.Ordinal)))
        {
            try
            {
                if (File.ReadAllText($"/proc/{pid}/cmdline").Contains(infrastructure.RabbitMq.Root, StringComparison.Ordinal))
                {
                    roots[pid] = "rabbitmq";
                }
            }
            catch (IOException)
            {
            }
        }
        string? GroupOf(int pid)
        {
            for (var p = pid; p > 1 && processes.TryGetValue(p, out var info); p = info.Parent)
            {
                if (roots.TryGetValue(p, out var group))
                {
                    return group;
                }
            }
            return null;
        }
        var totals = new Dictionary<string, double> { [Self] = 0, ["postgres"] = 0, ["rabbitmq"] = 0 };
        foreach (var (pid, info) in processes)
        {
            if (GroupOf(pid) is { } group)
            {
                totals[group] += info.Seconds;
            }
        }
        return new ProcessCpu(totals);
    }

    public Dictionary<string, double> Since(ProcessCpu before) => Seconds.ToDictionary(s => s.Key, s => s.Value - before.Seconds.GetValueOrDefault(s.Key));
}

/// <summary>
/// With PERSPECTIVE_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements": the statements of the open loop per
/// charge, by database, the costliest first (otherwise nothing).
/// </summary>
internal sealed class Statements(ServiceUnderTest[] hosts, bool enabled)
{
    public static async Task<Statements> ResetAsync(params ServiceUnderTest[] hosts)
    {
        var enabled = Environment.GetEnvironmentVariable("PERSPECTIVE_PG_OPTIONS")?.Contains("pg_stat_statements", StringComparison.Ordinal) == true;
        foreach (var host in enabled ? hosts : [])
        {
            await using var connection = new Npgsql.NpgsqlConnection(host.DatabaseConnectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("create extension if not exists pg_stat_statements; select pg_stat_statements_reset()", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new Statements(hosts, enabled);
    }

    public async Task<string> ReportAsync(int charges)
    {
        var report = new StringBuilder();
        foreach (var host in enabled ? hosts : [])
        {
            await using var connection = new Npgsql.NpgsqlConnection(host.DatabaseConnectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                """
                select calls, total_plan_time, total_exec_time, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 100)
                from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
                order by total_exec_time + total_plan_time desc limit 12
                """, connection);
            await using var reader = await command.ExecuteReaderAsync();
            report.AppendLine(CultureInfo.InvariantCulture, $"statements of {connection.Database} (per charge: calls, plan µs, exec µs, rows):");
            while (await reader.ReadAsync())
            {
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"  {reader.GetInt64(0) / (double)charges,6:0.00} {reader.GetDouble(1) * 1000 / charges,7:0.0} {reader.GetDouble(2) * 1000 / charges,7:0.0} {reader.GetInt64(3) / (double)charges,6:0.00}  {reader.GetString(4)}");
            }
        }
        return report.ToString();
    }
}

/// <summary>
/// What happened when during the open loop, to tie its slow charges to a cause: the gateway's batches (end time, size,
/// step times) and this process's garbage collections (start, generation, pause), on the <see cref="System.Diagnostics.Stopwatch"/> clock.
/// </summary>
internal sealed class Timeline : System.Diagnostics.Tracing.EventListener
{
    /// <summary>The Ledger writer's write-and-commit time of a batch (inside the gateway's ledger step).</summary>
    public const string LedgerCommit = "ledger.batch.commit.duration";

    private readonly long start = System.Diagnostics.Stopwatch.GetTimestamp();
    private readonly System.Diagnostics.Metrics.MeterListener listener = new();
    private readonly List<(double At, string Step, double Ms)> steps = [];
    private readonly List<(double At, int Generation, double PauseMs)> collections = [];
    private readonly Dictionary<int, (double At, int Generation)> collecting = [];

    public Timeline()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name.StartsWith("gateway.charge.batch", StringComparison.Ordinal) || instrument.Name == LedgerCommit)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(tags.Length > 0 ? $"{tags[0].Value}" : "ledger commit", value * 1000));
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => Add("size", value));
        listener.Start();
    }

    private double Now => System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;

    private void Add(string step, double value)
    {
        lock (steps)
        {
            steps.Add((Now, step, value));
        }
    }

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Informational, (System.Diagnostics.Tracing.EventKeywords)1 /* GC */);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        lock (steps)
        {
            if (e.EventName?.StartsWith("GCStart", StringComparison.Ordinal) == true && e.Payload is { Count: > 1 })
            {
                collecting[e.OSThreadId.GetHashCode()] = (Now, Convert.ToInt32(e.Payload[1], CultureInfo.InvariantCulture));
            }
            else if (e.EventName?.StartsWith("GCEnd", StringComparison.Ordinal) == true && collecting.Remove(e.OSThreadId.GetHashCode(), out var started))
            {
                collections.Add((started.At, started.Generation, Now - started.At));
            }
        }
    }

    /// <summary>
    /// The 100-ms windows (by when the charges were due) with the most charges slower than <paramref name="slowMs"/>, and what
    /// the batches and the collector did in each.
    /// </summary>
    public string Report(double[] latenciesByDue, double perSecond, double slowMs)
    {
        listener.Dispose();
        const double Window = 100;
        var report = new StringBuilder();
        lock (steps)
        {
            var gcs = collections.GroupBy(c => c.Generation).OrderBy(g => g.Key)
                .Select(g => $"gen{g.Key} ×{g.Count()} (max pause {g.Max(c => c.PauseMs):0.0} ms)");
            report.AppendLine(CultureInfo.InvariantCulture, $"open loop, garbage collections in this process: {string.Join(", ", gcs)}");
            var slow = latenciesByDue.Select((ms, i) => (Due: i * 1000 / perSecond, Ms: ms)).Where(c => c.Ms > slowMs).ToList();
            report.AppendLine(CultureInfo.InvariantCulture, $"open loop, charges slower than {slowMs} ms: {slow.Count} of {latenciesByDue.Length}; the worst 100-ms windows:");
            foreach (var window in slow.GroupBy(c => Math.Floor(c.Due / Window)).OrderByDescending(g => g.Count()).Take(8).OrderBy(g => g.Key))
            {
                // What ended in the window and the one before it (a slow charge waits for the batch before its own).
                var from = (window.Key - 1) * Window;
                var to = (window.Key + 1) * Window + 50;
                var batches = steps.Where(s => s.At >= from && s.At < to).GroupBy(s => s.Step)
                    .Select(g => g.Key == "size" ? $"{g.Count()} batches (max {g.Max(s => s.Ms):0})" : $"{g.Key} max {g.Max(s => s.Ms):0.0}");
                var windowGcs = collections.Where(c => c.At >= from && c.At < to).Select(c => $"gen{c.Generation} {c.PauseMs:0.0} ms");
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"  {window.Key * Window / 1000,6:0.0} s: {window.Count(),3} slow (max {window.Max(c => c.Ms):0.0} ms); {string.Join(", ", batches)}; GC: {string.Join(", ", windowGcs)}");
            }
        }
        return report.ToString();
    }

    public override void Dispose()
    {
        listener.Dispose();
        base.Dispose();
    }
}

/// <summary>The benchmark's PostgreSQL WAL (one cluster for the three databases).</summary>
internal static class Wal
{
    private const long SegmentBytes = 16 * 1024 * 1024;

    public static async Task<long> PositionAsync(ServiceUnderTest host)
    {
        await using var connection = new Npgsql.NpgsqlConnection(host.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Has PostgreSQL create segment files for <paramref name="bytes"/> of WAL now, then recycle them with a checkpoint.</summary>
    public static async Task PrepareSegmentsAsync(ServiceUnderTest host, long bytes)
    {
        await using var connection = new Npgsql.NpgsqlConnection(host.DatabaseConnectionString);
        await connection.OpenAsync();
        for (var i = 0; i <= bytes / SegmentBytes; i++)
        {
            // A switch needs some WAL since the last one: the commit record of a transaction with an id.
            await using var write = new Npgsql.NpgsqlCommand("select txid_current()", connection);
            await write.ExecuteNonQueryAsync();
            await using var next = new Npgsql.NpgsqlCommand("select pg_switch_wal()", connection);
            await next.ExecuteNonQueryAsync();
        }
        await using var checkpoint = new Npgsql.NpgsqlCommand("checkpoint", connection);
        await checkpoint.ExecuteNonQueryAsync();
    }
}

/// <summary>Checkpoints, autovacuums and autoanalyzes in the benchmark's databases, to see whether one ran during a scenario.</summary>
internal sealed class Maintenance(Dictionary<string, long> counts)
{
    private Dictionary<string, long> Counts { get; } = counts;

    public static async Task<Maintenance> SnapshotAsync(params ServiceUnderTest[] hosts)
    {
        var counts = new Dictionary<string, long>();
        foreach (var host in hosts)
        {
            await using var connection = new Npgsql.NpgsqlConnection(host.DatabaseConnectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                """
                select 'checkpoints', checkpoints_timed + checkpoints_req from pg_stat_bgwriter
                union all
                select 'WAL MB', (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint / 1000000
                union all
                select 'WAL segment files', count(*) from pg_ls_waldir() where name ~ '^[0-9A-F]{24}$'
                union all
                select current_database() || '.' || relname || ' ' || kind, n
                from pg_stat_user_tables, lateral (values ('autovacuum', autovacuum_count), ('autoanalyze', autoanalyze_count)) as k(kind, n)
                """, connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        return new Maintenance(counts);
    }

    public string Since(Maintenance before)
    {
        var changed = Counts.Where(c => c.Value != before.Counts.GetValueOrDefault(c.Key)).Select(c => $"{c.Key} +{c.Value - before.Counts.GetValueOrDefault(c.Key)}").ToList();
        return changed.Count == 0 ? "none" : string.Join(", ", changed);
    }
}

/// <summary>The gateway's batch metrics, read in this process while the closed loop runs: mean batch size and mean step times.</summary>
internal sealed class BatchSteps : IDisposable
{
    private const string LedgerCommit = Timeline.LedgerCommit;

    private readonly System.Diagnostics.Metrics.MeterListener listener = new();
    private readonly Dictionary<string, (double Sum, long Count)> totals = [];

    public BatchSteps()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name.StartsWith("gateway.charge.batch", StringComparison.Ordinal) || instrument.Name == LedgerCommit)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(tags.Length > 0 ? $"{tags[0].Value}" : "ledger commit", value));
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Add("size", value));
        listener.Start();
    }

    private void Add(string key, double value)
    {
        lock (totals)
        {
            var (sum, count) = totals.GetValueOrDefault(key);
            totals[key] = (sum + value, count + 1);
        }
    }

    public string Report()
    {
        lock (totals)
        {
            return string.Join(", ", totals.Select(t => t.Key == "size"
                ? $"{t.Value.Count:N0} batches of {t.Value.Sum / Math.Max(1, t.Value.Count):0.0} charges on average"
                : $"{t.Key} {t.Value.Sum * 1000 / Math.Max(1, t.Value.Count):0.0} ms"));
        }
    }

    public void Dispose() => listener.Dispose();
}
