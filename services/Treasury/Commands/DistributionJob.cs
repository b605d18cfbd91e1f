using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.Treasury.Data;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Commands;

/// <summary>
/// Carries out one DistributeRewards. Pending: read the holders of the model's AI token at the proposal's snapshot, check
/// the treasury can pay, split by largest remainder and store every line with the digest (→ paying), or refuse with
/// nothing paid (→ failed). Paying: pay the unpaid lines in line order in Ledger batches whose ids derive from the
/// distribution (the legs' from (distribution, holder)), storing the progress after each batch; a batch re-sent after a
/// crash replays at the Ledger, so nobody is paid twice. Last batch → completed.
/// </summary>
public sealed partial class DistributionJob(
    NpgsqlDataSource dataSource,
    DistributionStore distributions,
    TreasuryStore treasuries,
    ITreasuryLedger ledger,
    ProposalAnswers answers,
    TreasuryMetrics metrics,
    ExecutorLease lease,
    IOptions<TreasuryOptions> options,
    TimeProvider time,
    ILogger<DistributionJob> logger)
{
    /// <summary>Holders read per ListHolders page (the Ledger's maximum).</summary>
    public const int HoldersPageSize = 1000;

    /// <summary>A bound on one distribution: lines beyond it are refused rather than held in memory.</summary>
    public const int HoldersMax = 5_000_000;

    public async Task<JobOutcome> RunAsync(Guid distributionId, CancellationToken ct)
    {
        var distribution = await distributions.GetAsync(distributionId, ct) ?? throw new InvalidOperationException($"distribution {distributionId} not found");
        if (distribution.Status == DistributionRow.Pending)
        {
            var outcome = await SplitAsync(distribution, ct);
            if (outcome != JobOutcome.Done)
            {
                return outcome;
            }
            distribution = (await distributions.GetAsync(distributionId, ct))!;
        }
        return distribution.Status == DistributionRow.Paying ? await PayAsync(distribution, ct) : JobOutcome.Done;
    }

    /// <summary>Step 1 and 2: the holders, the refusal rules, the lines.</summary>
    private async Task<JobOutcome> SplitAsync(DistributionRow distribution, CancellationToken ct)
    {
        var treasury = await treasuries.GetAsync(distribution.ModelId, ct);
        if (treasury?.TokenAsset is not { } asset)
        {
            // ModelRegistered has not arrived yet (events travel in no order): the token is unknown until it does.
            LogWaitingForModel(logger, distribution.DistributionId, distribution.ModelId);
            return JobOutcome.RetryLater;
        }
        if (distribution.Amount <= 0)
        {
            await FailAsync(distribution, asset, 0, $"amount: must be positive (was {distribution.Amount})", ct);
            return JobOutcome.Done;
        }
        var holders = new List<Holding>();
        var pageToken = "";
        do
        {
            ListHoldersResponse page;
            try
            {
                page = await ledger.HoldersAsync(asset, distribution.SnapshotSequence, pageToken, HoldersPageSize, ct);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument or StatusCode.FailedPrecondition)
            {
                await FailAsync(distribution, asset, 0, $"holders of {asset} at snapshot {distribution.SnapshotSequence}: {ex.Status.Detail}", ct);
                return JobOutcome.Done;
            }
            holders.AddRange(page.Holders.Where(h => !TreasuryRules.IsExcludedHolder(h.Account)).Select(h => new Holding(h.Account, h.Balance)));
            if (holders.Count > HoldersMax)
            {
                await FailAsync(distribution, asset, 0, $"more than {HoldersMax} holders of {asset} at snapshot {distribution.SnapshotSequence}", ct);
                return JobOutcome.Done;
            }
            pageToken = page.NextPageToken;
        }
        while (pageToken.Length > 0);

        if (holders.Count == 0)
        {
            await FailAsync(distribution, asset, 0, $"no holders of {asset} at snapshot {distribution.SnapshotSequence}", ct);
            return JobOutcome.Done;
        }
        var supply = RewardSplit.SupplyHeld(holders);
        var balance = await ledger.BalanceAsync(TreasuryRules.TreasuryAccount(distribution.ModelId), TreasuryRules.Pov, ct);
        var reserved = await distributions.ReservedAsync(distribution.ModelId, distribution.Position, ct);
        if (balance.Available - reserved < distribution.Amount)
        {
            await FailAsync(distribution, asset, supply, TreasuryRules.BalanceShort(balance.Available, distribution.Amount, reserved), ct);
            return JobOutcome.Done;
        }
        var lines = RewardSplit.Compute(distribution.Amount, holders);
        var digest = RewardSplit.Digest(lines);
        await distributions.StoreLinesAsync(distribution.DistributionId, asset, supply, lines, digest, ct);
        LogSplit(logger, distribution.DistributionId, distribution.Amount, lines.Count, digest);
        return JobOutcome.Done;
    }

    /// <summary>Step 3: the batches, then completion.</summary>
    private async Task<JobOutcome> PayAsync(DistributionRow distribution, CancellationToken ct)
    {
        var batchSize = options.Value.DistributionBatchSize;
        var treasury = TreasuryRules.TreasuryAccount(distribution.ModelId);
        var memo = DerivedIds.DistributionLegMemo(distribution.DistributionId);
        var linesPaid = distribution.LinesPaid;
        while (true)
        {
            var lines = await distributions.LinesAsync(distribution.DistributionId, linesPaid, batchSize, ct);
            if (lines.Count == 0)
            {
                await CompleteAsync(distribution, ct);
                return JobOutcome.Done;
            }
            if (lines[0].LineNo != linesPaid + 1 || lines.Any(l => l.Paid))
            {
                // Another executor paid on since this one read the progress: continue from the stored progress.
                var current = (await distributions.GetAsync(distribution.DistributionId, ct))!;
                if (current.Status != DistributionRow.Paying)
                {
                    return JobOutcome.Done;
                }
                if (current.LinesPaid != linesPaid)
                {
                    linesPaid = current.LinesPaid;
                    continue;
                }
                throw new InvalidOperationException($"distribution {distribution.DistributionId}: the lines after {linesPaid} are not the unpaid ones in order");
            }
            var payments = new List<LinePayment>(lines.Count);
            var legs = lines.Where(l => l.Share > 0).ToList();
            if (legs.Count > 0)
            {
                // A long distribution must not keep paying after this replica lost the executor lock to another.
                await lease.EnsureHeldAsync(ct);
                var request = new TransferBatchRequest { RequestId = DerivedIds.DistributionBatch(distribution.DistributionId, lines[0].LineNo, lines.Count).ToString("D") };
                request.Legs.AddRange(legs.Select(l => new TransferLeg
                {
                    TransferId = DerivedIds.DistributionLeg(distribution.DistributionId, l.HolderAccount).ToString("D"),
                    FromAccount = treasury,
                    ToAccount = l.HolderAccount,
                    Asset = TreasuryRules.Pov,
                    Amount = l.Share,
                    Memo = memo,
                }));
                TransferBatchResponse response;
                try
                {
                    response = await ledger.TransferBatchAsync(request, ct);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
                {
                    // Should not happen (the amount was reserved); never fail a distribution that may have paid someone.
                    LogBatchRefused(logger, distribution.DistributionId, linesPaid, ex.Status.Detail);
                    return JobOutcome.RetryLater;
                }
                if (response.Transfers.Count != legs.Count)
                {
                    throw new InvalidOperationException($"distribution {distribution.DistributionId}: the Ledger answered {response.Transfers.Count} transfers for {legs.Count} legs");
                }
                for (var i = 0; i < legs.Count; i++)
                {
                    var transfer = response.Transfers[i];
                    if (transfer.ToAccount != legs[i].HolderAccount || transfer.Amount != legs[i].Share)
                    {
                        throw new InvalidOperationException($"distribution {distribution.DistributionId}: leg {i} came back as {transfer.Amount} to {transfer.ToAccount}");
                    }
                    payments.Add(new LinePayment(legs[i].LineNo, transfer.TransferId, transfer.Receipt.Sequence));
                }
            }
            await using (var connection = await dataSource.OpenConnectionAsync(ct))
            await using (var tx = await connection.BeginTransactionAsync(ct))
            {
                if (!await distributions.MarkPaidAsync(tx, distribution.DistributionId, linesPaid, lines, payments, ct))
                {
                    // Another executor recorded this batch (it replayed the same legs): continue from its progress.
                    var current = (await distributions.GetAsync(distribution.DistributionId, ct))!;
                    if (current.Status != DistributionRow.Paying)
                    {
                        return JobOutcome.Done;
                    }
                    linesPaid = current.LinesPaid;
                    continue;
                }
                await tx.CommitAsync(ct);
            }
            linesPaid += lines.Count;
            metrics.LinesPaid(lines.Count);
        }
    }

    private async Task CompleteAsync(DistributionRow distribution, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        if (!await distributions.MarkCompletedAsync(tx, distribution.DistributionId, now, ct))
        {
            var current = (await distributions.GetAsync(distribution.DistributionId, ct))!;
            if (current.Status == DistributionRow.Completed)
            {
                return;
            }
            throw new InvalidOperationException(
                $"distribution {distribution.DistributionId}: every line is paid but {current.LinesPaid}/{current.LineCount} lines, {current.AmountPaid}/{current.Amount} POV recorded");
        }
        await answers.ExecutedAsync(tx, distribution.DaoId, distribution.ProposalId, distribution.ActionIndex,
            $"distributed {distribution.Amount} POV to {distribution.LineCount} holders of {distribution.TokenAsset} at snapshot {distribution.SnapshotSequence}, lines digest {distribution.LinesDigest}",
            now, ct);
        await tx.CommitAsync(ct);
        metrics.Distribution(DistributionRow.Completed);
    }

    private async Task FailAsync(DistributionRow distribution, string asset, long supply, string reason, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        if (!await distributions.MarkFailedAsync(tx, distribution.DistributionId, asset, supply, reason, now, ct))
        {
            return;
        }
        await answers.FailedAsync(tx, distribution.DaoId, distribution.ProposalId, distribution.ActionIndex, reason, now, ct);
        await tx.CommitAsync(ct);
        metrics.Distribution(DistributionRow.Failed);
        LogRefused(logger, distribution.DistributionId, distribution.ProposalId, reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Distribution {DistributionId} of proposal {ProposalId} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, Guid distributionId, string proposalId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Distribution {DistributionId}: {Amount} POV split into {Lines} lines, digest {Digest}")]
    private static partial void LogSplit(ILogger logger, Guid distributionId, long amount, int lines, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Distribution {DistributionId} waits for ModelRegistered of model {ModelId} (its token is not known yet)")]
    private static partial void LogWaitingForModel(ILogger logger, Guid distributionId, Guid modelId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Distribution {DistributionId}: the Ledger refused the batch after line {LinesPaid}; it stays paying and is retried: {Detail}")]
    private static partial void LogBatchRefused(ILogger logger, Guid distributionId, long linesPaid, string detail);
}
