using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Tests;

/// <summary>
/// A Ledger in front of the real one that lets <see cref="BatchesThrough"/> TransferBatch calls through, then commits the
/// next one at the Ledger and never answers: the crash window between a Ledger commit and the stored progress.
/// </summary>
public sealed class StoppingLedger(ITreasuryLedger inner, int batchesThrough) : DelegatingLedger(inner)
{
    private int batches;

    public int BatchesThrough => batchesThrough;

    /// <summary>Completes once the batch that is never answered has committed at the Ledger.</summary>
    public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async Task<TransferBatchResponse> TransferBatchAsync(TransferBatchRequest request, CancellationToken ct)
    {
        if (Interlocked.Increment(ref batches) <= batchesThrough)
        {
            return await Inner.TransferBatchAsync(request, ct);
        }
        await Inner.TransferBatchAsync(request, ct);
        Stopped.TrySetResult();
        await Task.Delay(Timeout.Infinite, ct);
        throw new OperationCanceledException(ct);
    }
}

/// <summary>
/// A Ledger whose answers get lost: the first Transfer fails UNAVAILABLE before reaching the Ledger, and the second
/// TransferBatch commits at the Ledger but answers UNAVAILABLE, as a dropped connection would.
/// </summary>
public sealed class LossyLedger(ITreasuryLedger inner) : DelegatingLedger(inner)
{
    private int transfers;
    private int batches;

    public int Transfers => transfers;

    public int Batches => batches;

    public override async Task<Transfer> TransferAsync(TransferRequest request, CancellationToken ct) =>
        Interlocked.Increment(ref transfers) == 1
            ? throw new RpcException(new Status(StatusCode.Unavailable, "the test dropped this call"))
            : await Inner.TransferAsync(request, ct);

    public override async Task<TransferBatchResponse> TransferBatchAsync(TransferBatchRequest request, CancellationToken ct)
    {
        var response = await Inner.TransferBatchAsync(request, ct);
        return Interlocked.Increment(ref batches) == 2 ? throw new RpcException(new Status(StatusCode.Unavailable, "the test lost this answer")) : response;
    }
}

public sealed class ResumeTests(TestInfrastructure infrastructure) : TreasuryTestBase(infrastructure)
{
    private const int BatchSize = 4;

    // A test may restart the treasury with another batch size.
    private int batchSize = BatchSize;

    protected override Dictionary<string, string?> TreasurySettings => new() { ["Treasury:DistributionBatchSize"] = $"{batchSize}" };

    [Fact]
    public async Task A_distribution_stopped_halfway_resumes_after_a_restart_and_pays_everyone_exactly_once()
    {
        var tag = Tag();
        // 21 holders, the small ones with a zero share: 6 batches of 4 lines (the last one short), each with a Ledger call.
        var holders = Enumerable.Range(0, 21).Select(i => (Account: $"h{i:D2}-{tag}", Balance: (long)(i % 5 == 0 ? 1 : 1_000_000 + (i * 37)))).ToList();
        var model = await NewModelAsync(holders);
        const long Amount = 1_000_003;
        await FundTreasuryAsync(model, Amount + 500);
        var snapshot = await HeadAsync();

        // The first host: its Ledger lets two batches through and commits the third without answering.
        await TreasuryService.DisposeAsync();
        StoppingLedger? stopping = null;
        var first = await StartTreasuryAsync(builder => builder.Services.AddSingleton<ITreasuryLedger>(services =>
            stopping = new StoppingLedger(new TreasuryLedger(services), batchesThrough: 2)));
        await Bus.PublishAsync(Execution(model, $"proposal-{tag}", snapshot, Distribute(0, Amount)));
        await Eventually.WaitAsync(() => Task.FromResult(stopping), s => s is not null, TimeSpan.FromSeconds(30), "the executor's Ledger");
        await stopping!.Stopped.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        var halfway = await WaitDistributionAsync($"proposal-{tag}", 0, DistributionStatus.Paying);
        var expected = ExpectedSplit.Of(Amount, holders);
        var paidAtLedger = expected.Take(3 * BatchSize).Sum(l => l.Share);
        // Stored: two batches. At the Ledger: three (the third committed, its progress never stored).
        Assert.Equal(2 * BatchSize, halfway.LinesPaid);
        Assert.Equal(expected.Take(2 * BatchSize).Sum(l => l.Share), halfway.AmountPaid);
        Assert.Equal(Amount + 500 - paidAtLedger, await PovAsync(model.TreasuryAccount));
        await first.DisposeAsync();

        // The second host, on the same database, with the real Ledger.
        await StartTreasuryAsync();
        var done = await WaitDistributionAsync($"proposal-{tag}", 0, DistributionStatus.Completed);

        Assert.Equal((Amount, (long)holders.Count), (done.AmountPaid, done.LinesPaid));
        Assert.Equal(ExpectedSplit.Digest(expected), done.LinesDigest);
        foreach (var line in expected)
        {
            Assert.Equal(line.Share, await PovAsync(line.Holder));
        }
        Assert.Equal(500, await PovAsync(model.TreasuryAccount));
        // One Ledger transfer per holder with a share, however often its batch was sent.
        var outgoing = new List<Transfer>();
        var request = new ListTransfersRequest { Account = model.TreasuryAccount, Asset = "POV", PageSize = 1000 };
        do
        {
            var page = await Ledger.ListTransfersAsync(request, As("anyone"), cancellationToken: Ct);
            outgoing.AddRange(page.Transfers.Where(t => t.FromAccount == model.TreasuryAccount));
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);
        Assert.Equal(expected.Where(l => l.Share > 0).Select(l => l.Holder).Order(StringComparer.Ordinal), outgoing.Select(t => t.ToAccount).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_distribution_stopped_halfway_resumes_with_another_batch_size_and_pays_everyone_exactly_once()
    {
        var tag = Tag();
        var holders = Enumerable.Range(0, 17).Select(i => (Account: $"h{i:D2}-{tag}", Balance: (long)(1_000 + (i * 13)))).ToList();
        var model = await NewModelAsync(holders);
        const long Amount = 500_009;
        await FundTreasuryAsync(model, Amount);
        var snapshot = await HeadAsync();

        // Batches of 4: two recorded, the third (lines 9-12) committed at the Ledger and never recorded.
        await TreasuryService.DisposeAsync();
        StoppingLedger? stopping = null;
        var first = await StartTreasuryAsync(builder => builder.Services.AddSingleton<ITreasuryLedger>(services =>
            stopping = new StoppingLedger(new TreasuryLedger(services), batchesThrough: 2)));
        await Bus.PublishAsync(Execution(model, $"proposal-{tag}", snapshot, Distribute(0, Amount)));
        await Eventually.WaitAsync(() => Task.FromResult(stopping), s => s is not null, TimeSpan.FromSeconds(30), "the executor's Ledger");
        await stopping!.Stopped.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await first.DisposeAsync();

        // Batches of 3 now: lines 9-11 and 12-14 are new requests whose legs 9-12 replay by their transfer ids.
        batchSize = 3;
        await StartTreasuryAsync();
        var done = await WaitDistributionAsync($"proposal-{tag}", 0, DistributionStatus.Completed);

        var expected = ExpectedSplit.Of(Amount, holders);
        Assert.Equal((Amount, (long)holders.Count), (done.AmountPaid, done.LinesPaid));
        foreach (var line in expected)
        {
            Assert.Equal(line.Share, await PovAsync(line.Holder));
        }
        Assert.Equal(0, await PovAsync(model.TreasuryAccount));
        var lines = await AllLinesAsync(done.DistributionId);
        Assert.All(lines, l => Assert.True(l.Paid));
        // The legs replayed under the new batches are recorded with their original transfers.
        Assert.Equal(holders.Count, lines.Select(l => l.LedgerTransferId).Distinct().Count());
    }

    [Fact]
    public async Task Lost_ledger_answers_are_retried_later_and_nothing_is_paid_twice()
    {
        var tag = Tag();
        var holders = Enumerable.Range(0, 10).Select(i => (Account: $"h{i}-{tag}", Balance: (long)(i + 1))).ToList();
        var model = await NewModelAsync(holders);
        await FundTreasuryAsync(model, 2_000);
        var snapshot = await HeadAsync();
        await TreasuryService.DisposeAsync();
        LossyLedger? lossy = null;
        await StartTreasuryAsync(builder => builder.Services.AddSingleton<ITreasuryLedger>(services => lossy = new LossyLedger(new TreasuryLedger(services))));
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();

        // The distribution runs first (action 0); the spend decided with it waits behind it, then pays.
        await Bus.PublishAsync(Execution(model, $"proposal-{tag}", snapshot, Distribute(0, 1_001), Spend(1, $"grantee-{tag}", 999)));
        await executed.WaitForAsync(e => e.ProposalId == $"proposal-{tag}" && e.ActionIndex == 1, TimeSpan.FromSeconds(30));
        var done = await WaitDistributionAsync($"proposal-{tag}", 0, DistributionStatus.Completed);

        var expected = ExpectedSplit.Of(1_001, holders);
        foreach (var line in expected)
        {
            Assert.Equal(line.Share, await PovAsync(line.Holder));
        }
        Assert.Equal(999, await PovAsync($"grantee-{tag}"));
        Assert.Equal(0, await PovAsync(model.TreasuryAccount));
        Assert.Equal(1_001, done.AmountPaid);
        // The lost batch was sent again (and replayed by the Ledger); the dropped transfer was sent again.
        Assert.Equal(4, lossy!.Batches);
        Assert.Equal(2, lossy.Transfers);
        Assert.Equal(2, await OutboxCountAsync<ProposalActionExecuted>());
    }
}
