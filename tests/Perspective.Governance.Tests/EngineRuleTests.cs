using Perspective.Governance.Domain;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.Governance.Tests;

/// <summary>The engine's rules as pure functions: the numbers at their edges, with no service around them.</summary>
public sealed class EngineRuleTests
{
    private static readonly Settings Majority = Settings.Default with { QuorumBps = 2_000, PassThresholdBps = 5_000 };

    [Fact]
    public void Quorum_weight_rounds_up_and_is_exact_for_the_largest_supply()
    {
        Assert.Equal(200_000, Tally.QuorumWeightOf(1_000_000, 2_000));
        Assert.Equal(1, Tally.QuorumWeightOf(3, 1));
        Assert.Equal(0, Tally.QuorumWeightOf(0, 10_000));
        Assert.Equal(long.MaxValue, Tally.QuorumWeightOf(long.MaxValue, 10_000));
        Assert.Equal((long)(((Int128)long.MaxValue * 4_000 + 9_999) / 10_000), Tally.QuorumWeightOf(long.MaxValue, 4_000));
    }

    [Fact]
    public void Exactly_at_quorum_passes_a_tie_is_defeated_and_abstain_counts_only_for_quorum()
    {
        var exact = Tally.Compute(Majority, 1_000_000, 1, 0, 0, 200_000, 0, 0);
        Assert.True(exact.Passed);
        var below = Tally.Compute(Majority, 1_000_000, 1, 0, 1, 100_000, 0, 99_999);
        Assert.False(below.QuorumReached);
        var tie = Tally.Compute(Majority, 1_000_000, 1, 1, 1, 300_000, 300_000, 400_000);
        Assert.Equal((true, false, false), (tie.QuorumReached, tie.ThresholdReached, tie.Passed));
        var onlyAbstain = Tally.Compute(Majority, 1_000_000, 0, 0, 1, 0, 0, 900_000);
        Assert.Equal((true, false), (onlyAbstain.QuorumReached, onlyAbstain.Passed));
    }

    [Fact]
    public void Exactly_at_the_threshold_passes_unanimity_passes_at_10000_and_a_tie_never_passes()
    {
        var sixty = Majority with { PassThresholdBps = 6_000 };
        Assert.True(Tally.Compute(sixty, 1_000_000, 1, 1, 0, 600_000, 400_000, 0).Passed);
        Assert.False(Tally.Compute(sixty, 1_000_000, 1, 1, 0, 599_999, 400_001, 0).Passed);
        var unanimity = Majority with { PassThresholdBps = 10_000 };
        Assert.True(Tally.Compute(unanimity, 1_000_000, 1, 0, 0, 300_000, 0, 0).Passed);
        Assert.False(Tally.Compute(unanimity, 1_000_000, 1, 1, 0, 999_999, 1, 0).Passed);
        Assert.False(Tally.Compute(Majority, 1_000_000, 1, 1, 0, 300_000, 300_000, 0).ThresholdReached);
        // At the lowest threshold For / (For + Against) ≥ 0.01 % alone would pass a tie (or a loss); For > Against refuses it.
        var lowest = Majority with { PassThresholdBps = 1 };
        Assert.False(Tally.Compute(lowest, 1_000_000, 1, 1, 0, 300_000, 300_000, 0).ThresholdReached);
        Assert.False(Tally.Compute(lowest, 1_000_000, 1, 1, 0, 300_000, 300_001, 0).ThresholdReached);
    }

    [Fact]
    public void Threshold_products_beyond_int64_are_exact_and_sums_beyond_it_are_refused()
    {
        var huge = Tally.Compute(Majority, long.MaxValue, 1, 1, 0, long.MaxValue / 2 + 1, long.MaxValue / 2, 0);
        Assert.True(huge.ThresholdReached);
        Assert.Throws<OverflowException>(() => Tally.Compute(Majority, long.MaxValue, 1, 1, 0, long.MaxValue, 1, 0));
    }

    [Fact]
    public void The_digest_covers_order_weight_and_reason_and_an_incomplete_list_is_refused()
    {
        var id = Guid.Parse("0195f0a0-0000-7000-8000-000000000001");
        var at = DateTimeOffset.UnixEpoch;
        VoteRecord[] votes = [new(1, "alice", Support.For, 10, "", at), new(2, "bob", Support.Against, 5, "no", at)];
        var digest = Tally.Digest(id, 7, votes);
        Assert.Equal(64, digest.Length);
        Assert.Equal(digest, Tally.Digest(id, 7, votes.Select(v => v with { CastAt = at.AddDays(1) })));
        Assert.NotEqual(digest, Tally.Digest(id, 8, votes));
        Assert.NotEqual(digest, Tally.Digest(id, 7, [votes[0], votes[1] with { Weight = 6 }]));
        Assert.NotEqual(digest, Tally.Digest(id, 7, [votes[0], votes[1] with { Reason = "No" }]));
        Assert.Throws<InvalidOperationException>(() => Tally.Digest(id, 7, [votes[1]]));
        Assert.NotEqual(Tally.Digest(id, 7, []), digest);
    }

    [Theory]
    [InlineData("voting_period_seconds", 0L)]
    [InlineData("grace_period_seconds", 0L)]
    [InlineData("voting_delay_seconds", -1L)]
    [InlineData("execution_delay_seconds", 316_224_001L)]
    [InlineData("quorum_bps", 0L)]
    [InlineData("pass_threshold_bps", 10_001L)]
    [InlineData("proposal_threshold", -1L)]
    [InlineData("late_quorum_extension_seconds", 432_000L)]
    public void A_setting_out_of_range_is_invalid_argument_naming_it(string field, long value)
    {
        var error = Assert.Throws<DomainException>(() => Settings.Default.With(field, value).Validate("settings."));
        Assert.Equal(DomainErrorKind.InvalidArgument, error.Kind);
        Assert.StartsWith($"settings.{field}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_are_refused_in_one_line_fields_and_long_texts_keep_only_line_breaks_and_tabs()
    {
        Rules.Line("title", "plain text, ünïcödé, emoji 🙂");
        Rules.Text("description", "line one\r\nline two\ttabbed");
        foreach (var bad in new[] { "a\0b", "\u0001", "x\u001f", "two\nlines", "tab\t" })
        {
            var error = Assert.Throws<DomainException>(() => Rules.Line("title", bad));
            Assert.Equal(DomainErrorKind.InvalidArgument, error.Kind);
            Assert.StartsWith("title:", error.Message, StringComparison.Ordinal);
        }
        foreach (var bad in new[] { "nul\0", "\u0007", "esc\u001b[0m" })
        {
            Assert.StartsWith("reason:", Assert.Throws<DomainException>(() => Rules.Reason("reason", bad)).Message, StringComparison.Ordinal);
        }
        Assert.Equal("a\uFFFDb\nc", Rules.Printable("a\0b\nc"));
        Assert.Equal(1_000, Rules.Printable(new string('x', 5_000)).Length);
        Assert.Equal(new string('x', 999), Rules.Printable(new string('x', 999) + "🙂"));
    }

    [Fact]
    public void Late_quorum_extends_once_only_when_quorum_is_first_reached_near_the_end()
    {
        var settings = Settings.Default with { LateQuorumExtensionSeconds = 600 };
        var end = new DateTime(2031, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal(end.AddMinutes(5), Lifecycle.ExtendedEnd(settings, false, true, false, end, end.AddMinutes(-5)));
        Assert.Null(Lifecycle.ExtendedEnd(settings, false, true, false, end, end.AddMinutes(-20)));
        Assert.Null(Lifecycle.ExtendedEnd(settings, true, true, false, end, end.AddMinutes(-5)));
        Assert.Null(Lifecycle.ExtendedEnd(settings, false, true, true, end, end.AddMinutes(-5)));
        Assert.Null(Lifecycle.ExtendedEnd(settings, false, false, false, end, end.AddMinutes(-5)));
        Assert.Null(Lifecycle.ExtendedEnd(Settings.Default, false, true, false, end, end.AddMinutes(-5)));
    }

    [Fact]
    public void The_timelock_runs_from_the_end_of_voting()
    {
        var end = new DateTime(2031, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal((end.AddDays(2), end.AddDays(16)), Lifecycle.Timelock(Settings.Default, end));
    }
}
