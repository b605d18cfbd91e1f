using System.Numerics;
using Grpc.Core;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Reliability.Tests.Load;
using Perspective.Reliability.Tests.Stack;

namespace Perspective.Reliability.Tests;

/// <summary>One check of a run and what it found.</summary>
public sealed record CheckResult(string Name, bool Passed, string Detail);

/// <summary>
/// The driver's own checks against what it recorded: every acknowledged charge once at the gateway and once at the
/// Ledger, every acknowledged transfer once, every vote counted once, the distribution complete and exact, the
/// treasury's revenue the sum of the payments (no event applied twice), balances exactly what the answers imply.
/// </summary>
public sealed class DriverChecks(ChaosStack stack, LoadDriver driver, CancellationToken ct)
{
    private static Metadata Service => LoadDriver.AsService;

    private readonly List<CheckResult> results = [];

    public async Task<IReadOnlyList<CheckResult>> RunAsync()
    {
        Check("every request answered", driver.Retry.Unanswered.IsEmpty, $"{driver.Retry.Unanswered.Count} unanswered: {string.Join(", ", driver.Retry.Unanswered.Take(5))}");
        var refused = driver.Refusals.Where(r => r.Operation is "ChargeUsage" or "Transfer").ToList();
        Check("no valid charge or transfer refused", refused.Count == 0, string.Join("; ", refused.Take(5).Select(r => $"{r.Operation} {r.RequestId}: {r.Status} {r.Message}")));
        Check("a charge re-sent with its request id answers the same payment", driver.DuplicateMismatches.IsEmpty,
            $"{driver.DuplicatesSent} re-sent, mismatches: {string.Join("; ", driver.DuplicateMismatches.Take(5))}");
        await ChargesAsync();
        await TransfersAsync();
        await VotesAsync();
        await DistributionAsync();
        await TreasuryAsync();
        var journal = await driver.Ledger.VerifyJournalAsync(new VerifyJournalRequest(), Service, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: ct);
        Check("Ledger journal verifies", journal.Valid, $"{journal.EntriesChecked} entries, first mismatch: {journal.FirstMismatch}");
        var unsent = await stack.UnsentOutboxAsync();
        Check("every outbox drained", unsent.Values.All(n => n == 0), string.Join(", ", unsent.Select(u => $"{u.Key} {u.Value}")));
        var exits = stack.All.SelectMany(s => s.UnexpectedExits).ToList();
        Check("no process exited unasked", exits.Count == 0, string.Join("; ", exits));
        return results;
    }

    private void Check(string name, bool passed, string detail) => results.Add(new CheckResult(name, passed, detail));

    private async Task ChargesAsync()
    {
        var acked = driver.ChargesAcked.ToList();
        var sent = driver.ChargesSent.ToDictionary(c => c.RequestId);
        var payments = new List<Payment>();
        foreach (var payer in LoadDriver.Payers)
        {
            var token = "";
            do
            {
                var page = await driver.Gateway.ListPaymentsAsync(new ListPaymentsRequest { PayerAccount = payer, PageSize = 1000, PageToken = token }, Service,
                    deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct);
                payments.AddRange(page.Payments);
                token = page.NextPageToken;
            }
            while (token.Length > 0);
        }
        var byRequest = payments.GroupBy(p => p.RequestId).ToDictionary(g => g.Key, g => g.ToList());
        var missing = acked.Where(a => !byRequest.ContainsKey(a.Request.RequestId)).Select(a => a.Request.RequestId).ToList();
        var twice = byRequest.Where(g => g.Value.Count > 1).Select(g => g.Key).ToList();
        var unknown = byRequest.Keys.Where(id => !sent.ContainsKey(id)).ToList();
        var notAcked = byRequest.Keys.Where(id => sent.ContainsKey(id) && acked.All(a => a.Request.RequestId != id)).ToList();
        var differ = acked.Where(a => byRequest.TryGetValue(a.Request.RequestId, out var p) && (p[0].PaymentId != a.PaymentId || p[0].Amount != a.Amount)).ToList();
        Check("every acknowledged charge is one gateway payment",
            missing.Count == 0 && twice.Count == 0 && unknown.Count == 0 && differ.Count == 0,
            $"{acked.Count} acknowledged, {payments.Count} payments; missing {missing.Count}, twice {twice.Count}, unknown {unknown.Count}, differing {differ.Count}");
        Check("every payment was acknowledged (no charge sent without an answer)", notAcked.Count == 0, $"{notAcked.Count} paid but never acknowledged");
        var pending = await stack.ScalarAsync<long>("gateway", "select count(*) from payments where status <> 2");
        Check("no payment left pending at the gateway", pending == 0, $"{pending} pending");

        // The Ledger moved each one exactly once: its transfer exists, and each payer's balance is exactly its genesis
        // minus what the answers say it paid (a second transfer would show as a lower balance).
        var wrongTransfers = new List<string>();
        await Parallel.ForEachAsync(acked, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (charge, token) =>
        {
            var transfer = (await driver.Ledger.GetTransferAsync(new GetTransferRequest { TransferId = charge.LedgerTransferId }, Service,
                deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: token)).Transfer;
            if (transfer.FromAccount != charge.Request.Payer || transfer.ToAccount != $"treasury:{charge.Request.ModelId}" || transfer.Amount != charge.Amount)
            {
                lock (wrongTransfers)
                {
                    wrongTransfers.Add($"{charge.Request.RequestId}: {transfer}");
                }
            }
        });
        Check("every acknowledged charge is its Ledger transfer", wrongTransfers.Count == 0, $"{acked.Count} checked; wrong: {string.Join("; ", wrongTransfers.Take(3))}");
        var wrongBalances = new List<string>();
        foreach (var payer in LoadDriver.Payers)
        {
            var expected = LoadDriver.PayerFunds - acked.Where(a => a.Request.Payer == payer).Sum(a => a.Amount);
            var actual = await BalanceAsync(payer, "POV");
            if (actual != expected)
            {
                wrongBalances.Add($"{payer}: {actual}, expected {expected}");
            }
        }
        Check("each payer paid exactly its acknowledged charges", wrongBalances.Count == 0, string.Join("; ", wrongBalances));
    }

    private async Task TransfersAsync()
    {
        var acked = driver.TransfersAcked.ToList();
        var wrong = new List<string>();
        await Parallel.ForEachAsync(acked, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (sent, token) =>
        {
            try
            {
                var transfer = (await driver.Ledger.GetTransferAsync(new GetTransferRequest { TransferId = sent.RequestId }, Service,
                    deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: token)).Transfer;
                if (transfer.FromAccount != sent.From || transfer.ToAccount != sent.To || transfer.Amount != sent.Amount)
                {
                    lock (wrong)
                    {
                        wrong.Add($"{sent.RequestId}: {transfer}");
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                lock (wrong)
                {
                    wrong.Add($"{sent.RequestId}: not found");
                }
            }
        });
        Check("every acknowledged transfer is on the Ledger", wrong.Count == 0, $"{acked.Count} checked; wrong: {string.Join("; ", wrong.Take(3))}");
        var wrongBalances = new List<string>();
        foreach (var user in LoadDriver.Users)
        {
            var expected = LoadDriver.UserFunds + acked.Where(t => t.To == user).Sum(t => t.Amount) - acked.Where(t => t.From == user).Sum(t => t.Amount);
            var actual = await BalanceAsync(user, "POV");
            if (actual != expected)
            {
                wrongBalances.Add($"{user}: {actual}, expected {expected}");
            }
        }
        Check("each user's balance is exactly its acknowledged transfers (none applied twice)", wrongBalances.Count == 0, string.Join("; ", wrongBalances));
    }

    private async Task VotesAsync()
    {
        var acked = driver.VotesAcked.ToList();
        var problems = new List<string>();
        var counted = 0;
        foreach (var run in driver.Proposals)
        {
            var votes = new List<Vote>();
            var token = "";
            do
            {
                var page = await driver.SubDao.ListVotesAsync(new ListVotesRequest { ProposalId = run.ProposalId, PageSize = 1000, PageToken = token }, Service,
                    deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct);
                votes.AddRange(page.Votes);
                token = page.NextPageToken;
            }
            while (token.Length > 0);
            counted += votes.Count;
            var mine = acked.Where(a => a.Request.ProposalId == run.ProposalId).ToList();
            var listed = votes.GroupBy(v => v.VoterAccount).ToDictionary(g => g.Key, g => g.ToList());
            foreach (var vote in mine)
            {
                if (!listed.TryGetValue(vote.Request.Voter, out var found) || found.Count != 1 || found[0].Support != vote.Request.Support || found[0].Weight != vote.Weight)
                {
                    problems.Add($"{run.ProposalId}/{vote.Request.Voter}: listed {found?.Count ?? 0}");
                }
                else if (vote.Weight != LoadDriver.VoterTokens)
                {
                    problems.Add($"{run.ProposalId}/{vote.Request.Voter}: weight {vote.Weight}");
                }
            }
            if (listed.Count != votes.Count || votes.Count != mine.Count)
            {
                problems.Add($"{run.ProposalId}: {votes.Count} listed, {listed.Count} voters, {mine.Count} acknowledged");
            }
            var tally = (await driver.SubDao.GetTallyAsync(new GetTallyRequest { ProposalId = run.ProposalId }, Service, cancellationToken: ct)).Tally;
            long Count(VoteSupport s) => mine.Count(v => v.Request.Support == s);
            if (tally.ForCount != Count(VoteSupport.For) || tally.AgainstCount != Count(VoteSupport.Against) || tally.AbstainCount != Count(VoteSupport.Abstain)
                || tally.VoteCount != mine.Count || tally.ForWeight != Count(VoteSupport.For) * LoadDriver.VoterTokens)
            {
                problems.Add($"{run.ProposalId}: tally {tally.ForCount}/{tally.AgainstCount}/{tally.AbstainCount} of {tally.VoteCount}");
            }
        }
        Check("each acknowledged vote counted once, refused ones not at all", problems.Count == 0,
            $"{driver.Proposals.Count} proposals, {acked.Count} acknowledged, {counted} listed; {string.Join("; ", problems.Take(5))}");
    }

    private async Task DistributionAsync()
    {
        var list = await driver.Treasury.ListDistributionsAsync(new ListDistributionsRequest { ModelId = driver.ModelA.ModelId }, Service, cancellationToken: ct);
        if (list.Distributions.Count != 1)
        {
            Check("the distribution COMPLETED and exact", false, $"{list.Distributions.Count} distributions of model A");
            return;
        }
        var d = list.Distributions[0];
        var lines = new List<DistributionLine>();
        var token = "";
        do
        {
            var page = await driver.Treasury.ListDistributionLinesAsync(new ListDistributionLinesRequest { DistributionId = d.DistributionId, PageSize = 1000, PageToken = token },
                Service, cancellationToken: ct);
            lines.AddRange(page.Lines);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        var problems = new List<string>();
        if (d.Status != DistributionStatus.Completed || d.Amount != LoadDriver.DistributionAmount || d.AmountPaid != d.Amount || d.LinesPaid != d.LineCount || d.LineCount != lines.Count)
        {
            problems.Add($"distribution {d.Status} amount {d.Amount} paid {d.AmountPaid} lines {d.LinesPaid}/{d.LineCount}/{lines.Count} {d.FailureReason}");
        }
        if (lines.Sum(l => l.Share) != d.Amount)
        {
            problems.Add($"Σ shares {lines.Sum(l => l.Share)} ≠ {d.Amount}");
        }
        var expectedHolders = new Dictionary<string, long>(driver.TokensHanded) { [driver.ModelA.Creator] = LoadDriver.TokenSupply - driver.TokensHanded.Values.Sum() };
        if (lines.Count != expectedHolders.Count || d.SupplyHeld != LoadDriver.TokenSupply)
        {
            problems.Add($"{lines.Count} lines for {expectedHolders.Count} holders, supply held {d.SupplyHeld}");
        }
        foreach (var line in lines)
        {
            var floor = (long)(new BigInteger(d.Amount) * line.HolderBalance / d.SupplyHeld);
            if (!expectedHolders.TryGetValue(line.HolderAccount, out var balance) || balance != line.HolderBalance
                || line.Share != floor + (line.RemainderUnit ? 1 : 0) || !line.Paid)
            {
                problems.Add($"line {line.HolderAccount}: balance {line.HolderBalance}, share {line.Share}, paid {line.Paid}");
                continue;
            }
            // Nothing else pays POV to these accounts: each holds exactly its share.
            var pov = await BalanceAsync(line.HolderAccount, "POV");
            if (pov != line.Share)
            {
                problems.Add($"{line.HolderAccount} holds {pov} POV, its share is {line.Share}");
            }
        }
        Check("the distribution COMPLETED and exact (Σ lines = amount, each holder received its share once)", problems.Count == 0,
            $"{lines.Count} lines, {d.Amount} POV base units; {string.Join("; ", problems.Take(5))}");
    }

    private async Task TreasuryAsync()
    {
        var acked = driver.ChargesAcked.ToList();
        var problems = new List<string>();
        foreach (var model in new[] { driver.ModelA, driver.ModelB })
        {
            var paid = acked.Where(a => a.Request.ModelId == model.ModelId).ToList();
            var revenue = paid.Sum(a => a.Amount);
            var treasury = (await driver.Treasury.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, Service, cancellationToken: ct)).Treasury;
            var distributed = model == driver.ModelA ? LoadDriver.DistributionAmount : 0;
            var funded = model == driver.ModelA ? LoadDriver.TreasuryFunding : 0;
            if (treasury.LifetimeRevenue != revenue || treasury.PaymentCount != paid.Count || treasury.Distributed != distributed || treasury.Pending != 0)
            {
                problems.Add($"{model.Token}: revenue {treasury.LifetimeRevenue}/{revenue}, payments {treasury.PaymentCount}/{paid.Count}, distributed {treasury.Distributed}/{distributed}, pending {treasury.Pending}");
            }
            var balance = await BalanceAsync(model.TreasuryAccount, "POV");
            if (balance != funded + revenue - distributed)
            {
                problems.Add($"{model.Token}: treasury account {balance}, expected {funded + revenue - distributed}");
            }
        }
        Check("treasury revenue = Σ payments per model, treasury balances exact", problems.Count == 0, string.Join("; ", problems));
    }

    private async Task<long> BalanceAsync(string account, string asset) =>
        (await driver.Ledger.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = asset }, Service, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct))
        .Balance.Total;
}
