using Microsoft.Extensions.DependencyInjection;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Tests;

/// <summary>
/// A Ledger in front of the real one that lets <paramref name="batchesThrough"/> TransferBatch calls through and holds the
/// next one (before it reaches the Ledger) until the test opens <see cref="Gate"/>: a distribution caught mid-way.
/// </summary>
public sealed class GatedLedger(ITreasuryLedger inner, int batchesThrough) : DelegatingLedger(inner)
{
    private int batches;

    /// <summary>Completes when a batch is waiting at the gate.</summary>
    public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Batches => batches;

    public override async Task<TransferBatchResponse> TransferBatchAsync(TransferBatchRequest request, CancellationToken ct)
    {
        if (Interlocked.Increment(ref batches) > batchesThrough)
        {
            Waiting.TrySetResult();
            await Gate.Task.WaitAsync(ct);
        }
        return await Inner.TransferBatchAsync(request, ct);
    }
}

/// <summary>Governance attack: the execution request of a distribution delivered again while the distribution is paying.</summary>
public sealed class RedeliveryAttackTests(TestInfrastructure infrastructure) : TreasuryTestBase(infrastructure)
{
    protected override Dictionary<string, string?> TreasurySettings => new() { ["Treasury:DistributionBatchSize"] = "3" };

    [Fact]
    public async Task A_distribution_redelivered_while_it_pays_is_one_distribution_paying_each_holder_once()
    {
        var tag = Tag();
        var holders = Enumerable.Range(0, 10).Select(i => (Account: $"h{i}-{tag}", Balance: (long)(1_000 + (i * 7)))).ToList();
        var model = await NewModelAsync(holders);
        const long Amount = 100_003;
        await FundTreasuryAsync(model, Amount + 77);
        var snapshot = await HeadAsync();
        await TreasuryService.DisposeAsync();
        GatedLedger? gated = null;
        await StartTreasuryAsync(builder => builder.Services.AddSingleton<ITreasuryLedger>(services =>
            gated = new GatedLedger(new TreasuryLedger(services), batchesThrough: 2)));
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();
        var request = Execution(model, $"proposal-{tag}", snapshot, Distribute(0, Amount));

        await Bus.PublishAsync(request);
        await Eventually.WaitAsync(() => Task.FromResult(gated), g => g is not null, TimeSpan.FromSeconds(30), "the executor's Ledger");
        await gated!.Waiting.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var midway = await WaitDistributionAsync($"proposal-{tag}", 0, DistributionStatus.Paying);
        Assert.Equal(6, midway.LinesPaid);

        // The same request again, under a new message id, while the third batch waits at the gate.
        await Bus.PublishAsync(request);
        await WaitExecutionsConsumedAsync(2);
        gated.Gate.SetResult();
        var done = await WaitDistributionAsync($"proposal-{tag}", 0, DistributionStatus.Completed);

        var expected = ExpectedSplit.Of(Amount, holders);
        Assert.Equal((Amount, (long)holders.Count, ExpectedSplit.Digest(expected)), (done.AmountPaid, done.LinesPaid, done.LinesDigest));
        var distributions = (await Client.ListDistributionsAsync(new ListDistributionsRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct))
            .Distributions;
        Assert.Equal(done.DistributionId, Assert.Single(distributions).DistributionId);
        foreach (var line in expected)
        {
            Assert.Equal(line.Share, await PovAsync(line.Holder));
        }
        Assert.Equal(77, await PovAsync(model.TreasuryAccount));
        // Four batches of three lines for ten holders, each sent once.
        Assert.Equal(4, gated.Batches);
        var outgoing = (await Ledger.ListTransfersAsync(new ListTransfersRequest { Account = model.TreasuryAccount, Asset = "POV", PageSize = 1000 },
            As("anyone"), cancellationToken: Ct)).Transfers.Where(t => t.FromAccount == model.TreasuryAccount).ToList();
        Assert.Equal(holders.Select(h => h.Account).Order(StringComparer.Ordinal), outgoing.Select(t => t.ToAccount).Order(StringComparer.Ordinal));
        await executed.WaitForAsync(e => e.ProposalId == $"proposal-{tag}");
        Assert.Equal(1, await OutboxCountAsync<ProposalActionExecuted>());
    }
}
