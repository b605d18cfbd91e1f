using Grpc.Core;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Tests;

public sealed class DistributionTests(TestInfrastructure infrastructure) : TreasuryTestBase(infrastructure)
{
    // Small batches, so that every distribution here pays in several Ledger batches.
    protected override Dictionary<string, string?> TreasurySettings => new() { ["Treasury:DistributionBatchSize"] = "3" };

    public static TheoryData<string, long, int, long[]> Awkward => new()
    {
        { "amount 1 among equal holders", 1, 6, [5, 5, 5] },
        { "amount smaller than the number of holders", 5, 6, [1, 2, 3, 4, 5, 6, 7, 8] },
        { "one holder", 12_345, 6, [7] },
        { "9 decimals and a large supply", 777_777_777_777, 9, [4_000_000_000_000_000_000, 3_000_000_000_000_000_000, 1_999_999_999_999_999_999, 1, 1_000_000_000] },
        { "balances near long.MaxValue / holders", 999_999_999_999_999, 6, [.. Enumerable.Range(0, 7).Select(i => long.MaxValue / 7 - i)] },
    };

    [Theory]
    [MemberData(nameof(Awkward))]
    public async Task Distribution_with_awkward_numbers_pays_shares_that_sum_exactly_to_the_amount(string name, long amount, int decimals, long[] balances)
    {
        var tag = Tag();
        // Mixed case: ordinal order ("Z…" before "a…") differs from a culture-aware one.
        var holders = balances.Select((b, i) => (Account: i % 2 == 0 ? $"Z{i}-{tag}" : $"a{i}-{tag}", Balance: b)).ToList();
        // The creator keeps two units and puts them in treasury accounts, which never earn rewards: this model's and another's.
        var model = await NewModelAsync(holders, decimals, supply: holders.Sum(h => h.Balance) + 2);
        await MoveTokensAsync(model, model.Creator, [(model.TreasuryAccount, 1), ($"treasury:{Guid.NewGuid()}", 1)]);
        await FundTreasuryAsync(model, amount + 1_000);
        var snapshot = await HeadAsync();
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();

        await Bus.PublishAsync(Execution(model, $"proposal-{tag}", snapshot, Distribute(0, amount)));
        var distribution = await WaitDistributionAsync($"proposal-{tag}", 0, DistributionStatus.Completed);
        var answer = await executed.WaitForAsync(e => e.ProposalId == $"proposal-{tag}");

        var expected = ExpectedSplit.Of(amount, holders);
        var lines = await AllLinesAsync(distribution.DistributionId, pageSize: 2);
        Assert.Equal(expected.Select(e => (e.Holder, e.Balance, e.Share, e.RemainderUnit)), lines.Select(l => (l.HolderAccount, l.HolderBalance, l.Share, l.RemainderUnit)));
        Assert.Equal(amount, lines.Sum(l => (decimal)l.Share));
        Assert.All(lines, l => Assert.True(l.Paid, name));
        Assert.All(lines, l => Assert.Equal(l.Share > 0 ? DerivedIds.DistributionLeg(Guid.Parse(distribution.DistributionId), l.HolderAccount).ToString("D") : "", l.LedgerTransferId));
        foreach (var line in expected)
        {
            Assert.Equal(line.Share, await PovAsync(line.Holder));
        }
        Assert.Equal(1_000, await PovAsync(model.TreasuryAccount));
        Assert.Equal((amount, amount, (long)expected.Count, (long)expected.Count), (distribution.Amount, distribution.AmountPaid, distribution.LineCount, distribution.LinesPaid));
        Assert.Equal(holders.Sum(h => (decimal)h.Balance), distribution.SupplyHeld);
        Assert.Equal((model.Token, snapshot), (distribution.TokenAsset, distribution.SnapshotSequence));
        Assert.Equal(ExpectedSplit.Digest(expected), distribution.LinesDigest);
        Assert.Equal(Start, distribution.CompletedAt.ToDateTimeOffset());
        Assert.Contains(distribution.LinesDigest, answer.Detail);
        var treasury = (await Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Treasury;
        Assert.Equal((amount, 0L, 1_000L), (treasury.Distributed, treasury.Pending, treasury.Balance));
    }

    [Fact]
    public async Task Tokens_moved_after_the_snapshot_do_not_change_the_lines()
    {
        var tag = Tag();
        var holders = new List<(string Account, long Balance)> { ($"a-{tag}", 600), ($"b-{tag}", 300), ($"c-{tag}", 100) };
        var model = await NewModelAsync(holders);
        await FundTreasuryAsync(model, 1_000);
        var snapshot = await HeadAsync();
        // After the snapshot: a gives everything to a newcomer, c to b.
        await MoveTokensAsync(model, $"a-{tag}", [($"new-{tag}", 600)]);
        await MoveTokensAsync(model, $"c-{tag}", [($"b-{tag}", 100)]);

        await Bus.PublishAsync(Execution(model, $"proposal-{tag}", snapshot, Distribute(0, 1_000)));
        var distribution = await WaitDistributionAsync($"proposal-{tag}", 0, DistributionStatus.Completed);

        var lines = await AllLinesAsync(distribution.DistributionId);
        Assert.Equal([($"a-{tag}", 600L, 600L), ($"b-{tag}", 300L, 300L), ($"c-{tag}", 100L, 100L)], lines.Select(l => (l.HolderAccount, l.HolderBalance, l.Share)));
        Assert.Equal(0, await PovAsync($"new-{tag}"));
        Assert.Equal(600, await PovAsync($"a-{tag}"));
    }

    [Fact]
    public async Task A_distribution_the_treasury_cannot_cover_fails_with_the_reason_and_pays_nobody()
    {
        var tag = Tag();
        var model = await NewModelAsync([($"a-{tag}", 10), ($"b-{tag}", 10)]);
        await FundTreasuryAsync(model, 99);
        var snapshot = await HeadAsync();
        var failed = await Bus.ObserveAsync<ProposalActionFailed>();

        await Bus.PublishAsync(Execution(model, $"proposal-{tag}", snapshot, Distribute(1, 100)));
        var answer = await failed.WaitForAsync(e => e.ProposalId == $"proposal-{tag}");
        var distribution = await WaitDistributionAsync($"proposal-{tag}", 1, DistributionStatus.Failed);

        Assert.Equal("treasury balance: have 99 POV available, need 100, 0 reserved for distributions in progress", answer.Reason);
        Assert.Equal((answer.Reason, 0L, 0L, 0L, ""), (distribution.FailureReason, distribution.LineCount, distribution.LinesPaid, distribution.AmountPaid, distribution.LinesDigest));
        Assert.Equal(99, await PovAsync(model.TreasuryAccount));
        Assert.Equal(0, await PovAsync($"a-{tag}"));
        Assert.Empty(await AllLinesAsync(distribution.DistributionId));
        var failedOnes = await Client.ListDistributionsAsync(new ListDistributionsRequest { ModelId = model.ModelId, Status = DistributionStatus.Failed },
            As("anyone"), cancellationToken: Ct);
        Assert.Equal([distribution.DistributionId], failedOnes.Distributions.Select(d => d.DistributionId));
        Assert.Empty((await Client.ListDistributionsAsync(new ListDistributionsRequest { ModelId = model.ModelId, Status = DistributionStatus.Completed },
            As("anyone"), cancellationToken: Ct)).Distributions);
    }

    [Fact]
    public async Task A_distribution_without_holders_other_than_treasuries_fails_and_pays_nothing()
    {
        var tag = Tag();
        // Every token sits in the treasury itself: nobody to reward.
        var model = await NewModelAsync([($"treasury:{Guid.NewGuid()}", 50)]);
        await FundTreasuryAsync(model, 10);
        var failed = await Bus.ObserveAsync<ProposalActionFailed>();

        await Bus.PublishAsync(Execution(model, $"proposal-{tag}", await HeadAsync(), Distribute(0, 5)));
        var answer = await failed.WaitForAsync(e => e.ProposalId == $"proposal-{tag}");

        Assert.Equal($"no holders of {model.Token} at snapshot {(await WaitDistributionAsync($"proposal-{tag}", 0, DistributionStatus.Failed)).SnapshotSequence}", answer.Reason);
        Assert.Equal(10, await PovAsync(model.TreasuryAccount));
    }

    [Fact]
    public async Task Distributions_are_listed_newest_first_and_unknown_ones_are_not_found()
    {
        var tag = Tag();
        var model = await NewModelAsync([($"a-{tag}", 1)]);
        await FundTreasuryAsync(model, 10);
        var snapshot = await HeadAsync();
        await Bus.PublishAsync(Execution(model, $"first-{tag}", snapshot, Distribute(0, 1)));
        await WaitDistributionAsync($"first-{tag}", 0, DistributionStatus.Completed);
        await Bus.PublishAsync(Execution(model, $"second-{tag}", snapshot, Distribute(0, 2), Distribute(1, 3)));
        await WaitDistributionAsync($"second-{tag}", 1, DistributionStatus.Completed);

        var all = await Client.ListDistributionsAsync(new ListDistributionsRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct);

        Assert.Equal([3L, 2L, 1L], all.Distributions.Select(d => d.Amount));
        Assert.Equal(6, await PovAsync($"a-{tag}"));
        var error = await RejectedAsync(Client.GetDistributionAsync(new GetDistributionRequest { DistributionId = Guid.NewGuid().ToString() }, As("anyone"), cancellationToken: Ct));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        var lines = await RejectedAsync(Client.ListDistributionLinesAsync(new ListDistributionLinesRequest { DistributionId = Guid.NewGuid().ToString() }, As("anyone"), cancellationToken: Ct));
        Assert.Equal(StatusCode.NotFound, lines.StatusCode);
    }
}
