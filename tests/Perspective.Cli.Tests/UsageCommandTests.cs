namespace Perspective.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class UsageCommandTests(CliStack stack) : CliTestBase(stack)
{
    [Fact]
    public async Task A_provider_charges_within_the_allowance_a_user_set()
    {
        var (model, _) = await RegisterModelAsync(price: 10);
        await LoginAsync("bob");
        await LoginAsync("provider-1", "provider", profile: "provider");
        var bob = (await BalanceAsync("bob")).Total;
        var treasury = (await BalanceAsync($"treasury:{model}")).Total;

        var allow = await Pov("allowances", "set", model, "100");
        var charge = await Pov("charge", model, "bob", "3", "--profile", "provider", "--json");
        var shown = Json(await Pov("allowances", "show", model, "--json")).GetProperty("allowance");

        Assert.Equal(0, allow.ExitCode);
        var payment = Json(charge).GetProperty("payment");
        Assert.Equal(("30", "3", "bob"), (payment.GetProperty("amount").GetString(), payment.GetProperty("units").GetString(), payment.GetProperty("payerAccount").GetString()));
        Assert.Equal(bob - 30, (await BalanceAsync("bob")).Total);
        Assert.Equal(treasury + 30, (await BalanceAsync($"treasury:{model}")).Total);
        Assert.Equal(("30", "70"), (shown.GetProperty("usedAmount").GetString(), shown.GetProperty("remainingAmount").GetString()));
        var listed = await Pov("payments", "list", "--payer", "bob", "--model", model);
        Assert.Contains(payment.GetProperty("paymentId").GetString()!, listed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_charge_beyond_the_allowance_is_refused_with_exit_code_2_and_moves_nothing()
    {
        var (model, _) = await RegisterModelAsync(price: 10);
        await LoginAsync("dave");
        await LoginAsync("provider-1", "provider", profile: "provider");
        Assert.Equal(0, (await Pov("allowances", "set", model, "50")).ExitCode);
        var dave = (await BalanceAsync("dave")).Total;

        var run = await Pov("charge", model, "dave", "6", "--profile", "provider");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("rejected: FAILED_PRECONDITION: ", run.Error, StringComparison.Ordinal);
        Assert.Equal(dave, (await BalanceAsync("dave")).Total);
        Assert.Equal(0, (await AllowanceAsync("dave", model)).UsedAmount);
    }

    [Fact]
    public async Task Metered_usage_authorized_then_settled_charges_the_units_used()
    {
        var (model, _) = await RegisterModelAsync(price: 7);
        await LoginAsync("erin");
        await LoginAsync("provider-1", "provider", profile: "provider");
        Assert.Equal(0, (await Pov("allowances", "set", model, "1000")).ExitCode);
        var erin = (await BalanceAsync("erin")).Total;

        var authorization = Json(await Pov("usage", "authorize", model, "erin", "20", "--profile", "provider", "--json"))
            .GetProperty("authorization").GetProperty("authorizationId").GetString()!;
        var held = await BalanceAsync("erin");
        var settled = Json(await Pov("usage", "settle", authorization, "4", "--profile", "provider", "--json"));

        Assert.Equal(140, held.Held);
        Assert.Equal("28", settled.GetProperty("payment").GetProperty("amount").GetString());
        Assert.Equal("USAGE_AUTHORIZATION_STATUS_SETTLED", settled.GetProperty("authorization").GetProperty("status").GetString());
        var after = await BalanceAsync("erin");
        Assert.Equal((erin - 28, 0L), (after.Total, after.Held));
    }

    [Fact]
    public async Task Models_show_prints_the_model_and_its_history()
    {
        var (model, symbol) = await RegisterModelAsync(price: 3);

        var plain = await Pov("models", "show", model, "--profile", "carol");
        var tree = await Stack.RunAsync(Config, ["models", "show", model, "--profile", "carol"], rich: true);

        Assert.Equal(0, plain.ExitCode);
        Assert.Contains($"token: {symbol} ({symbol} token), supply 1 {symbol} (1,000,000 base units, 6 decimals)", plain.Output, StringComparison.Ordinal);
        Assert.Contains("price: 0.000003 POV per REQUEST", plain.Output, StringComparison.Ordinal);
        Assert.Contains("REGISTERED\tCREATOR\tLISTED", plain.Output, StringComparison.Ordinal);
        Assert.Contains("v1", tree.Output, StringComparison.Ordinal);
        Assert.Contains("REGISTERED", tree.Output, StringComparison.Ordinal);
    }
}
