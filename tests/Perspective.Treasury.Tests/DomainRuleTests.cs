using Perspective.ServiceDefaults.Errors;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Tests;

/// <summary>The pure rules: the largest-remainder split, its digest, and the treasury's input rules. No infrastructure.</summary>
public sealed class DomainRuleTests
{
    public static TheoryData<long, (string, long)[]> AwkwardSplits => new()
    {
        { 1, [("b", 1), ("a", 1), ("c", 1)] },
        { 5, [("h1", 1), ("h2", 2), ("h3", 3), ("h4", 4), ("h5", 5), ("h6", 6), ("h7", 7), ("h8", 8)] },
        { 12_345, [("only", 7)] },
        { 100, [("x", 1), ("y", 1_000_000_000_000)] },
        { 999_999_999_999_999, [.. Enumerable.Range(0, 7).Select(i => ($"near-max-{i}", long.MaxValue / 7 - i))] },
        { long.MaxValue, [("a", long.MaxValue - 1), ("b", 1)] },
        { 777_777_777_777, [("p", 4_000_000_000_000_000_000), ("q", 3_000_000_000_000_000_000), ("r", 1_999_999_999_999_999_999), ("s", 1)] },
    };

    [Theory]
    [MemberData(nameof(AwkwardSplits))]
    public void Shares_add_up_to_the_amount_and_match_an_independent_computation(long amount, (string, long)[] holders)
    {
        var lines = RewardSplit.Compute(amount, holders.Select(h => new Holding(h.Item1, h.Item2)).ToList());
        var expected = ExpectedSplit.Of(amount, holders);

        Assert.Equal(amount, lines.Sum(l => (decimal)l.Share));
        Assert.Equal(expected.Select(e => (e.Holder, e.Balance, e.Share, e.RemainderUnit)), lines.Select(l => (l.Holder, l.Balance, l.Share, l.RemainderUnit)));
        Assert.Equal(Enumerable.Range(1, holders.Length).Select(i => (long)i), lines.Select(l => l.LineNo));
        Assert.Equal(ExpectedSplit.Digest(expected), RewardSplit.Digest(lines));
    }

    [Fact]
    public void Equal_remainders_go_to_the_smaller_account_id_in_ordinal_order()
    {
        // Ordinal: "B" (0x42) < "C" (0x43) < "a" (0x61); a culture-aware order would put "a" first.
        var lines = RewardSplit.Compute(1, [new Holding("a", 5), new Holding("C", 5), new Holding("B", 5)]);

        Assert.Equal(["B", "C", "a"], lines.Select(l => l.Holder));
        Assert.Equal([1L, 0L, 0L], lines.Select(l => l.Share));
        Assert.True(lines[0].RemainderUnit);
    }

    [Fact]
    public void Holders_whose_share_is_zero_keep_a_line_with_zero()
    {
        var lines = RewardSplit.Compute(2, [new Holding("big", 1_000), new Holding("small", 1), new Holding("tiny", 1)]);

        Assert.Equal([2L, 0L, 0L], lines.Select(l => l.Share));
        Assert.Equal(3, lines.Count);
    }

    [Fact]
    public void The_digest_is_sha256_of_the_documented_encoding()
    {
        var lines = new[] { new SplitLine(1, "a", 3, 2, false), new SplitLine(2, "b", 1, 1, true) };

        // The example of docs/treasury.md, pinned: printf 'a\t3\t2\nb\t1\t1\n' | sha256sum
        Assert.Equal("f58064c6dc13246522749cdd4a9f3bf9e1991e1245e648f46aa9a755f1b3df0d", RewardSplit.Digest(lines));
        Assert.Equal(ExpectedSplit.Digest([new("a", 3, 2, false), new("b", 1, 1, true)]), RewardSplit.Digest(lines));
    }

    [Fact]
    public void A_held_supply_beyond_long_is_an_error_never_a_wrap()
    {
        Assert.Throws<OverflowException>(() => RewardSplit.SupplyHeld([new Holding("a", long.MaxValue), new Holding("b", 1)]));
    }

    [Fact]
    public void Splitting_nothing_or_among_nobody_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RewardSplit.Compute(0, [new Holding("a", 1)]));
        Assert.Throws<ArgumentException>(() => RewardSplit.Compute(1, []));
        Assert.Throws<ArgumentException>(() => RewardSplit.Compute(1, [new Holding("a", 1), new Holding("a", 2)]));
    }

    [Theory]
    [InlineData("bob", 0, "amount: must be positive (was 0)")]
    [InlineData("bob", -5, "amount: must be positive (was -5)")]
    [InlineData("", 5, "recipient: is required")]
    [InlineData("issuance:POV", 5, "recipient: issuance:POV is an issuance account")]
    [InlineData("has space", 5, "recipient: has space is not a valid account")]
    public void A_spend_that_can_never_be_paid_is_refused_with_the_field(string recipient, long amount, string reason)
    {
        Assert.Equal(reason, TreasuryRules.SpendRefusal(Guid.NewGuid(), recipient, amount));
    }

    [Fact]
    public void A_spend_to_the_treasury_itself_is_refused_and_one_to_another_treasury_is_allowed()
    {
        var model = Guid.NewGuid();

        Assert.Equal("recipient: is the treasury itself", TreasuryRules.SpendRefusal(model, TreasuryRules.TreasuryAccount(model), 1));
        Assert.Null(TreasuryRules.SpendRefusal(model, TreasuryRules.TreasuryAccount(Guid.NewGuid()), 1));
        Assert.Null(TreasuryRules.SpendRefusal(model, "bob", 1));
    }

    [Fact]
    public void A_long_purpose_is_cut_to_the_ledger_memo_limit_without_splitting_a_character()
    {
        Assert.Equal(256, TreasuryRules.Memo(new string('x', 300)).Length);
        Assert.Equal("short", TreasuryRules.Memo("short"));
        var emoji = new string('x', 255) + "\U0001F600" + "tail";
        Assert.Equal(255, TreasuryRules.Memo(emoji).Length);
    }

    [Fact]
    public void A_revenue_range_the_caller_sent_must_run_forward_and_stay_bounded()
    {
        var day = new DateOnly(2031, 3, 1);

        Assert.StartsWith("from_day:", Assert.Throws<DomainException>(() => TreasuryRules.RevenueRange(day.AddDays(1), day, day, day)).Message);
        Assert.StartsWith("to_day:",
            Assert.Throws<DomainException>(() => TreasuryRules.RevenueRange(day, day.AddDays(TreasuryRules.RevenueRangeDaysMax), day, day)).Message);
        Assert.Equal((day, day), TreasuryRules.RevenueRange(day, day, day.AddDays(-9), day.AddDays(9)));
    }

    [Fact]
    public void A_revenue_range_day_left_unset_is_clamped_never_refused()
    {
        var today = new DateOnly(2031, 3, 1);
        var span = TreasuryRules.RevenueRangeDaysMax - 1;
        var longAgo = today.AddYears(-20);

        // Neither sent: from the opening day, at most the longest range back from today; an opening after today → today.
        Assert.Equal((today.AddDays(-span), today), TreasuryRules.RevenueRange(null, null, longAgo, today));
        Assert.Equal((today.AddDays(-3), today), TreasuryRules.RevenueRange(null, null, today.AddDays(-3), today));
        Assert.Equal((today, today), TreasuryRules.RevenueRange(null, null, today.AddDays(5), today));
        // One sent: the other side follows it.
        Assert.Equal((longAgo, longAgo.AddDays(span)), TreasuryRules.RevenueRange(longAgo, null, longAgo, today));
        Assert.Equal((today.AddDays(7), today.AddDays(7)), TreasuryRules.RevenueRange(today.AddDays(7), null, longAgo, today));
        Assert.Equal((longAgo, longAgo), TreasuryRules.RevenueRange(null, longAgo, today, today));
        Assert.Equal((today.AddDays(-span), today), TreasuryRules.RevenueRange(null, today, longAgo, today));
        // The ends of the timestamp range do not overflow.
        Assert.Equal((DateOnly.MaxValue, DateOnly.MaxValue), TreasuryRules.RevenueRange(DateOnly.MaxValue, null, longAgo, today));
        Assert.Equal((DateOnly.MinValue, DateOnly.MinValue), TreasuryRules.RevenueRange(null, DateOnly.MinValue, today, today));
    }

    [Theory]
    [InlineData(false, "usage charge 7d0c", true)]
    [InlineData(true, "usage authorization 42", true)]
    [InlineData(false, "usage authorization 42", false)]
    [InlineData(true, "usage charge 7d0c", false)]
    [InlineData(false, "a donation", false)]
    public void Only_the_gateways_memos_mark_a_credit_as_a_usage_payment(bool holdPost, string memo, bool payment)
    {
        Assert.Equal(payment, TreasuryRules.IsUsagePayment(holdPost, memo));
    }

    [Fact]
    public void Derived_ids_are_stable_and_distinct_per_action_and_holder()
    {
        Assert.Equal(DerivedIds.Payout("p1", 0), DerivedIds.Payout("p1", 0));
        Assert.NotEqual(DerivedIds.Payout("p1", 0), DerivedIds.Payout("p1", 1));
        Assert.NotEqual(DerivedIds.Payout("p1", 0), DerivedIds.Distribution("p1", 0));
        var distribution = DerivedIds.Distribution("p1", 0);
        Assert.NotEqual(DerivedIds.DistributionLeg(distribution, "a"), DerivedIds.DistributionLeg(distribution, "b"));
        Assert.Equal(5, DerivedIds.Payout("p1", 0).Version);
    }
}
