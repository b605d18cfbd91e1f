using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Ledger.V1;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Ledger;

public sealed class TransferCommand(CliContext cli) : PovCommand<TransferCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<TO>")]
        [Description("Receiving account")]
        public string To { get; init; } = "";

        [CommandArgument(1, "<AMOUNT>")]
        [Description("Amount in base units of the asset (an integer; 1500 of 6-decimal POV is 0.0015 POV)")]
        public long Amount { get; init; }

        [CommandOption("--asset <CODE>")]
        [DefaultValue("POV")]
        public string Asset { get; init; } = "POV";

        [CommandOption("--from <ACCOUNT>")]
        [Description("Debited account (default: your token's subject; only services may debit others)")]
        public string? From { get; init; }

        [CommandOption("--memo <TEXT>")]
        public string? Memo { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var request = new TransferRequest
        {
            RequestId = s.RequestId(settings),
            FromAccount = settings.From ?? s.Me,
            ToAccount = settings.To,
            Asset = settings.Asset,
            Amount = settings.Amount,
            Memo = settings.Memo ?? "",
        };
        var response = await s.Clients.Ledger.TransferAsync(request, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        var t = response.Transfer;
        var money = await s.Clients.MoneyAsync(ct, t.Asset);
        s.Out.Done($"transferred {money.Of(t.Amount, t.Asset)} from {t.FromAccount} to {t.ToAccount} at sequence {LedgerViews.Seq(t.Receipt)}");
    }
}

public sealed class TransfersListCommand(CliContext cli) : PovCommand<TransfersListCommand.Settings>(cli)
{
    public sealed class Settings : PageSettings
    {
        [CommandOption("--account <ACCOUNT>")]
        [Description("Transfers touching this account (default: yours unless --asset is given)")]
        public string? Account { get; init; }

        [CommandOption("--asset <CODE>")]
        public string? Asset { get; init; }

        [CommandOption("--from-sequence <SEQ>")]
        public long FromSequence { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Ledger.ListTransfersAsync(new ListTransfersRequest
        {
            Account = settings.Account ?? (settings.Asset is null ? s.Me : ""),
            Asset = settings.Asset ?? "",
            FromSequence = settings.FromSequence,
            PageSize = settings.Limit,
            PageToken = settings.PageToken ?? "",
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Transfers(s.Out, await s.Clients.MoneyAsync(ct, response.Transfers.Select(t => t.Asset)), response.Transfers);
        s.Out.NextPage(response.NextPageToken);
    }
}

public sealed class TransfersShowCommand(CliContext cli) : PovCommand<TransfersShowCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "<TRANSFER_ID>")]
        public string TransferId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Ledger.GetTransferAsync(new GetTransferRequest { TransferId = settings.TransferId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Transfer(s.Out, await s.Clients.MoneyAsync(ct, response.Transfer.Asset), response.Transfer);
    }
}
