using Microsoft.Extensions.Options;
using Perspective.Contracts.Ledger.V1;
using Perspective.Treasury.Data;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Commands;

/// <summary>One payment on which the two sides disagree; <see cref="Sequence"/> orders the report.</summary>
public sealed record Difference(string Kind, string PaymentId, string LedgerTransferId, long TreasuryAmount, long LedgerAmount, long Sequence)
{
    public const string MissingInTreasury = "missing_in_treasury";
    public const string MissingInLedger = "missing_in_ledger";
    public const string AmountMismatch = "amount_mismatch";
}

/// <summary>The outcome of one reconciliation.</summary>
public sealed record Reconciliation(
    long LedgerSequence,
    long TreasuryRevenue,
    long LedgerRevenue,
    long TreasuryPaymentCount,
    long LedgerPaymentCount,
    IReadOnlyList<Difference> Differences,
    long DifferenceCount,
    long InFlightCount,
    DateTimeOffset CheckedAt);

/// <summary>
/// Compares the revenue counted for a model with the Ledger's usage-payment credits to its treasury, up to the Ledger head
/// read at the start. Ledger side: every POV transfer to <c>treasury:&lt;model&gt;</c> that the gateway made
/// (<see cref="TreasuryRules.IsUsagePayment"/>); other credits, such as donations, are neither revenue nor differences.
/// Treasury side: the counted payments that name a Ledger transfer, at or below that head. Matched by transfer id, each
/// credit to one payment at most. A credit not counted yet but committed less than <see cref="TreasuryOptions.ReconcileGraceSeconds"/>
/// ago is in flight (its UsagePaid is on its way): left out of the Ledger side, counted in <see cref="Reconciliation.InFlightCount"/>.
/// Read-only.
/// </summary>
public sealed class Reconciler(TreasuryStore store, ITreasuryLedger ledger, IOptions<TreasuryOptions> options, TimeProvider time)
{
    /// <summary>Differences listed in one answer; the count covers them all.</summary>
    public const int DifferencesListed = 100;

    public async Task<Reconciliation> ReconcileAsync(Guid modelId, CancellationToken ct)
    {
        var head = await ledger.HeadAsync(ct);
        var treasury = TreasuryRules.TreasuryAccount(modelId);
        var credits = new Dictionary<string, (long Amount, long Sequence, DateTimeOffset CommittedAt)>(StringComparer.Ordinal);
        var request = new ListTransfersRequest { Account = treasury, Asset = TreasuryRules.Pov, ToSequence = Math.Max(head, 1), PageSize = 1000 };
        do
        {
            var page = await ledger.TransfersAsync(request, ct);
            foreach (var transfer in page.Transfers)
            {
                if (transfer.ToAccount == treasury && transfer.Asset == TreasuryRules.Pov
                    && TreasuryRules.IsUsagePayment(transfer.Kind == TransferKind.HoldPost, transfer.Memo))
                {
                    credits[transfer.TransferId] = (transfer.Amount, transfer.Receipt.Sequence, transfer.Receipt.CommittedAt.ToDateTimeOffset());
                }
            }
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);

        var counted = await store.CountedWithTransferAsync(modelId, head, ct);
        var differences = new List<Difference>();
        long treasuryRevenue = 0;
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var payment in counted)
        {
            treasuryRevenue = checked(treasuryRevenue + payment.Amount);
            if (!credits.TryGetValue(payment.LedgerTransferId, out var credit))
            {
                differences.Add(new Difference(Difference.MissingInLedger, payment.PaymentId, payment.LedgerTransferId, payment.Amount, 0, payment.LedgerSequence));
            }
            else if (!matched.Add(payment.LedgerTransferId))
            {
                // A second payment naming a credit already matched: the Ledger has no credit left for it.
                differences.Add(new Difference(Difference.MissingInLedger, payment.PaymentId, payment.LedgerTransferId, payment.Amount, 0, credit.Sequence));
            }
            else if (credit.Amount != payment.Amount)
            {
                differences.Add(new Difference(Difference.AmountMismatch, payment.PaymentId, payment.LedgerTransferId, payment.Amount, credit.Amount, credit.Sequence));
            }
        }
        long ledgerRevenue = 0;
        long ledgerPayments = 0;
        long inFlight = 0;
        var now = time.GetUtcNow();
        var graceStart = now - TimeSpan.FromSeconds(options.Value.ReconcileGraceSeconds);
        foreach (var (transferId, credit) in credits)
        {
            var isMatched = matched.Contains(transferId);
            if (!isMatched && credit.CommittedAt > graceStart)
            {
                inFlight++;
                continue;
            }
            ledgerRevenue = checked(ledgerRevenue + credit.Amount);
            ledgerPayments++;
            if (!isMatched)
            {
                differences.Add(new Difference(Difference.MissingInTreasury, "", transferId, 0, credit.Amount, credit.Sequence));
            }
        }
        var listed = differences
            .OrderBy(d => d.Sequence)
            .ThenBy(d => d.PaymentId, StringComparer.Ordinal)
            .ThenBy(d => d.LedgerTransferId, StringComparer.Ordinal)
            .Take(DifferencesListed)
            .ToList();
        return new Reconciliation(head, treasuryRevenue, ledgerRevenue, counted.Count, ledgerPayments, listed, differences.Count, inFlight, now);
    }
}
