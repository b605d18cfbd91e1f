using System.Diagnostics;
using System.Globalization;
using Dapper;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.Ledger;
using Perspective.Ledger.Writer;
using Perspective.Testing;

// Ledger throughput on this machine, with production durability (fsync and synchronous commit on).
// Usage: dotnet run -c Release --project tests/Perspective.Ledger.Benchmarks -- [transfers per scenario] [concurrency]
var transfersPerScenario = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
const int Accounts = 100_000;
const long Funding = 1_000_000;

Console.WriteLine($"ledger benchmark: {transfersPerScenario} transfers per scenario, {concurrency} in flight, {Accounts} accounts, fsync on");
var infrastructure = new TestInfrastructure { DurablePostgres = true };
await infrastructure.InitializeAsync();
try
{
    var database = await infrastructure.CreateDatabaseAsync("bench");
    await using var ledger = await ServiceUnderTest.StartAsync(LedgerHost.Build, infrastructure, database, settings: new Dictionary<string, string?>
    {
        ["Ledger:Genesis:Code"] = "POV",
        ["Ledger:Genesis:Allocations:0:Account"] = "reserve",
        ["Ledger:Genesis:Allocations:0:Amount"] = (Funding * Accounts * 4).ToString(CultureInfo.InvariantCulture),
        ["Logging:LogLevel:Default"] = "Error",
    });
    var client = new LedgerService.LedgerServiceClient(ledger.Channel);
    var service = TestTokens.Bearer("bench", "service");
    await Eventually.WaitAsync(async () => (await client.GetHeadAsync(new GetHeadRequest(), service)).Sequence, s => s >= 1, TimeSpan.FromSeconds(30), "genesis");

    Console.WriteLine($"funding {Accounts} accounts...");
    for (var start = 0; start < Accounts; start += 1000)
    {
        var batch = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
        for (var i = start; i < start + 1000; i++)
        {
            batch.Legs.Add(new TransferLeg { TransferId = Guid.NewGuid().ToString(), FromAccount = "reserve", ToAccount = $"acct-{i}", Asset = "POV", Amount = Funding });
        }
        await client.TransferBatchAsync(batch, service);
    }

    // Warm-up (JIT tiering, connection pools, HTTP/2 window), not measured.
    await RunAsync(Math.Min(5_000, transfersPerScenario), concurrency, i =>
        client.TransferAsync(Pay($"acct-{i % Accounts}", "treasury:warm"), service).ResponseAsync);

    var results = new List<(string Name, Result Result)>();
    results.Add(("hot (gRPC Transfer)", await RunAsync(transfersPerScenario, concurrency, i =>
        client.TransferAsync(Pay($"acct-{i % Accounts}", "treasury:hot"), service).ResponseAsync)));
    // Open loop at half the peak just measured: latency counted from when each request was due, so a stall is not hidden.
    var halfPeak = results[0].Result.TransfersPerSecond / 2;
    var paced = await RunAtRateAsync(transfersPerScenario, halfPeak, i =>
        client.TransferAsync(Pay($"acct-{i % Accounts}", "treasury:hot"), service).ResponseAsync);
    results.Add(("uniform (gRPC Transfer)", await RunAsync(transfersPerScenario, concurrency, i =>
    {
        var from = Random.Shared.Next(Accounts);
        var to = (from + 1 + Random.Shared.Next(Accounts - 1)) % Accounts;
        return client.TransferAsync(Pay($"acct-{from}", $"acct-{to}"), service).ResponseAsync;
    })));
    // The same hot shape straight into the writer (no gRPC, no auth, no HTTP/2): how much of the cost is the request path.
    var writer = ledger.Services.GetRequiredService<LedgerWriter>();
    results.Add(("hot (writer only, no gRPC)", await RunAsync(transfersPerScenario, concurrency, i =>
    {
        var id = Guid.NewGuid().ToString();
        return writer.SubmitAsync(new TransferCommand(id, [], [new LegInput(id, $"acct-{i % Accounts}", "treasury:hot2", "POV", 1, "")], IsBatch: false),
            CancellationToken.None);
    })));
    const int LegsPerBatch = 100;
    var batchResult = await RunAsync(transfersPerScenario / LegsPerBatch, Math.Max(1, concurrency / 8), i =>
    {
        var batch = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
        for (var leg = 0; leg < LegsPerBatch; leg++)
        {
            var from = Random.Shared.Next(Accounts);
            batch.Legs.Add(new TransferLeg
            {
                TransferId = Guid.NewGuid().ToString(),
                FromAccount = $"acct-{from}",
                ToAccount = $"acct-{(from + 1) % Accounts}",
                Asset = "POV",
                Amount = 1,
            });
        }
        return client.TransferBatchAsync(batch, service).ResponseAsync;
    });
    results.Add(($"TransferBatch ({LegsPerBatch} legs/request)", batchResult with { TransfersPerSecond = batchResult.TransfersPerSecond * LegsPerBatch }));

    // The straightforward design on the same shapes: one transaction per transfer, both rows locked, Npgsql, no gRPC.
    var baselineDb = await infrastructure.CreateDatabaseAsync("baseline");
    await using var baseline = new NpgsqlDataSourceBuilder(baselineDb + ";Maximum Pool Size=" + concurrency).Build();
    await using (var connection = await baseline.OpenConnectionAsync())
    {
        await connection.ExecuteAsync(
            """
            create table accounts (id text primary key, balance bigint not null);
            create table transfers (id uuid primary key, from_id text not null, to_id text not null, amount bigint not null);
            """);
        await connection.ExecuteAsync("insert into accounts select 'acct-' || g, @Funding from generate_series(0, @n) g", new { Funding, n = Accounts - 1 });
        await connection.ExecuteAsync("insert into accounts values ('treasury:hot', 0)");
    }
    results.Add(("baseline hot (row locks)", await RunAsync(transfersPerScenario, concurrency, i => BaselineTransferAsync(baseline, $"acct-{i % Accounts}", "treasury:hot"))));
    results.Add(("baseline uniform (row locks)", await RunAsync(transfersPerScenario, concurrency, i =>
    {
        var from = Random.Shared.Next(Accounts);
        return BaselineTransferAsync(baseline, $"acct-{from}", $"acct-{(from + 1 + Random.Shared.Next(Accounts - 1)) % Accounts}");
    })));

    var verify = await client.VerifyJournalAsync(new VerifyJournalRequest(), service);
    Console.WriteLine();
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}; journal verified: {verify.Valid} ({verify.EntriesChecked} entries)");
    Console.WriteLine("| scenario | transfers/s | p50 ms | p99 ms |");
    Console.WriteLine("|---|---:|---:|---:|");
    foreach (var (name, result) in results)
    {
        Console.WriteLine($"| {name} | {result.TransfersPerSecond:N0} | {result.P50Ms:0.0} | {result.P99Ms:0.0} |");
    }
    Console.WriteLine($"| hot at half the peak ({halfPeak:N0}/s offered) | {paced.TransfersPerSecond:N0} | {paced.P50Ms:0.0} | {paced.P99Ms:0.0} |");
    var hotRatio = results[0].Result.TransfersPerSecond / results[4].Result.TransfersPerSecond;
    var uniformRatio = results[1].Result.TransfersPerSecond / results[5].Result.TransfersPerSecond;
    Console.WriteLine($"hot vs baseline: {hotRatio:0.0}x; uniform vs baseline: {uniformRatio:0.0}x");
}
finally
{
    await infrastructure.DisposeAsync();
}

static TransferRequest Pay(string from, string to) => new()
{
    RequestId = Guid.NewGuid().ToString(),
    FromAccount = from,
    ToAccount = to,
    Asset = "POV",
    Amount = 1,
};

static async Task BaselineTransferAsync(NpgsqlDataSource db, string from, string to)
{
    await using var connection = await db.OpenConnectionAsync();
    await using var transaction = await connection.BeginTransactionAsync();
    var ordered = string.CompareOrdinal(from, to) < 0 ? new[] { from, to } : [to, from];
    var balances = (await connection.QueryAsync<(string Id, long Balance)>(
        "select id, balance from accounts where id = any(@ordered) order by id for update", new { ordered }, transaction)).ToDictionary(r => r.Id, r => r.Balance);
    if (balances[from] < 1)
    {
        throw new InvalidOperationException("insufficient funds");
    }
    await connection.ExecuteAsync("update accounts set balance = balance - 1 where id = @from", new { from }, transaction);
    await connection.ExecuteAsync("update accounts set balance = balance + 1 where id = @to", new { to }, transaction);
    await connection.ExecuteAsync("insert into transfers values (@id, @from, @to, 1)", new { id = Guid.NewGuid(), from, to }, transaction);
    await transaction.CommitAsync();
}

/// <summary>Runs <paramref name="count"/> operations with <paramref name="concurrency"/> in flight; every operation must succeed.</summary>
static async Task<Result> RunAsync(int count, int concurrency, Func<int, Task> operation)
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
    var seconds = clock.Elapsed.TotalSeconds;
    Array.Sort(latencies);
    return new Result(count / seconds, latencies[count / 2], latencies[Math.Min(count - 1, (int)(count * 0.99))]);
}

/// <summary>Starts <paramref name="count"/> operations at a fixed rate whatever their latency (open loop); latency from when each was due.</summary>
static async Task<Result> RunAtRateAsync(int count, double perSecond, Func<int, Task> operation)
{
    Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} running {count} operations at {perSecond:N0}/s...");
    var latencies = new double[count];
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
            await operation(index);
            latencies[index] = (clock.Elapsed - due).TotalMilliseconds;
        });
    }
    await Task.WhenAll(running);
    var seconds = clock.Elapsed.TotalSeconds;
    Array.Sort(latencies);
    return new Result(count / seconds, latencies[count / 2], latencies[Math.Min(count - 1, (int)(count * 0.99))]);
}

internal sealed record Result(double TransfersPerSecond, double P50Ms, double P99Ms);
