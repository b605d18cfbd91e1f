using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;

namespace Perspective.Cli.Tests;

/// <summary>
/// Human output shows POV in whole POV (6 decimals in this stack) and a model token with its own decimals; --json keeps
/// base units. Rich runs here are also the real output quoted in docs/cli.md.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class MoneyOutputTests(CliStack stack) : CliTestBase(stack)
{
    [Fact]
    public async Task Charges_prices_allowances_and_the_treasury_are_shown_in_whole_POV()
    {
        var (model, _) = await RegisterModelAsync(price: 250);
        await LoginAsync("alice");
        await LoginAsync("provider-1", "provider", profile: "provider");
        Assert.Equal(0, (await Pov("allowances", "set", model, "100000")).ExitCode);

        var charge = await Stack.RunAsync(Config, ["charge", model, "alice", "3", "--profile", "provider"], rich: true);
        var json = Json(await Pov("charge", model, "alice", "2", "--profile", "provider", "--json"));
        var refused = await Pov("charge", model, "alice", "1000", "--profile", "provider");
        var shown = await Stack.RunAsync(Config, ["models", "show", model, "--profile", "carol"], rich: true);
        var quote = await Pov("models", "quote", model, "--units", "4");
        await Eventually.WaitAsync(
            async () => (await new TreasuryService.TreasuryServiceClient(Stack.Treasury.Channel)
                .GetTreasuryAsync(new GetTreasuryRequest { ModelId = model }, TestTokens.Bearer("alice"), cancellationToken: Ct)).Treasury.LifetimeRevenue,
            revenue => revenue == 1250, TimeSpan.FromSeconds(30), "treasury revenue of two charges");
        var treasury = await Pov("treasury", "show", model);
        var revenue = await Stack.RunAsync(Config, ["treasury", "revenue", model, "--days", "3"], rich: true);

        Assert.Equal(0, charge.ExitCode);
        Assert.Contains("charged alice 0.00075 POV for 3 units", charge.Output, StringComparison.Ordinal);
        Assert.Contains("allowance remaining 0.09925 POV", charge.Output, StringComparison.Ordinal);
        Assert.Equal(("500", "250"), (json.GetProperty("payment").GetProperty("amount").GetString(), json.GetProperty("payment").GetProperty("amountPerUnit").GetString()));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("0.00025 POV per REQUEST", shown.Output, StringComparison.Ordinal);
        Assert.Contains("price: 0.00025 POV per REQUEST\n", quote.Output, StringComparison.Ordinal);
        Assert.Contains("amount: 0.001 POV\n", quote.Output, StringComparison.Ordinal);
        Assert.Contains("lifetime revenue: 0.00125 POV\n", treasury.Output, StringComparison.Ordinal);
        Assert.Contains("total 0.00125 POV over the last 3 days", revenue.Output, StringComparison.Ordinal);
        Assert.Contains(" 0.00125 ", revenue.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_swap_and_balances_show_each_asset_with_its_own_decimals()
    {
        var (_, symbol) = await RegisterModelAsync(price: 5, decimals: 2);
        await LoginAsync("alice");

        var offer = Json(await Pov("swaps", "create", "--profile", "carol", "--give", $"123456:{symbol}", "--want", "250000:POV", "--to", "alice", "--json"))
            .GetProperty("offer").GetProperty("offerId").GetString()!;
        var accepted = await Stack.RunAsync(Config, ["swaps", "accept", offer], rich: true);
        var balances = await Stack.RunAsync(Config, ["balances", "carol", "--profile", "carol"], rich: true);

        Assert.Equal(0, accepted.ExitCode);
        Assert.Contains($"1,234.56 {symbol}", accepted.Output, StringComparison.Ordinal);
        Assert.Contains("0.25 POV", accepted.Output, StringComparison.Ordinal);
        // carol keeps 1,000,000 − 123,456 base units of the 2-decimal token: 8,765.44.
        Assert.Contains("8,765.44", balances.Output, StringComparison.Ordinal);
    }
}
