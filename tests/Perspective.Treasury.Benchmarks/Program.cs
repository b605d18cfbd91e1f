using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Perspective.Contracts.Events.Registry.V1;
using Perspective.Contracts.Events.SubDao.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Ledger;
using Perspective.Testing;
using Perspective.Treasury;
using Perspective.Treasury.Domain;

// One DistributeRewards to many holders through treasury + ledger in this process, with production durability (fsync on):
// holders set up through the Ledger's TransferBatch, the treasury funded, the execution request published, timed from
// publish to COMPLETED, then the lines and every holder's Ledger balance checked against an independent computation.
// Usage: dotnet run -c Release --project tests/Perspective.Treasury.Benchmarks -- [holders] [batch size]
var holderCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var batchSize = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : new TreasuryOptions().DistributionBatchSize;
const long Amount = 987_654_321_012_345; // awkward on purpose: no holder's share is a round number
const long Funding = Amount + 1_000_000;
var modelId = Guid.NewGuid();
var token = "BENCH";
var treasuryAccount = TreasuryRules.TreasuryAccount(modelId);

Console.WriteLine($"treasury benchmark: one distribution to {holderCount:N0} holders, {batchSize} legs per Ledger batch, fsync on");
var infrastructure = new TestInfrastructure { DurablePostgres = true };
await infrastructure.InitializeAsync();
try
{
    var broker = await infrastructure.RabbitMq.CreateVirtualHostAsync("bench");
    var quiet = new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Error" };
    await using var ledger = await ServiceUnderTest.StartAsync(LedgerHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("ledger"),
        settings: new Dictionary<string, string?>(quiet)
        {
            ["Ledger:Genesis:Code"] = "POV",
            ["Ledger:Genesis:Allocations:0:Account"] = "reserve",
            ["Ledger:Genesis:Allocations:0:Amount"] = Funding.ToString(CultureInfo.InvariantCulture),
        }, broker: broker);
    var ledgerClient = new LedgerService.LedgerServiceClient(ledger.Channel);
    var service = TestTokens.Bearer("bench", "service");
    await Eventually.WaitAsync(async () => (await ledgerClient.GetHeadAsync(new GetHeadRequest(), service)).Sequence, s => s >= 1, TimeSpan.FromSeconds(30), "genesis");
    await using var treasury = await ServiceUnderTest.StartAsync(TreasuryHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("treasury"),
        settings: new Dictionary<string, string?>(quiet)
        {
            ["Services:Ledger"] = ledger.Address,
            ["Treasury:DistributionBatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
        }, broker: broker);
    var treasuryClient = new TreasuryService.TreasuryServiceClient(treasury.Channel);
    await using var bus = await TestBus.StartAsync(broker);

    // Holders: varied balances, mixed-case names (ordinal order matters), handed out by the creator in Ledger batches.
    var holders = Enumerable.Range(0, holderCount)
        .Select(i => (Account: $"{(i % 3 == 0 ? "H" : "h")}older-{i:D6}", Balance: 1_000_000L + ((i * 7_919L) % 1_000_003L)))
        .ToList();
    var supply = holders.Sum(h => h.Balance);
    await ledgerClient.CreateAssetAsync(new CreateAssetRequest
    {
        RequestId = Guid.NewGuid().ToString(),
        Code = token,
        Name = "bench token",
        Decimals = 6,
        TotalSupply = supply,
        InitialHolderAccount = "creator",
    }, service);
    var setup = Stopwatch.StartNew();
    foreach (var (chunk, n) in holders.Chunk(1000).Select((c, n) => (c, n)))
    {
        var batch = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
        batch.Legs.AddRange(chunk.Select(h => new TransferLeg
        {
            TransferId = Guid.NewGuid().ToString(),
            FromAccount = "creator",
            ToAccount = h.Account,
            Asset = token,
            Amount = h.Balance,
        }));
        await ledgerClient.TransferBatchAsync(batch, service);
        if ((n + 1) % 10 == 0)
        {
            Console.WriteLine($"  set up {(n + 1) * 1000:N0} holders ({setup.Elapsed.TotalSeconds:0.0} s)");
        }
    }
    await ledgerClient.TransferAsync(new TransferRequest
    {
        RequestId = Guid.NewGuid().ToString(),
        FromAccount = "reserve",
        ToAccount = treasuryAccount,
        Asset = "POV",
        Amount = Funding,
        Memo = "funding",
    }, service);
    await bus.PublishAsync(new ModelRegistered(modelId.ToString("D"), "bench model", "creator", "provider", token, 6, supply, 1, PriceUnit.Request,
        ModelStatus.Listed, DateTimeOffset.UtcNow));
    await Eventually.WaitAsync(async () =>
    {
        try
        {
            return (await treasuryClient.GetTreasuryAsync(new GetTreasuryRequest { ModelId = modelId.ToString("D") }, service)).Treasury.Balance;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return 0;
        }
    }, balance => balance == Funding, TimeSpan.FromSeconds(30), "the treasury opened and funded");
    var snapshot = (await ledgerClient.GetHeadAsync(new GetHeadRequest(), service)).Sequence;
    Console.WriteLine($"set up {holderCount:N0} holders of {supply:N0} {token} base units in {setup.Elapsed.TotalSeconds:0.0} s; snapshot at sequence {snapshot}");

    // The measured part: publish → COMPLETED.
    const string Proposal = "bench-proposal";
    var distributionId = DerivedIds.Distribution(Proposal, 0).ToString("D");
    var clock = Stopwatch.StartNew();
    await bus.PublishAsync(new ProposalExecutionRequested(Proposal, modelId.ToString("D"), snapshot,
        [new SubDaoAction(0, SubDaoActionKind.DistributeRewards, AmountBaseUnits: Amount)], DateTimeOffset.UtcNow));
    double? payingAt = null;
    var lastPrint = TimeSpan.Zero;
    Distribution distribution;
    while (true)
    {
        try
        {
            distribution = (await treasuryClient.GetDistributionAsync(new GetDistributionRequest { DistributionId = distributionId }, service)).Distribution;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            distribution = new Distribution { Status = DistributionStatus.Unspecified };
        }
        if (distribution.Status == DistributionStatus.Paying && payingAt is null)
        {
            payingAt = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"  {payingAt:0.00} s: lines computed and stored ({distribution.LineCount:N0} lines, digest {distribution.LinesDigest})");
        }
        if (distribution.Status is DistributionStatus.Completed or DistributionStatus.Failed)
        {
            break;
        }
        if (clock.Elapsed - lastPrint >= TimeSpan.FromSeconds(2))
        {
            lastPrint = clock.Elapsed;
            Console.WriteLine($"  {clock.Elapsed.TotalSeconds:0.0} s: {distribution.Status}, {distribution.LinesPaid:N0} lines paid");
        }
        if (clock.Elapsed > TimeSpan.FromMinutes(10))
        {
            throw new TimeoutException("the distribution did not complete within 10 minutes");
        }
        await Task.Delay(50);
    }
    var seconds = clock.Elapsed.TotalSeconds;
    if (distribution.Status != DistributionStatus.Completed)
    {
        throw new InvalidOperationException($"the distribution failed: {distribution.FailureReason}");
    }

    // Verification: the lines against an independent computation, their sum, and every holder's POV at the Ledger.
    var lines = new List<DistributionLine>(holderCount);
    var pageToken = "";
    do
    {
        var page = await treasuryClient.ListDistributionLinesAsync(new ListDistributionLinesRequest { DistributionId = distributionId, PageSize = 1000, PageToken = pageToken }, service);
        lines.AddRange(page.Lines);
        pageToken = page.NextPageToken;
    }
    while (pageToken.Length > 0);
    var expected = RewardSplit.Compute(Amount, holders.Select(h => new Holding(h.Account, h.Balance)).ToList());
    var linesMatch = lines.Count == expected.Count
        && lines.Zip(expected).All(p => p.First.HolderAccount == p.Second.Holder && p.First.Share == p.Second.Share && p.First.Paid);
    var lineSum = lines.Sum(l => (decimal)l.Share);
    var povByHolder = new Dictionary<string, long>(StringComparer.Ordinal);
    var head = (await ledgerClient.GetHeadAsync(new GetHeadRequest(), service)).Sequence;
    pageToken = "";
    do
    {
        var page = await ledgerClient.ListHoldersAsync(new ListHoldersRequest { Asset = "POV", Sequence = head, PageSize = 1000, PageToken = pageToken }, service);
        foreach (var holder in page.Holders)
        {
            povByHolder[holder.Account] = holder.Balance;
        }
        pageToken = page.NextPageToken;
    }
    while (pageToken.Length > 0);
    var balancesMatch = expected.All(l => povByHolder.GetValueOrDefault(l.Holder) == l.Share);
    var treasuryLeft = (await ledgerClient.GetBalanceAsync(new GetBalanceRequest { Account = treasuryAccount, Asset = "POV" }, service)).Balance.Total;
    var verify = await ledgerClient.VerifyJournalAsync(new VerifyJournalRequest(), service);

    Console.WriteLine();
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}");
    Console.WriteLine($"distribution of {Amount:N0} POV base units to {lines.Count:N0} holders: {seconds:0.0} s from publish to COMPLETED " +
        $"({payingAt:0.0} s to read the holders and store the lines, {seconds - payingAt:0.0} s to pay {Math.Ceiling(lines.Count / (double)batchSize):N0} Ledger batches)");
    Console.WriteLine($"sum of lines = amount: {lineSum == Amount} ({lineSum:N0}); lines = recomputed from the holders: {linesMatch}; " +
        $"every holder's Ledger POV = its share: {balancesMatch}; treasury left {treasuryLeft:N0} (expected {Funding - Amount:N0}); journal verified: {verify.Valid}");
    if (lineSum != Amount || !linesMatch || !balancesMatch || treasuryLeft != Funding - Amount || !verify.Valid)
    {
        Environment.ExitCode = 1;
    }
}
finally
{
    await infrastructure.DisposeAsync();
}
