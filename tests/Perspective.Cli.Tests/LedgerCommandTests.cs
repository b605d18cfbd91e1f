using System.Text.Json;

namespace Perspective.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class LedgerCommandTests(CliStack stack) : CliTestBase(stack)
{
    [Fact]
    public async Task Transfer_moves_the_exact_amount_and_prints_its_request_id()
    {
        await LoginAsync("alice");
        var (alice, bob) = (await BalanceAsync("alice"), await BalanceAsync("bob"));

        var run = await Pov("transfer", "bob", "1234", "--memo", "lunch");

        Assert.Equal(0, run.ExitCode);
        // 1,234 base units of POV (6 decimals) are 0.001234 POV.
        Assert.Contains("transferred 0.001234 POV from alice to bob", run.Output, StringComparison.Ordinal);
        Assert.True(Guid.TryParse(run.RequestId, out _));
        Assert.Equal(alice.Total - 1234, (await BalanceAsync("alice")).Total);
        Assert.Equal(bob.Total + 1234, (await BalanceAsync("bob")).Total);
    }

    [Fact]
    public async Task A_transfer_of_1500_base_units_of_a_6_decimal_asset_is_shown_as_0_0015_in_every_view()
    {
        await LoginAsync("alice");

        var run = await Pov("transfer", "bob", "1500");
        var shown = await Pov("transfers", "show", run.RequestId);
        var listed = await Pov("transfers", "list", "--account", "alice", "--limit", "1000");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("transferred 0.0015 POV from alice to bob at sequence ", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("1,500", run.Output, StringComparison.Ordinal);
        Assert.Contains("amount: 0.0015 POV\n", shown.Output, StringComparison.Ordinal);
        Assert.Contains("\talice\tbob\t0.0015\tPOV\t", listed.Output.Split('\n').Single(l => l.Contains(run.RequestId, StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_with_0_decimals_is_shown_in_whole_units_and_a_6_decimal_one_with_its_fraction()
    {
        var (_, whole) = await RegisterModelAsync(price: 2, decimals: 0);
        var (_, fine) = await RegisterModelAsync(price: 2);

        var run = await Pov("transfer", "bob", "1500", "--asset", whole, "--profile", "carol");
        var other = await Pov("transfer", "bob", "123457", "--asset", fine, "--profile", "carol");
        var balances = await Pov("balances", "carol", "--profile", "carol");

        Assert.Equal((0, 0), (run.ExitCode, other.ExitCode));
        Assert.Contains($"transferred 1,500 {whole} from carol to bob", run.Output, StringComparison.Ordinal);
        Assert.Contains($"transferred 0.123457 {fine} from carol to bob", other.Output, StringComparison.Ordinal);
        // carol minted 1,000,000 base units of each and gave 1,500 and 123,457 of them away.
        Assert.Contains($"carol\t{whole}\t998,500\t998,500\t0\t0\t", balances.Output, StringComparison.Ordinal);
        Assert.Contains($"carol\t{fine}\t0.876543\t0.876543\t0\t0\t", balances.Output, StringComparison.Ordinal);
        Assert.Equal(1500, (await BalanceAsync("bob", whole)).Total);
    }

    [Fact]
    public async Task Transfer_json_holds_the_response_values_and_the_same_request_id_moves_once()
    {
        await LoginAsync("dave");
        var before = await BalanceAsync("dave");
        var requestId = Guid.NewGuid().ToString();

        var first = await Pov("transfer", "erin", "777", "--request-id", requestId, "--json");
        var retry = await Pov("transfer", "erin", "777", "--request-id", requestId, "--json");

        var transfer = Json(first).GetProperty("transfer");
        Assert.Equal(("dave", "erin", "POV", "777", requestId),
            (transfer.GetProperty("fromAccount").GetString(), transfer.GetProperty("toAccount").GetString(), transfer.GetProperty("asset").GetString(),
             transfer.GetProperty("amount").GetString(), transfer.GetProperty("transferId").GetString()));
        Assert.Equal(requestId, first.RequestId);
        Assert.StartsWith("request id: ", first.Error, StringComparison.Ordinal);
        Assert.Equal(transfer.GetProperty("receipt").GetProperty("sequence").GetString(),
            Json(retry).GetProperty("transfer").GetProperty("receipt").GetProperty("sequence").GetString());
        Assert.Equal(before.Total - 777, (await BalanceAsync("dave")).Total);
    }

    [Fact]
    public async Task Balances_show_amounts_with_separators_in_tables_and_raw_in_json()
    {
        await LoginAsync("erin");
        var total = (await BalanceAsync("erin")).Total;

        var plain = await Pov("balances");
        var rich = await Stack.RunAsync(Config, ["balance", "erin"], rich: true);
        var json = Json(await Pov("balance", "--json")).GetProperty("balance");

        Assert.Equal(0, plain.ExitCode);
        Assert.StartsWith("account\tasset\ttotal\tavailable\theld\tlocked\tas of seq\n", plain.Output, StringComparison.Ordinal);
        // Whole POV (6 decimals), computed here with decimal arithmetic as an independent oracle.
        var whole = (total / 1_000_000m).ToString("#,0.######", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"erin\tPOV\t{whole}\t", plain.Output, StringComparison.Ordinal);
        Assert.Contains("╭", rich.Output, StringComparison.Ordinal);
        Assert.Contains(whole, rich.Output, StringComparison.Ordinal);
        Assert.Equal(total.ToString(System.Globalization.CultureInfo.InvariantCulture), json.GetProperty("total").GetString());
    }

    [Fact]
    public async Task A_transfer_beyond_the_balance_is_rejected_with_exit_code_2_and_the_status_printed_plainly()
    {
        await LoginAsync("bob");
        var before = await BalanceAsync("bob");

        var run = await Pov("transfer", "alice", (before.Available + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("rejected: FAILED_PRECONDITION: ", run.Error.Split('\n').Single(l => l.StartsWith("rejected", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(before.Total, (await BalanceAsync("bob")).Total);
    }

    [Theory]
    [InlineData("transfer", "bob", "twelve")]
    [InlineData("transfer")]
    [InlineData("no-such-command")]
    [InlineData("locks", "list", "--status", "sleeping")]
    [InlineData("swaps", "create", "--give", "100", "--want", "5:POV")]
    public async Task Bad_arguments_are_a_usage_error_with_exit_code_1(params string[] args)
    {
        await LoginAsync("alice");
        var before = await BalanceAsync("alice");

        var run = await Pov(args);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("usage: ", run.Error, StringComparison.Ordinal);
        Assert.Equal(before.Total, (await BalanceAsync("alice")).Total);
    }

    [Fact]
    public async Task An_unreachable_service_is_exit_code_3()
    {
        await LoginAsync("alice");
        var closed = Perspective.Testing.FreePort.Next();

        var run = await PovWith(new Dictionary<string, string> { ["POV_LEDGER_URL"] = $"http://127.0.0.1:{closed}" }, "balance");

        Assert.Equal(3, run.ExitCode);
        Assert.StartsWith("unreachable: UNAVAILABLE", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lock_freezes_the_amount_and_is_listed()
    {
        await LoginAsync("erin");
        var before = await BalanceAsync("erin");

        var locked = Json(await Pov("lock", "250", "--until", "1h", "--memo", "stake", "--json")).GetProperty("lock");
        var listed = Json(await Pov("locks", "list", "--status", "active", "--json")).GetProperty("locks").EnumerateArray()
            .Select(l => l.GetProperty("lockId").GetString()).ToList();
        var early = await Pov("unlock", locked.GetProperty("lockId").GetString()!);

        Assert.Equal("250", locked.GetProperty("amount").GetString());
        Assert.Contains(locked.GetProperty("lockId").GetString(), listed);
        var after = await BalanceAsync("erin");
        Assert.Equal((before.Total, before.Locked + 250, before.Available - 250), (after.Total, after.Locked, after.Available));
        // Unlocking before `until` is the platform's refusal.
        Assert.Equal(2, early.ExitCode);
        Assert.Contains("FAILED_PRECONDITION", early.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_swap_offer_created_and_accepted_moves_both_legs()
    {
        var (_, symbol) = await RegisterModelAsync(price: 5);
        var carolPov = (await BalanceAsync("carol")).Total;
        var alice = await BalanceAsync("alice");

        var offer = Json(await Pov("swaps", "create", "--profile", "carol", "--give", $"5000:{symbol}", "--want", "2500:POV", "--to", "alice", "--json"))
            .GetProperty("offer").GetProperty("offerId").GetString()!;
        var open = await Pov("swaps", "list", "--acceptable-by", "alice", "--asset", symbol);
        await LoginAsync("alice");
        var accepted = await Pov("swaps", "accept", offer);

        Assert.Contains(offer, open.Output, StringComparison.Ordinal);
        Assert.Equal(0, accepted.ExitCode);
        Assert.Contains("ACCEPTED", accepted.Output, StringComparison.Ordinal);
        Assert.Equal(5000, (await BalanceAsync("alice", symbol)).Total);
        Assert.Equal(alice.Total - 2500, (await BalanceAsync("alice")).Total);
        Assert.Equal(carolPov + 2500, (await BalanceAsync("carol")).Total);
        Assert.Equal(1_000_000 - 5000, (await BalanceAsync("carol", symbol)).Total);
    }

    [Fact]
    public async Task The_journal_head_and_verification_report_the_chain()
    {
        await LoginAsync("alice");

        var head = Json(await Pov("journal", "head", "--json"));
        var verify = await Pov("journal", "verify");
        var verifyJson = Json(await Pov("journal", "verify", "--to", head.GetProperty("sequence").GetString()!, "--json"));

        Assert.Equal(0, verify.ExitCode);
        Assert.StartsWith("journal verified: ", verify.Output, StringComparison.Ordinal);
        Assert.True(verifyJson.GetProperty("valid").GetBoolean());
        Assert.Equal(head.GetProperty("sequence").GetString(), verifyJson.GetProperty("entriesChecked").GetString());
    }
}
