using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Ledger.V1;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Ledger;

public sealed class LockCommand(CliContext cli) : PovCommand<LockCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<AMOUNT>")]
        [Description("Amount to freeze in base units of the asset (an integer)")]
        public long Amount { get; init; }

        [CommandOption("--until <WHEN>")]
        [Description("Release time: ISO 8601 or a duration from now (90s, 15m, 2h, 30d)")]
        public string Until { get; init; } = "";

        [CommandOption("--asset <CODE>")]
        [DefaultValue("POV")]
        public string Asset { get; init; } = "POV";

        [CommandOption("--memo <TEXT>")]
        public string? Memo { get; init; }

        public override Spectre.Console.ValidationResult Validate() =>
            Until.Length == 0 ? Spectre.Console.ValidationResult.Error("--until is required") : base.Validate();
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var request = new LockRequest
        {
            Account = s.Me,
            Asset = settings.Asset,
            Amount = settings.Amount,
            Until = Parse.When("--until", settings.Until, s.Cli.Clock),
            Memo = settings.Memo ?? "",
        };
        request.RequestId = s.RequestId(settings);
        var response = await s.Clients.Ledger.LockAsync(request, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Lock(s.Out, await s.Clients.MoneyAsync(ct, response.Lock.Asset), response.Lock);
    }
}

public sealed class UnlockCommand(CliContext cli) : PovCommand<UnlockCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<LOCK_ID>")]
        public string LockId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Ledger.UnlockAsync(new UnlockRequest { RequestId = s.RequestId(settings), LockId = settings.LockId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Lock(s.Out, await s.Clients.MoneyAsync(ct, response.Lock.Asset), response.Lock);
    }
}

public sealed class LocksListCommand(CliContext cli) : PovCommand<LocksListCommand.Settings>(cli)
{
    public sealed class Settings : PageSettings
    {
        [CommandOption("--account <ACCOUNT>")]
        [Description("Owner (default: you)")]
        public string? Account { get; init; }

        [CommandOption("--asset <CODE>")]
        public string? Asset { get; init; }

        [CommandOption("--status <STATUS>")]
        [Description("active or released")]
        public string? Status { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Ledger.ListLocksAsync(new ListLocksRequest
        {
            Account = settings.Account ?? s.Me,
            Asset = settings.Asset ?? "",
            Status = Parse.EnumOrDefault<LockStatus>("--status", settings.Status),
            PageSize = settings.Limit,
            PageToken = settings.PageToken ?? "",
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Locks(s.Out, await s.Clients.MoneyAsync(ct, response.Locks.Select(l => l.Asset)), response.Locks);
        s.Out.NextPage(response.NextPageToken);
    }
}

public sealed class LocksShowCommand(CliContext cli) : PovCommand<LocksShowCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "<LOCK_ID>")]
        public string LockId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Ledger.GetLockAsync(new GetLockRequest { LockId = settings.LockId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Lock(s.Out, await s.Clients.MoneyAsync(ct, response.Lock.Asset), response.Lock);
    }
}
