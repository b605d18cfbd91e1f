using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Tests;

/// <summary>
/// A Ledger whose first Transfer times out (DEADLINE_EXCEEDED) while the request is still queued in the Ledger's writer:
/// it commits right after the retry's lookup found nothing, as a late copy would.
/// </summary>
public sealed class LateCommitLedger(ITreasuryLedger inner) : DelegatingLedger(inner)
{
    private TransferRequest? queued;
    private int transfers;

    public int Transfers => transfers;

    public override Task<Transfer> TransferAsync(TransferRequest request, CancellationToken ct)
    {
        if (Interlocked.Increment(ref transfers) == 1)
        {
            queued = request.Clone();
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "the test let this call time out"));
        }
        return Inner.TransferAsync(request, ct);
    }

    public override async Task<Transfer?> FindTransferAsync(string transferId, CancellationToken ct)
    {
        var found = await Inner.FindTransferAsync(transferId, ct);
        if (Interlocked.Exchange(ref queued, null) is { } late)
        {
            await Inner.TransferAsync(late, ct);
        }
        return found;
    }
}

/// <summary>A Ledger that answers a lookup with a transfer of another amount under the asked id.</summary>
public sealed class MisreportingLedger(ITreasuryLedger inner) : DelegatingLedger(inner)
{
    private int lookups;

    public int Lookups => lookups;

    public override async Task<Transfer?> FindTransferAsync(string transferId, CancellationToken ct)
    {
        Interlocked.Increment(ref lookups);
        var found = await Inner.FindTransferAsync(transferId, ct);
        if (found is null)
        {
            return null;
        }
        var wrong = found.Clone();
        wrong.Amount += 1;
        return wrong;
    }

    public override async Task<Transfer> TransferAsync(TransferRequest request, CancellationToken ct)
    {
        // Commits, then the answer is lost: the next pass finds the (misreported) transfer.
        await Inner.TransferAsync(request, ct);
        throw new RpcException(new Status(StatusCode.Unavailable, "the test lost this answer"));
    }
}

/// <summary>
/// A Ledger whose first Transfer gets no answer and never arrives, while the treasury is emptied by another debit: the
/// resends are refused, and the refusal may count only once the lost copy can no longer arrive.
/// </summary>
public sealed class DrainedLedger(ITreasuryLedger inner) : DelegatingLedger(inner)
{
    private int transfers;

    public System.Diagnostics.Stopwatch SinceLost { get; } = new();

    public int Transfers => transfers;

    public override async Task<Transfer> TransferAsync(TransferRequest request, CancellationToken ct)
    {
        if (Interlocked.Increment(ref transfers) > 1)
        {
            return await Inner.TransferAsync(request, ct);
        }
        var balance = await Inner.BalanceAsync(request.FromAccount, request.Asset, ct);
        await Inner.TransferAsync(new TransferRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = request.FromAccount,
            ToAccount = "elsewhere",
            Asset = request.Asset,
            Amount = balance.Available,
            Memo = "another debit",
        }, ct);
        SinceLost.Start();
        throw new RpcException(new Status(StatusCode.DeadlineExceeded, "the test lost this call"));
    }
}

public sealed class SpendResendTests(TestInfrastructure infrastructure) : TreasuryTestBase(infrastructure)
{
    private const int WindowSeconds = 11;

    protected override Dictionary<string, string?> TreasurySettings => new() { ["Treasury:SpendResendWindowSeconds"] = $"{WindowSeconds}" };

    [Fact]
    public async Task A_resent_spend_refused_by_the_ledger_fails_only_after_the_lost_copy_can_no_longer_arrive()
    {
        var model = await NewModelAsync([]);
        await FundTreasuryAsync(model, 300);
        var recipient = $"grantee-{Tag()}";
        await TreasuryService.DisposeAsync();
        DrainedLedger? drained = null;
        await StartTreasuryAsync(builder => builder.Services.AddSingleton<ITreasuryLedger>(services => drained = new DrainedLedger(new TreasuryLedger(services))));
        var failed = await Bus.ObserveAsync<ProposalActionFailed>();

        await Bus.PublishAsync(Execution(model, $"proposal-drained-{model.Token}", 1, Spend(0, recipient, 300)));
        var answer = await failed.WaitForAsync(e => e.ProposalId == $"proposal-drained-{model.Token}", TimeSpan.FromSeconds(60));

        // Refused by the Ledger on every resend, recorded only after the window (the database clock; a second of slack).
        Assert.True(drained!.SinceLost.Elapsed >= TimeSpan.FromSeconds(WindowSeconds - 1), $"failed after {drained.SinceLost.Elapsed}");
        Assert.True(drained.Transfers > 2, $"{drained.Transfers} sends");
        Assert.Equal("treasury balance: have 0 POV available, need 300, 0 reserved for distributions in progress", answer.Reason);
        Assert.Equal(0, await PovAsync(recipient));
        Assert.Equal(1, await OutboxCountAsync<ProposalActionFailed>());
        Assert.Equal(0, await OutboxCountAsync<ProposalActionExecuted>());
    }

    [Fact]
    public async Task A_timed_out_spend_that_commits_late_is_recorded_paid_once_not_failed()
    {
        var model = await NewModelAsync([]);
        await FundTreasuryAsync(model, 700);
        var recipient = $"grantee-{Tag()}";
        await TreasuryService.DisposeAsync();
        LateCommitLedger? late = null;
        await StartTreasuryAsync(builder => builder.Services.AddSingleton<ITreasuryLedger>(services => late = new LateCommitLedger(new TreasuryLedger(services))));
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();

        // The whole treasury: once the late copy commits, the local balance shows 0 and must not decide a refusal.
        await Bus.PublishAsync(Execution(model, $"proposal-late-{model.Token}", 1, Spend(0, recipient, 700)));
        await executed.WaitForAsync(e => e.ProposalId == $"proposal-late-{model.Token}", TimeSpan.FromSeconds(30));

        Assert.Equal(700, await PovAsync(recipient));
        Assert.Equal(0, await PovAsync(model.TreasuryAccount));
        Assert.Equal(2, late!.Transfers);
        Assert.Equal(1, await OutboxCountAsync<ProposalActionExecuted>());
        Assert.Equal(0, await OutboxCountAsync<ProposalActionFailed>());
        var payout = Assert.Single((await Client.ListPayoutsAsync(new ListPayoutsRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Payouts);
        Assert.Equal((PayoutStatus.Paid, 700L), (payout.Status, payout.Amount));
        var outgoing = (await Ledger.ListTransfersAsync(new ListTransfersRequest { Account = model.TreasuryAccount, Asset = "POV" }, As("anyone"), cancellationToken: Ct))
            .Transfers.Where(t => t.FromAccount == model.TreasuryAccount);
        Assert.Equal(payout.LedgerTransferId, Assert.Single(outgoing).TransferId);
    }

    [Fact]
    public async Task A_found_transfer_that_does_not_match_the_payout_is_not_recorded_paid()
    {
        var model = await NewModelAsync([]);
        await FundTreasuryAsync(model, 500);
        await TreasuryService.DisposeAsync();
        MisreportingLedger? misreporting = null;
        await StartTreasuryAsync(builder =>
            builder.Services.AddSingleton<ITreasuryLedger>(services => misreporting = new MisreportingLedger(new TreasuryLedger(services))));

        await Bus.PublishAsync(Execution(model, $"proposal-odd-{model.Token}", 1, Spend(0, $"grantee-{Tag()}", 200)));
        await WaitExecutionsConsumedAsync(1);
        // Looked up again and again (every pass), never recorded.
        await Eventually.WaitAsync(() => Task.FromResult(misreporting?.Lookups ?? 0), n => n >= 4, TimeSpan.FromSeconds(30), "repeated lookups");

        Assert.Equal("pending", await TreasuryScalarAsync<string>("select status from payouts"));
        Assert.Equal(0, await OutboxCountAsync<ProposalActionExecuted>());
        Assert.Equal(0, await OutboxCountAsync<ProposalActionFailed>());
    }
}
