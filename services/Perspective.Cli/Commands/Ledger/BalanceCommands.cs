using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Ledger.V1;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Ledger;

public sealed class BalanceCommand(CliContext cli) : PovCommand<BalanceCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "[ACCOUNT]")]
        [Description("Account (default: your token's subject)")]
        public string? Account { get; init; }

        [CommandOption("--asset <CODE>")]
        [Description("Asset code")]
        [DefaultValue("POV")]
        public string Asset { get; init; } = "POV";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Ledger.GetBalanceAsync(new GetBalanceRequest { Account = settings.Account ?? s.Me, Asset = settings.Asset }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Balances(s.Out, await s.Clients.MoneyAsync(ct, response.Balance.Asset), [response.Balance]);
    }
}

public sealed class BalancesCommand(CliContext cli) : PovCommand<BalancesCommand.Settings>(cli)
{
    public sealed class Settings : PageSettings
    {
        [CommandArgument(0, "[ACCOUNT]")]
        [Description("Account (default: your token's subject)")]
        public string? Account { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Ledger.ListBalancesAsync(new ListBalancesRequest
        {
            Account = settings.Account ?? s.Me,
            PageSize = settings.Limit,
            PageToken = settings.PageToken ?? "",
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Balances(s.Out, await s.Clients.MoneyAsync(ct, response.Balances.Select(b => b.Asset)), response.Balances);
        s.Out.NextPage(response.NextPageToken);
    }
}
