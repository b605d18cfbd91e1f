using Perspective.Cli.Infrastructure;

namespace Perspective.Cli.Tests;

/// <summary>Amounts in whole units: exact integer arithmetic, trailing zeros trimmed, separators on the integer part.</summary>
public sealed class ShowTests
{
    [Theory]
    [InlineData(1500L, 6, "0.0015")]
    [InlineData(49_999_600_000_000L, 6, "49,999,600")]
    [InlineData(1_234_500L, 3, "1,234.5")]
    [InlineData(1500L, 0, "1,500")]
    [InlineData(0L, 6, "0")]
    [InlineData(1L, 6, "0.000001")]
    [InlineData(-2_500_000L, 6, "-2.5")]
    [InlineData(-1L, 2, "-0.01")]
    [InlineData(long.MaxValue, 6, "9,223,372,036,854.775807")]
    [InlineData(long.MinValue, 6, "-9,223,372,036,854.775808")]
    [InlineData(long.MaxValue, 18, "9.223372036854775807")]
    [InlineData(5L, 24, "0.000000000000000000000005")]
    public void Units_shows_base_units_in_whole_units_exactly(long amount, int decimals, string expected) =>
        Assert.Equal(expected, Show.Units(amount, decimals));
}
