using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;
using Perspective.Treasury.Commands;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Tests;

/// <summary>
/// A Ledger that records, for every TransferBatch, whether some session held the executor lock when it was sent, and
/// after the second batch kills the session holding it (a dropped lock connection).
/// </summary>
public sealed class LockKillingLedger(ITreasuryLedger inner, string database) : DelegatingLedger(inner)
{
    private const string HolderSql =
        "from pg_locks where locktype = 'advisory' and granted and classid = @high::bigint::oid and objid = @low::bigint::oid and objsubid = 1";

    private static readonly object Key = new { high = ExecutorLease.LockKey >>> 32, low = ExecutorLease.LockKey & 0xFFFF_FFFF };

    private int batches;

    public List<bool> LockHeldAtBatch { get; } = [];

    public override async Task<TransferBatchResponse> TransferBatchAsync(TransferBatchRequest request, CancellationToken ct)
    {
        await using var db = new NpgsqlConnection(database);
        lock (LockHeldAtBatch)
        {
            LockHeldAtBatch.Add(db.ExecuteScalar<bool>($"select exists(select 1 {HolderSql})", Key));
        }
        var response = await Inner.TransferBatchAsync(request, ct);
        if (Interlocked.Increment(ref batches) == 2)
        {
            await db.ExecuteAsync($"select pg_terminate_backend(pid) {HolderSql}", Key);
        }
        return response;
    }
}

public sealed class ExecutorTests(TestInfrastructure infrastructure) : TreasuryTestBase(infrastructure)
{
    protected override Dictionary<string, string?> TreasurySettings => new()
    {
        ["Treasury:ExecutorJobsPerPass"] = "2",
        ["Treasury:DistributionBatchSize"] = "2",
    };

    [Fact]
    public async Task A_model_whose_jobs_cannot_proceed_does_not_hold_back_another_models_spend()
    {
        // Never registered: its distributions wait for a token forever, and there are more of them than a pass reads.
        var stuck = new TestModel(Guid.NewGuid(), "TSTUCK", "creator-stuck");
        await Bus.PublishAsync(Execution(stuck, $"proposal-stuck-{Tag()}", 1, Distribute(0, 10), Distribute(1, 10), Distribute(2, 10)));
        await WaitExecutionsConsumedAsync(1);
        var model = await NewModelAsync([]);
        await FundTreasuryAsync(model, 100);
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();

        await Bus.PublishAsync(Execution(model, $"proposal-free-{model.Token}", 1, Spend(0, $"grantee-{model.Token}", 60)));
        await executed.WaitForAsync(e => e.ProposalId == $"proposal-free-{model.Token}", TimeSpan.FromSeconds(20));

        Assert.Equal(60, await PovAsync($"grantee-{model.Token}"));
        Assert.Equal(3, await TreasuryScalarAsync<int>("select count(*)::int from distributions where model_id = @id and status = 'pending'", new { id = stuck.Id }));
    }

    [Fact]
    public async Task A_distribution_stops_paying_when_the_executor_loses_its_lock_and_finishes_once_it_holds_it_again()
    {
        var tag = Tag();
        var holders = Enumerable.Range(0, 9).Select(i => (Account: $"h{i}-{tag}", Balance: (long)(i + 1))).ToList();
        var model = await NewModelAsync(holders);
        await FundTreasuryAsync(model, 1_000);
        var snapshot = await HeadAsync();
        await TreasuryService.DisposeAsync();
        LockKillingLedger? killing = null;
        await StartTreasuryAsync(builder =>
            builder.Services.AddSingleton<ITreasuryLedger>(services => killing = new LockKillingLedger(new TreasuryLedger(services), TreasuryDatabase)));

        await Bus.PublishAsync(Execution(model, $"proposal-{tag}", snapshot, Distribute(0, 1_000)));
        var done = await WaitDistributionAsync($"proposal-{tag}", 0, DistributionStatus.Completed);

        // Five batches of two lines; the lock was dropped after the second, and no batch went out without it.
        Assert.True(killing!.LockHeldAtBatch.Count >= 5, $"{killing.LockHeldAtBatch.Count} batches");
        Assert.All(killing.LockHeldAtBatch, Assert.True);
        Assert.Equal(1_000, done.AmountPaid);
        foreach (var line in ExpectedSplit.Of(1_000, holders))
        {
            Assert.Equal(line.Share, await PovAsync(line.Holder));
        }
        Assert.Equal(0, await PovAsync(model.TreasuryAccount));
    }
}
