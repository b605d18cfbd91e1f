using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.Treasury.Data;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Commands;

/// <summary>
/// Carries out one TreasurySpend: one Ledger transfer from <c>treasury:&lt;model&gt;</c> whose id is the payout id (derived
/// from the proposal action), so however often it runs the Ledger pays once. Refused (FAILED, nothing moved) when the
/// spend is invalid or the treasury cannot cover it without touching what distributions in progress still owe.
/// Once a Transfer has been sent, only the Ledger may refuse it: a copy whose answer was lost may still commit, and the
/// local balance would then show the payout's own debit. The identical Transfer is sent again instead (the Ledger
/// replays a committed id); a refusal counts once no unanswered copy can still reach the Ledger's writer.
/// </summary>
public sealed partial class SpendJob(
    NpgsqlDataSource dataSource,
    PayoutStore payouts,
    DistributionStore distributions,
    ITreasuryLedger ledger,
    ProposalAnswers answers,
    TreasuryMetrics metrics,
    IOptions<TreasuryOptions> options,
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
        // A run that committed at the Ledger and stopped before recording it: the balance has moved already, so look first.
        if (await FoundAsync(payout, ct))
        {
            return JobOutcome.Done;
        }
        if (payout.AttemptedAt is null && await RefusedBeforeSendingAsync(payout, ct))
        {
            return JobOutcome.Done;
        }
        return await SendAsync(payout, ct);
    }

    /// <summary>Nothing was ever sent for this payout, so the rules and the local balance may refuse it.</summary>
    private async Task<bool> RefusedBeforeSendingAsync(PayoutRow payout, CancellationToken ct)
    {
        if (TreasuryRules.SpendRefusal(payout.ModelId, payout.RecipientAccount, payout.Amount) is { } refusal)
        {
            await FailAsync(payout, refusal, ct);
            return true;
        }
        var balance = await ledger.BalanceAsync(TreasuryRules.TreasuryAccount(payout.ModelId), TreasuryRules.Pov, ct);
        var reserved = await distributions.ReservedAsync(payout.ModelId, payout.Position, ct);
        if (balance.Available - reserved >= payout.Amount)
        {
            return false;
        }
        // Look once more: a transfer under this id (sent by another executor meanwhile) would explain the balance.
        if (!await FoundAsync(payout, ct))
        {
            await FailAsync(payout, TreasuryRules.BalanceShort(balance.Available, payout.Amount, reserved), ct);
        }
        return true;
    }

    /// <summary>Sends the payout's Transfer (always the same id and content) and records what the Ledger answered.</summary>
    private async Task<JobOutcome> SendAsync(PayoutRow payout, CancellationToken ct)
    {
        if (await payouts.MarkSendingAsync(payout.PayoutId, ct) is not { } sending)
        {
            return JobOutcome.Done;
        }
        var (sentAt, previous) = sending;
        Transfer transfer;
        try
        {
            transfer = await ledger.TransferAsync(TransferOf(payout), ct);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
        {
            // Answered, so this copy is not in flight. The Ledger's writer takes requests in arrival order and a later
            // copy replays an earlier one, but a lost copy can still be on its way into the writer until its deadline.
            await payouts.AnsweredAsync(payout.PayoutId, sentAt, previous, ct);
            var window = TimeSpan.FromSeconds(options.Value.SpendResendWindowSeconds);
            if (ex.StatusCode == StatusCode.FailedPrecondition && previous is { } unanswered && sentAt - unanswered < window)
            {
                LogRefusalNotFinal(logger, payout.PayoutId, unanswered, ex.Status.Detail);
                return JobOutcome.RetryLater;
            }
            if (await FoundAsync(payout, ct))
            {
                return JobOutcome.Done;
            }
            var reason = ex.StatusCode == StatusCode.InvalidArgument
                ? $"the Ledger refused the transfer: {ex.Status.Detail}"
                : TreasuryRules.BalanceShort((await ledger.BalanceAsync(TreasuryRules.TreasuryAccount(payout.ModelId), TreasuryRules.Pov, ct)).Available,
                    payout.Amount, await distributions.ReservedAsync(payout.ModelId, payout.Position, ct));
            await FailAsync(payout, reason, ct);
            return JobOutcome.Done;
        }
        await PaidAsync(payout, transfer, ct);
        return JobOutcome.Done;
    }

    /// <summary>Records the payout PAID if the Ledger has its transfer; false if it has none.</summary>
    private async Task<bool> FoundAsync(PayoutRow payout, CancellationToken ct)
    {
        if (await ledger.FindTransferAsync(payout.PayoutId.ToString("D"), ct) is not { } transfer)
        {
            return false;
        }
        await PaidAsync(payout, transfer, ct);
        return true;
    }

    private static TransferRequest TransferOf(PayoutRow payout) => new()
    {
        RequestId = payout.PayoutId.ToString("D"),
        FromAccount = TreasuryRules.TreasuryAccount(payout.ModelId),
        ToAccount = payout.RecipientAccount,
        Asset = TreasuryRules.Pov,
        Amount = payout.Amount,
        Memo = TreasuryRules.Memo(payout.Purpose),
    };

    private async Task PaidAsync(PayoutRow payout, Transfer transfer, CancellationToken ct)
    {
        // The Ledger's word under this id must be this payout; anything else is a broken invariant to look into, not paid.
        var expected = TransferOf(payout);
        if (transfer.FromAccount != expected.FromAccount || transfer.ToAccount != expected.ToAccount || transfer.Asset != expected.Asset
            || transfer.Amount != expected.Amount)
        {
            LogMismatch(logger, payout.PayoutId, transfer.TransferId, transfer.Amount, transfer.Asset, transfer.FromAccount, transfer.ToAccount);
            throw new InvalidOperationException($"payout {payout.PayoutId}: the Ledger's transfer {transfer.TransferId} is not this payout");
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        if (!await payouts.MarkPaidAsync(tx, payout.PayoutId, transfer.TransferId, transfer.Receipt.Sequence, transfer.Receipt.Hash, now, ct))
        {
            return;
        }
        await answers.ExecutedAsync(tx, payout.DaoId, payout.ProposalId, payout.ActionIndex,
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
        await answers.FailedAsync(tx, payout.DaoId, payout.ProposalId, payout.ActionIndex, reason, now, ct);
        await tx.CommitAsync(ct);
        metrics.Payout(PayoutRow.Failed);
        LogRefused(logger, payout.PayoutId, payout.ProposalId, reason);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Payout {PayoutId}: the Ledger refused it, but a copy sent at {UnansweredAt} got no answer and may still arrive; retried later: {Detail}")]
    private static partial void LogRefusalNotFinal(ILogger logger, Guid payoutId, DateTime unansweredAt, string detail);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Payout {PayoutId}: the Ledger's transfer {TransferId} ({Amount} {Asset} from {From} to {To}) does not match the payout; it stays pending")]
    private static partial void LogMismatch(ILogger logger, Guid payoutId, string transferId, long amount, string asset, string from, string to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Payout {PayoutId} of proposal {ProposalId} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, Guid payoutId, string proposalId, string reason);
}
