using Grpc.Core;
using Microsoft.Extensions.Logging;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.Treasury.Data;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Commands;

/// <summary>
/// Carries out one TreasurySpend: one Ledger transfer from <c>treasury:&lt;model&gt;</c> whose id is the payout id (derived
/// from the proposal action), so however often it runs the Ledger pays once. Refused (FAILED, nothing moved) when the
/// spend is invalid or the treasury cannot cover it without touching what distributions in progress still owe.
/// </summary>
public sealed partial class SpendJob(
    NpgsqlDataSource dataSource,
    PayoutStore payouts,
    DistributionStore distributions,
    ITreasuryLedger ledger,
    ProposalAnswers answers,
    TreasuryMetrics metrics,
    TimeProvider time,
    ILogger<SpendJob> logger)
{
    public async Task<JobOutcome> RunAsync(Guid payoutId, CancellationToken ct)
    {
        var payout = await payouts.GetAsync(payoutId, ct) ?? throw new InvalidOperationException($"payout {payoutId} not found");
        if (payout.Status != PayoutRow.Pending)
        {
            return JobOutcome.Done;
        }
        var treasury = TreasuryRules.TreasuryAccount(payout.ModelId);

        // A run that committed at the Ledger and stopped before recording it: the balance has moved already, so look first.
        if (await ledger.FindTransferAsync(payoutId.ToString("D"), ct) is { } earlier)
        {
            await PaidAsync(payout, earlier, ct);
            return JobOutcome.Done;
        }
        if (TreasuryRules.SpendRefusal(payout.ModelId, payout.RecipientAccount, payout.Amount) is { } refusal)
        {
            await FailAsync(payout, refusal, ct);
            return JobOutcome.Done;
        }
        var balance = await ledger.BalanceAsync(treasury, TreasuryRules.Pov, ct);
        var reserved = await distributions.ReservedAsync(payout.ModelId, payout.Position, ct);
        if (balance.Available - reserved < payout.Amount)
        {
            await FailAsync(payout, TreasuryRules.BalanceShort(balance.Available, payout.Amount, reserved), ct);
            return JobOutcome.Done;
        }
        Transfer transfer;
        try
        {
            transfer = await ledger.TransferAsync(new TransferRequest
            {
                RequestId = payoutId.ToString("D"),
                FromAccount = treasury,
                ToAccount = payout.RecipientAccount,
                Asset = TreasuryRules.Pov,
                Amount = payout.Amount,
                Memo = TreasuryRules.Memo(payout.Purpose),
            }, ct);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            // The balance fell between the check and the transfer (another debit): refused at the Ledger, nothing moved.
            var now = await ledger.BalanceAsync(treasury, TreasuryRules.Pov, ct);
            await FailAsync(payout, TreasuryRules.BalanceShort(now.Available, payout.Amount, reserved), ct);
            return JobOutcome.Done;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
        {
            await FailAsync(payout, $"the Ledger refused the transfer: {ex.Status.Detail}", ct);
            return JobOutcome.Done;
        }
        await PaidAsync(payout, transfer, ct);
        return JobOutcome.Done;
    }

    private async Task PaidAsync(PayoutRow payout, Transfer transfer, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        if (!await payouts.MarkPaidAsync(tx, payout.PayoutId, transfer.TransferId, transfer.Receipt.Sequence, transfer.Receipt.Hash, now, ct))
        {
            return;
        }
        await answers.ExecutedAsync(tx, payout.ModelId, payout.ProposalId, payout.ActionIndex,
            $"paid {transfer.Amount} POV from {transfer.FromAccount} to {transfer.ToAccount}, Ledger transfer {transfer.TransferId} at sequence {transfer.Receipt.Sequence}",
            now, ct);
        await tx.CommitAsync(ct);
        metrics.Payout(PayoutRow.Paid);
    }

    private async Task FailAsync(PayoutRow payout, string reason, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        if (!await payouts.MarkFailedAsync(tx, payout.PayoutId, reason, now, ct))
        {
            return;
        }
        await answers.FailedAsync(tx, payout.ModelId, payout.ProposalId, payout.ActionIndex, reason, now, ct);
        await tx.CommitAsync(ct);
        metrics.Payout(PayoutRow.Failed);
        LogRefused(logger, payout.PayoutId, payout.ProposalId, reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Payout {PayoutId} of proposal {ProposalId} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, Guid payoutId, string proposalId, string reason);
}
