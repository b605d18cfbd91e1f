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
    await Load.RunAsync(Math.Min(5_000, transfersPerScenario), concurrency, i =>
        client.TransferAsync(Pay($"acct-{i % Accounts}", "treasury:warm"), service).ResponseAsync);

    var results = new List<(string Name, LoadResult Result)>();
    results.Add(("hot (gRPC Transfer)", await Load.RunAsync(transfersPerScenario, concurrency, i =>
        client.TransferAsync(Pay($"acct-{i % Accounts}", "treasury:hot"), service).ResponseAsync)));
    // Open loop at half the peak just measured: latency counted from when each request was due, so a stall is not hidden.
    var halfPeak = results[0].Result.PerSecond / 2;
    var paced = await Load.RunAtRateAsync(transfersPerScenario, halfPeak, i =>
        client.TransferAsync(Pay($"acct-{i % Accounts}", "treasury:hot"), service).ResponseAsync);
    results.Add(("uniform (gRPC Transfer)", await Load.RunAsync(transfersPerScenario, concurrency, i =>
    {
        var from = Random.Shared.Next(Accounts);
        var to = (from + 1 + Random.Shared.Next(Accounts - 1)) % Accounts;
        return client.TransferAsync(Pay($"acct-{from}", $"acct-{to}"), service).ResponseAsync;
    })));
    // The same hot shape straight into the writer (no gRPC, no auth, no HTTP/2): how much of the cost is the request path.
    var writer = ledger.Services.GetRequiredService<LedgerWriter>();
    results.Add(("hot (writer only, no gRPC)", await Load.RunAsync(transfersPerScenario, concurrency, i =>
    {
        var id = Guid.NewGuid().ToString();
        return writer.SubmitAsync(new TransferCommand(id, [], [new LegInput(id, $"acct-{i % Accounts}", "treasury:hot2", "POV", 1, "")], IsBatch: false),
            CancellationToken.None);
    })));
    const int LegsPerBatch = 100;
    var batchResult = await Load.RunAsync(transfersPerScenario / LegsPerBatch, Math.Max(1, concurrency / 8), i =>
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
    results.Add(($"TransferBatch ({LegsPerBatch} legs/request)", batchResult with { PerSecond = batchResult.PerSecond * LegsPerBatch }));

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
    results.Add(("baseline hot (row locks)", await Load.RunAsync(transfersPerScenario, concurrency, i => BaselineTransferAsync(baseline, $"acct-{i % Accounts}", "treasury:hot"))));
    results.Add(("baseline uniform (row locks)", await Load.RunAsync(transfersPerScenario, concurrency, i =>
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
        Console.WriteLine($"| {name} | {result.PerSecond:N0} | {result.P50Ms:0.0} | {result.P99Ms:0.0} |");
    }
    Console.WriteLine($"| hot at half the peak ({halfPeak:N0}/s offered) | {paced.PerSecond:N0} | {paced.P50Ms:0.0} | {paced.P99Ms:0.0} |");
    var hotRatio = results[0].Result.PerSecond / results[4].Result.PerSecond;
    var uniformRatio = results[1].Result.PerSecond / results[5].Result.PerSecond;
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
