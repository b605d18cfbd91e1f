using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.Treasury.V1;
using GatewayPayment = Perspective.Contracts.Gateway.V1.Payment;

namespace Perspective.Audit;

/// <summary>
/// Says whether the books are right: reads the Ledger, the registry, the gateway and the treasury through their public
/// gRPC APIs (every page of every list) and each service's outbox table, and reports one <see cref="AuditCheck"/> per rule
/// (<see cref="AuditCheckNames"/>). Read-only. A check whose reads fail is reported failed with the reason; the others
/// still run. docs/RELIABILITY.md, section "Auditor", says how each check is computed.
/// </summary>
public sealed class Auditor
{
    private readonly AuditTargets targets;
    private readonly TimeProvider time;

    public Auditor(AuditTargets targets, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        this.targets = targets;
        this.time = time ?? TimeProvider.System;
    }

    public async Task<AuditReport> RunAsync(CancellationToken cancellationToken = default)
    {
        using var reader = new AuditReader(targets, cancellationToken);
        var now = time.GetUtcNow();

        // The order of the reads matters under traffic. The treasury is read before the Ledger head, so every payment it
        // counted names a transfer at or below the head; the gateway after it, and its payments beyond the head are left
        // for the next run. Each read is a task a check awaits: a failed read fails the checks that need it, not the run.
        var models = reader.ModelsAsync();
        await Settled(models);
        var treasuries = ForEachModel(models, reader.TreasuryAsync);
        await Settled(treasuries);
        var head = reader.HeadAsync();
        await Settled(head);
        var transfers = Both(models, head, (m, h) => ForEach(m, model => reader.TreasuryTransfersAsync(model.ModelId, h)));
        await Settled(transfers);
        var payments = ForEachModel(models, reader.PaymentsAsync);
        await Settled(payments);

        var cutoff = now - targets.InFlightGrace;
        var checks = new List<AuditCheck>
        {
            await Guard(AuditCheckNames.Balances, async () => await BalancesAsync(reader, await head)),
            await Guard(AuditCheckNames.Journal, async () => await JournalAsync(reader, await head)),
            await Guard(AuditCheckNames.Payments, async () => Payments(await head, await transfers, await payments, cutoff)),
            await Guard(AuditCheckNames.Revenue, async () => Revenue(await treasuries, await transfers, await payments, cutoff)),
            await Guard(AuditCheckNames.Distributions, async () => await DistributionsAsync(reader, await treasuries, await transfers)),
            await Guard(AuditCheckNames.Outbox, () => OutboxAsync(now - targets.OutboxAgeMax, cancellationToken)),
        };
        return new AuditReport(checks);
    }

    // ------------------------------------------------------------------ Σ balances per asset = 0

    /// <summary>
    /// For every asset (ListAssets), at the head: Σ of the holders' totals (ListHolders, which leaves out issuance) plus the
    /// issuance account's total (GetBalanceAt) must be 0, and the issuance account must still be −supply (docs/ledger.md,
    /// invariant 1).
    /// </summary>
    private async Task<AuditCheck> BalancesAsync(AuditReader reader, long head)
    {
        var assets = await reader.AllAsync<Asset>("ledger ListAssets", async (token, o) =>
        {
            var r = await reader.Ledger.ListAssetsAsync(new ListAssetsRequest { PageSize = 1000, PageToken = token }, o);
            return (r.Assets, r.NextPageToken);
        });
        var offenders = new Offenders(targets.OffendersListed);
        var accounts = 0L;
        var checkedAssets = 0;
        foreach (var asset in assets.Where(a => a.CreatedSequence <= head))
        {
            Int128 holders = 0;
            var listed = await reader.AllAsync<Holder>($"ledger ListHolders {asset.Code}", async (token, o) =>
            {
                var r = await reader.Ledger.ListHoldersAsync(new ListHoldersRequest { Asset = asset.Code, Sequence = head, PageSize = 1000, PageToken = token }, o);
                return (r.Holders, r.NextPageToken);
            });
            foreach (var holder in listed)
            {
                holders += holder.Balance;
            }
            accounts += listed.Count;
            var issuance = (await reader.CallAsync($"ledger GetBalanceAt {Ledgers.IssuanceAccount(asset.Code)}", o => reader.Ledger.GetBalanceAtAsync(
                new GetBalanceAtRequest { Account = Ledgers.IssuanceAccount(asset.Code), Asset = asset.Code, Sequence = head }, o))).Total;
            var sum = holders + issuance;
            if (sum != 0)
            {
                offenders.Add($"{asset.Code}: Σ = {sum} (holders {holders}, {Ledgers.IssuanceAccount(asset.Code)} {issuance})");
            }
            else if (issuance != -asset.TotalSupply)
            {
                offenders.Add($"{asset.Code}: {Ledgers.IssuanceAccount(asset.Code)} is {issuance}, supply {asset.TotalSupply}");
            }
            checkedAssets++;
        }
        return offenders.Count == 0
            ? Pass(AuditCheckNames.Balances, $"Σ = 0 for {checkedAssets} asset(s) over {accounts} holder balance(s) at sequence {head}")
            : Fail(AuditCheckNames.Balances, offenders.Describe($"of {checkedAssets} asset(s) do not sum to 0 at sequence {head}"));
    }

    // ------------------------------------------------------------------ the journal verifies

    private static async Task<AuditCheck> JournalAsync(AuditReader reader, long head)
    {
        var r = await reader.CallAsync("ledger VerifyJournal", o => reader.Ledger.VerifyJournalAsync(new VerifyJournalRequest { FromSequence = 1, ToSequence = head }, o));
        if (r.Valid)
        {
            return Pass(AuditCheckNames.Journal, $"{r.EntriesChecked} entries verified, sequences {r.FromSequence}..{r.ToSequence}");
        }
        var m = r.FirstMismatch;
        return Fail(AuditCheckNames.Journal,
            $"entry {m.Sequence}: {m.Reason} (stored hash {m.StoredHash}, recomputed {m.ExpectedHash}); {r.EntriesChecked} entries checked up to {r.ToSequence}");
    }

    // ------------------------------------------------------------------ payments ↔ Ledger transfers

    /// <summary>
    /// Per model, the gateway's payments (ListPayments by model) against the Ledger's usage credits to its treasury (up to
    /// the head): each payment names one credit of its amount and sequence, no two payments name the same credit, no
    /// payment id is listed twice, and each credit older than the grace has its payment. A free payment (amount 0) names
    /// no transfer; a payment whose transfer is beyond the head is left for the next run.
    /// </summary>
    private AuditCheck Payments(long head, IReadOnlyList<TreasuryTransfers> transfers, IReadOnlyList<(Model Model, List<GatewayPayment> Payments)> payments,
        DateTimeOffset cutoff)
    {
        var offenders = new Offenders(targets.OffendersListed);
        long matched = 0, inFlight = 0, beyondHead = 0, free = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var claimed = new Dictionary<string, string>(StringComparer.Ordinal);
        var credits = transfers.SelectMany(t => t.UsageCredits).GroupBy(t => t.TransferId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var payment in payments.SelectMany(p => p.Payments))
        {
            if (!seen.Add(payment.PaymentId))
            {
                offenders.Add($"payment {payment.PaymentId} listed twice");
                continue;
            }
            if (payment.LedgerTransferId.Length == 0)
            {
                if (payment.Amount != 0)
                {
                    offenders.Add($"payment {payment.PaymentId} of {payment.Amount} names no Ledger transfer");
                }
                else
                {
                    free++;
                }
                continue;
            }
            if (payment.LedgerSequence > head)
            {
                beyondHead++;
                continue;
            }
            if (claimed.TryGetValue(payment.LedgerTransferId, out var other))
            {
                offenders.Add($"payments {other} and {payment.PaymentId} both name Ledger transfer {payment.LedgerTransferId}");
                continue;
            }
            claimed.Add(payment.LedgerTransferId, payment.PaymentId);
            if (!credits.TryGetValue(payment.LedgerTransferId, out var credit))
            {
                offenders.Add($"payment {payment.PaymentId} ({payment.Amount} POV base units, model {payment.ModelId}) has no Ledger transfer: no usage credit {payment.LedgerTransferId} to {Ledgers.TreasuryAccount(payment.ModelId)}");
            }
            else if (credit.ToAccount != Ledgers.TreasuryAccount(payment.ModelId))
            {
                offenders.Add($"payment {payment.PaymentId} of model {payment.ModelId}: Ledger transfer {credit.TransferId} credits {credit.ToAccount}");
            }
            else if (credit.Amount != payment.Amount)
            {
                offenders.Add($"payment {payment.PaymentId}: amount {payment.Amount}, Ledger transfer {credit.TransferId} moved {credit.Amount}");
            }
            else if (credit.Receipt.Sequence != payment.LedgerSequence)
            {
                offenders.Add($"payment {payment.PaymentId}: sequence {payment.LedgerSequence}, Ledger transfer {credit.TransferId} at {credit.Receipt.Sequence}");
            }
            else
            {
                matched++;
            }
        }
        foreach (var credit in credits.Values.Where(c => !claimed.ContainsKey(c.TransferId)).OrderBy(c => c.Receipt.Sequence))
        {
            if (credit.Receipt.CommittedAt.ToDateTimeOffset() > cutoff)
            {
                inFlight++;
                continue;
            }
            offenders.Add($"Ledger transfer {credit.TransferId} ({credit.Amount} POV base units to {credit.ToAccount}, sequence {credit.Receipt.Sequence}) has no gateway payment");
        }
        var figures = $"{seen.Count} payment(s) of {payments.Count} model(s), {credits.Count} Ledger usage credit(s) at sequence {head}: {matched} matched, "
            + $"{free} free, {inFlight} credit(s) in flight, {beyondHead} beyond the head";
        return offenders.Count == 0
            ? Pass(AuditCheckNames.Payments, figures)
            : Fail(AuditCheckNames.Payments, $"{offenders.Describe("difference(s)")} — {figures}");
    }

    // ------------------------------------------------------------------ treasury revenue = Ledger payment credits

    /// <summary>
    /// Per model: the treasury's lifetime revenue (GetTreasury) equals ListRevenue's total and the sum of its days, and lies
    /// between the Ledger's usage credits older than the grace and all of them up to the head (equal when none is in
    /// flight); its payment count likewise (plus the gateway's free payments, which move nothing); ReconcileTreasury finds
    /// no difference payment by payment.
    /// </summary>
    private AuditCheck Revenue(IReadOnlyList<TreasuryView> treasuries, IReadOnlyList<TreasuryTransfers> transfers,
        IReadOnlyList<(Model Model, List<GatewayPayment> Payments)> payments, DateTimeOffset cutoff)
    {
        var offenders = new Offenders(targets.OffendersListed);
        var byModel = transfers.ToDictionary(t => t.ModelId, StringComparer.Ordinal);
        var freeByModel = payments.ToDictionary(p => p.Model.ModelId, p => (
            Old: p.Payments.LongCount(x => x.Amount == 0 && x.CreatedAt.ToDateTimeOffset() <= cutoff),
            All: p.Payments.LongCount(x => x.Amount == 0)), StringComparer.Ordinal);
        Int128 treasuryTotal = 0, ledgerTotal = 0;
        long inFlight = 0, opened = 0;
        foreach (var view in treasuries)
        {
            var credits = byModel[view.ModelId].UsageCredits;
            var old = credits.Where(c => c.Receipt.CommittedAt.ToDateTimeOffset() <= cutoff).ToList();
            Int128 ledgerAll = credits.Aggregate(Int128.Zero, (s, c) => s + c.Amount);
            Int128 ledgerOld = old.Aggregate(Int128.Zero, (s, c) => s + c.Amount);
            inFlight += credits.Count - old.Count;
            ledgerTotal += ledgerAll;
            if (view.Treasury is null)
            {
                if (old.Count > 0)
                {
                    offenders.Add($"model {view.ModelId}: no treasury, the Ledger has {old.Count} usage credit(s) of {ledgerOld} POV base units");
                }
                continue;
            }
            opened++;
            var t = view.Treasury;
            treasuryTotal += t.LifetimeRevenue;
            if (t.LifetimeRevenue != view.RevenueTotal || view.RevenueDaysSum != view.RevenueTotal)
            {
                offenders.Add($"model {view.ModelId}: lifetime revenue {t.LifetimeRevenue}, ListRevenue total {view.RevenueTotal}, its days sum to {view.RevenueDaysSum}");
            }
            if (view.RevenueDaysCount != t.PaymentCount)
            {
                offenders.Add($"model {view.ModelId}: payment count {t.PaymentCount}, ListRevenue days count {view.RevenueDaysCount}");
            }
            if (t.LifetimeRevenue < ledgerOld || t.LifetimeRevenue > ledgerAll)
            {
                offenders.Add($"model {view.ModelId}: treasury revenue {t.LifetimeRevenue} POV base units, Ledger usage credits {ledgerAll} POV base units"
                    + (ledgerAll != ledgerOld ? $" ({ledgerAll - ledgerOld} of them in flight)" : ""));
            }
            var free = freeByModel.GetValueOrDefault(view.ModelId);
            if (t.PaymentCount < old.Count + free.Old || t.PaymentCount > credits.Count + free.All)
            {
                offenders.Add($"model {view.ModelId}: treasury counted {t.PaymentCount} payment(s), the Ledger has {credits.Count} usage credit(s)"
                    + (free.All > 0 ? $" and the gateway {free.All} free payment(s)" : "")
                    + (credits.Count != old.Count ? $" ({credits.Count - old.Count} in flight)" : ""));
            }
            if (view.Reconciliation is { Matched: false } r)
            {
                var listed = string.Join(", ", r.Differences.Take(3).Select(d =>
                    $"{Kind(d.Kind)} payment {(d.PaymentId.Length > 0 ? d.PaymentId : "?")} transfer {d.LedgerTransferId} ({d.TreasuryAmount} vs {d.LedgerAmount})"));
                offenders.Add($"model {view.ModelId}: ReconcileTreasury found {r.DifferenceCount} difference(s), treasury {r.TreasuryRevenue} vs Ledger {r.LedgerRevenue}"
                    + (listed.Length > 0 ? $": {listed}" : ""));
            }
        }
        var figures = $"{opened} treasury(ies), revenue {treasuryTotal} POV base units, Ledger usage credits {ledgerTotal} POV base units ({inFlight} credit(s) in flight)";
        return offenders.Count == 0
            ? Pass(AuditCheckNames.Revenue, figures)
            : Fail(AuditCheckNames.Revenue, $"{offenders.Describe("difference(s)")} — {figures}");
    }

    private static string Kind(ReconciliationDifferenceKind kind) => kind switch
    {
        ReconciliationDifferenceKind.MissingInTreasury => "missing in treasury",
        ReconciliationDifferenceKind.MissingInLedger => "missing in Ledger",
        ReconciliationDifferenceKind.AmountMismatch => "amount mismatch",
        _ => kind.ToString(),
    };

    // ------------------------------------------------------------------ distributions

    /// <summary>
    /// Every COMPLETED distribution: as many lines as line_count, all paid, shares summing to the amount (= amount_paid),
    /// the lines digest recomputed from the lines (docs/treasury.md), and each non-zero line paid by the Ledger transfer it
    /// names: from the treasury to the holder, in POV, of its share, at its sequence. PENDING and PAYING are in progress;
    /// a FAILED one must have paid nothing.
    /// </summary>
    private async Task<AuditCheck> DistributionsAsync(AuditReader reader, IReadOnlyList<TreasuryView> treasuries, IReadOnlyList<TreasuryTransfers> transfers)
    {
        var offenders = new Offenders(targets.OffendersListed);
        var byModel = transfers.ToDictionary(t => t.ModelId, StringComparer.Ordinal);
        long completed = 0, failed = 0, lines = 0;
        var inProgress = new List<string>();
        foreach (var view in treasuries)
        {
            foreach (var (d, dLines) in view.Distributions.Select(v => (v.Distribution, v.Lines)))
            {
                switch (d.Status)
                {
                    case DistributionStatus.Completed:
                        completed++;
                        lines += dLines.Count;
                        await DistributionAsync(reader, d, dLines, byModel[view.ModelId], offenders);
                        break;
                    case DistributionStatus.Failed:
                        failed++;
                        if (d.AmountPaid != 0 || d.LinesPaid != 0)
                        {
                            offenders.Add($"distribution {d.DistributionId} FAILED but paid {d.AmountPaid} POV base units in {d.LinesPaid} line(s)");
                        }
                        break;
                    default:
                        inProgress.Add($"{d.DistributionId} {d.Status.ToString().ToUpperInvariant()} {d.LinesPaid}/{d.LineCount} lines");
                        break;
                }
            }
        }
        var figures = $"{completed} completed ({lines} lines), {failed} failed, {inProgress.Count} in progress"
            + (inProgress.Count > 0 ? $" ({string.Join(", ", inProgress.Take(targets.OffendersListed))})" : "");
        return offenders.Count == 0
            ? Pass(AuditCheckNames.Distributions, figures)
            : Fail(AuditCheckNames.Distributions, $"{offenders.Describe("difference(s)")} — {figures}");
    }

    private static async Task DistributionAsync(AuditReader reader, Distribution d, IReadOnlyList<DistributionLine> lines, TreasuryTransfers transfers, Offenders offenders)
    {
        var id = d.DistributionId;
        Int128 sum = lines.Aggregate(Int128.Zero, (s, l) => s + l.Share);
        if (sum != d.Amount)
        {
            offenders.Add($"distribution {id}: lines sum to {sum}, amount {d.Amount}");
        }
        if (lines.Count != d.LineCount || d.LinesPaid != d.LineCount || d.AmountPaid != d.Amount)
        {
            offenders.Add($"distribution {id}: {lines.Count} lines listed, line_count {d.LineCount}, lines_paid {d.LinesPaid}, amount_paid {d.AmountPaid} of {d.Amount}");
        }
        var digest = LinesDigest(lines);
        if (digest != d.LinesDigest)
        {
            offenders.Add($"distribution {id}: lines digest {d.LinesDigest}, recomputed from the lines {digest}");
        }
        foreach (var line in lines)
        {
            var where = $"distribution {id} line {line.HolderAccount}";
            if (!line.Paid)
            {
                offenders.Add($"{where}: not paid");
                continue;
            }
            if (line.Share == 0)
            {
                continue;
            }
            if (line.LedgerTransferId.Length == 0)
            {
                offenders.Add($"{where}: share {line.Share} names no Ledger transfer");
                continue;
            }
            var transfer = transfers.ById.GetValueOrDefault(line.LedgerTransferId) ?? await reader.TransferAsync(line.LedgerTransferId);
            if (transfer is null)
            {
                offenders.Add($"{where}: share {line.Share}, no Ledger transfer {line.LedgerTransferId}");
            }
            else if (transfer.FromAccount != transfers.Account || transfer.ToAccount != line.HolderAccount || transfer.Asset != Ledgers.Pov || transfer.Amount != line.Share)
            {
                offenders.Add($"{where}: share {line.Share} POV base units, Ledger transfer {transfer.TransferId} moved {transfer.Amount} {transfer.Asset} base units from {transfer.FromAccount} to {transfer.ToAccount}");
            }
            else if (transfer.Receipt.Sequence != line.LedgerSequence)
            {
                offenders.Add($"{where}: sequence {line.LedgerSequence}, Ledger transfer {transfer.TransferId} at {transfer.Receipt.Sequence}");
            }
        }
    }

    /// <summary>docs/treasury.md: SHA-256 over <c>holder TAB balance TAB share LF</c> per line, in line order, lowercase hex.</summary>
    public static string LinesDigest(IEnumerable<DistributionLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line.HolderAccount).Append('\t')
                .Append(line.HolderBalance.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(line.Share.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    // ------------------------------------------------------------------ outbox

    /// <summary>
    /// In every database given: no <c>outbox_messages</c> row unsent (sent_at null) and created before
    /// <paramref name="cutoff"/>, and none parked (the dispatcher gave up on it; an operator must look). Read-only.
    /// </summary>
    private async Task<AuditCheck> OutboxAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        if (targets.Databases.Count == 0)
        {
            return Fail(AuditCheckNames.Outbox, "no databases given");
        }
        var offenders = new Offenders(targets.OffendersListed);
        var figures = new List<string>();
        foreach (var (service, connectionString) in targets.Databases.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            try
            {
                var (unsent, stale, parked, first) = await OutboxOfAsync(connectionString, cutoff, ct);
                figures.Add($"{service} {unsent} unsent");
                foreach (var row in first)
                {
                    offenders.Add($"{service}: {row}");
                }
                // Rows beyond the ones listed still count.
                for (var i = first.Count; i < stale + parked; i++)
                {
                    offenders.Add("");
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or ArgumentException && !ct.IsCancellationRequested)
            {
                offenders.Add($"{service}: could not read outbox_messages ({ex.Message})");
                figures.Add($"{service} unreadable");
            }
        }
        var summary = $"cutoff {cutoff:yyyy-MM-ddTHH:mm:ssZ}; {string.Join(", ", figures)}";
        return offenders.Count == 0
            ? Pass(AuditCheckNames.Outbox, $"no row unsent for over {targets.OutboxAgeMax.TotalSeconds:0} s, none parked ({summary})")
            : Fail(AuditCheckNames.Outbox, $"{offenders.Describe($"row(s) unsent for over {targets.OutboxAgeMax.TotalSeconds:0} s or parked")} — {summary}");
    }

    private async Task<(long Unsent, long Stale, long Parked, List<string> First)> OutboxOfAsync(string connectionString, DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var readOnly = new NpgsqlCommand("set transaction read only", connection, tx))
        {
            await readOnly.ExecuteNonQueryAsync(ct);
        }
        long unsent, stale, parked;
        await using (var counts = new NpgsqlCommand(
            """
            select count(*),
                   count(*) filter (where parked_at is null and created_at < @cutoff),
                   count(*) filter (where parked_at is not null)
              from outbox_messages where sent_at is null
            """, connection, tx))
        {
            counts.CommandTimeout = (int)Math.Ceiling(targets.CallTimeout.TotalSeconds);
            counts.Parameters.AddWithValue("cutoff", cutoff);
            await using var r = await counts.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            (unsent, stale, parked) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
        }
        var first = new List<string>();
        if (stale + parked > 0)
        {
            await using var rows = new NpgsqlCommand(
                """
                select id, message_type, created_at, parked_at, last_error from outbox_messages
                 where sent_at is null and (parked_at is not null or created_at < @cutoff)
                 order by position limit @limit
                """, connection, tx);
            rows.Parameters.AddWithValue("cutoff", cutoff);
            rows.Parameters.AddWithValue("limit", targets.OffendersListed);
            await using var r = await rows.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var type = r.GetString(1);
                var shortType = type[(type.LastIndexOf('.') + 1)..];
                var created = r.GetFieldValue<DateTimeOffset>(2);
                first.Add(r.IsDBNull(3)
                    ? $"{shortType} {r.GetGuid(0)} unsent since {created:yyyy-MM-ddTHH:mm:ssZ}"
                    : $"{shortType} {r.GetGuid(0)} parked ({(r.IsDBNull(4) ? "no error recorded" : r.GetString(4))})");
            }
        }
        await tx.RollbackAsync(ct);
        return (unsent, stale, parked, first);
    }

    // ------------------------------------------------------------------ plumbing

    private static AuditCheck Pass(string name, string detail) => new(name, true, detail);

    private static AuditCheck Fail(string name, string detail) => new(name, false, detail);

    /// <summary>Runs a check; a read that failed (or anything it threw) fails this check only, with the reason.</summary>
    private static async Task<AuditCheck> Guard(string name, Func<Task<AuditCheck>> check)
    {
        try
        {
            return await check();
        }
        catch (AuditReadException ex)
        {
            return Fail(name, $"could not check: {ex.Message}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Fail(name, $"could not check: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Waits for a read to finish, whether it succeeded or not (the checks that await it see its outcome).</summary>
    private static Task Settled(Task task) => Task.WhenAny(task);

    private static async Task<List<TResult>> ForEach<TResult>(IReadOnlyList<Model> models, Func<Model, Task<TResult>> read)
    {
        var results = new List<TResult>(models.Count);
        foreach (var model in models)
        {
            results.Add(await read(model));
        }
        return results;
    }

    private static async Task<IReadOnlyList<TResult>> ForEachModel<TResult>(Task<List<Model>> models, Func<string, Task<TResult>> read) =>
        await ForEach(await models, m => read(m.ModelId));

    private static async Task<IReadOnlyList<(Model Model, List<GatewayPayment> Payments)>> ForEachModel(Task<List<Model>> models, Func<string, Task<List<GatewayPayment>>> read) =>
        await ForEach(await models, async m => (m, await read(m.ModelId)));

    private static async Task<IReadOnlyList<TResult>> Both<TResult>(Task<List<Model>> models, Task<long> head, Func<List<Model>, long, Task<List<TResult>>> read) =>
        await read(await models, await head);
}

/// <summary>Counts every offender and keeps the first few for the detail line.</summary>
internal sealed class Offenders(int listed)
{
    private readonly List<string> first = [];

    public int Count { get; private set; }

    public void Add(string offender)
    {
        Count++;
        if (first.Count < listed && offender.Length > 0)
        {
            first.Add(offender);
        }
    }

    public string Describe(string what) =>
        $"{Count} {what}: {string.Join("; ", first)}{(Count > first.Count ? $"; and {Count - first.Count} more" : "")}";
}
