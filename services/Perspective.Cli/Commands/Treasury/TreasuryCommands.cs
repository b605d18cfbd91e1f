using System.ComponentModel;
using System.Globalization;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Treasury.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Treasury;

/// <summary>Options of a command about one model's treasury.</summary>
public class TreasurySettings : PovSettings
{
    [CommandArgument(0, "<MODEL_ID>")]
    public string ModelId { get; init; } = "";
}

public sealed class TreasuryShowCommand(CliContext cli) : PovCommand<TreasurySettings>(cli)
{
    protected override async Task RunAsync(Session s, TreasurySettings settings, CancellationToken ct)
    {
        var r = await s.Clients.Treasury.GetTreasuryAsync(new GetTreasuryRequest { ModelId = settings.ModelId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(r);
            return;
        }
        var t = r.Treasury;
        var money = await s.Clients.MoneyAsync(ct, Money.Pov);
        s.Out.Fields($"Treasury of {t.ModelId}", ("account", t.TreasuryAccount), ("balance", $"{money.Of(t.Balance, Money.Pov)} (at sequence {t.BalanceSequence})"),
            ("lifetime revenue", money.Of(t.LifetimeRevenue, Money.Pov)), ("paid out", money.Of(t.PaidOut, Money.Pov)), ("distributed", money.Of(t.Distributed, Money.Pov)),
            ("pending", money.Of(t.Pending, Money.Pov)), ("payments", Show.Count(t.PaymentCount)), ("opened", Show.Time(t.OpenedAt)), ("last revenue", Show.Time(t.LastRevenueAt)));
    }
}

/// <summary>Revenue per day as a small bar chart (a table when plain).</summary>
public sealed class TreasuryRevenueCommand(CliContext cli) : PovCommand<TreasuryRevenueCommand.Settings>(cli)
{
    public sealed class Settings : TreasurySettings
    {
        [CommandOption("--days <N>")]
        [Description("How many days back from today")]
        [DefaultValue(14)]
        public int Days { get; init; } = 14;
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var today = s.Cli.Clock.GetUtcNow().UtcDateTime.Date;
        var r = await s.Clients.Treasury.ListRevenueAsync(new ListRevenueRequest
        {
            ModelId = settings.ModelId,
            FromDay = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.SpecifyKind(today.AddDays(1 - settings.Days), DateTimeKind.Utc)),
            ToDay = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.SpecifyKind(today, DateTimeKind.Utc)),
            PageSize = Math.Max(settings.Days, 1),
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(r);
            return;
        }
        var money = await s.Clients.MoneyAsync(ct, Money.Pov);
        if (s.Out.Plain || r.Days.Count == 0)
        {
            s.Out.Table("Revenue by day", ["day", ">amount (POV)", ">payments"],
                r.Days.Select(d => new[] { Show.Day(d.Day), money.Bare(d.Amount, Money.Pov), Show.Count(d.PaymentCount) }));
        }
        else
        {
            // The chart's own value text is a double; the exact amount in whole POV goes into each bar's label instead.
            var chart = new BarChart().Width(70).HideValues().Label($"[bold]Revenue of {settings.ModelId.EscapeMarkup()} by day (POV)[/]");
            foreach (var d in r.Days)
            {
                chart.AddItem($"{Show.Day(d.Day)} {money.Bare(d.Amount, Money.Pov)}", d.Amount, Color.Green);
            }
            s.Out.Write(chart);
        }
        s.Out.Note($"total {money.Of(r.TotalAmount, Money.Pov)} over the last {settings.Days} days");
    }
}

public sealed class TreasuryPayoutsCommand(CliContext cli) : PovCommand<TreasuryPayoutsCommand.Settings>(cli)
{
    public sealed class Settings : TreasurySettings
    {
        [CommandOption("--limit <N>")]
        [DefaultValue(50)]
        public int Limit { get; init; } = 50;
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var r = await s.Clients.Treasury.ListPayoutsAsync(new ListPayoutsRequest { ModelId = settings.ModelId, PageSize = settings.Limit }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(r);
            return;
        }
        var money = await s.Clients.MoneyAsync(ct, Money.Pov);
        s.Out.Table("Payouts", ["payout id", "recipient", ">amount (POV)", "purpose", "status", ">ledger seq", "executed", "proposal"],
            r.Payouts.Select(p => new[]
            {
                p.PayoutId, p.RecipientAccount, money.Bare(p.Amount, Money.Pov), p.Purpose, Show.Enum(p.Status) + (p.FailureReason.Length > 0 ? $" ({p.FailureReason})" : ""),
                p.LedgerSequence.ToString(CultureInfo.InvariantCulture), Show.Time(p.ExecutedAt), p.ProposalId,
            }));
    }
}

/// <summary>Distributions with their progress (lines paid of lines); <c>--id</c> shows one with its lines.</summary>
public sealed class TreasuryDistributionsCommand(CliContext cli) : PovCommand<TreasuryDistributionsCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "[MODEL_ID]")]
        public string? ModelId { get; init; }

        [CommandOption("--id <DISTRIBUTION_ID>")]
        [Description("One distribution with its lines (holders and shares)")]
        public string? DistributionId { get; init; }

        [CommandOption("--status <STATUS>")]
        [Description("pending, paying, completed or failed")]
        public string? Status { get; init; }

        public override ValidationResult Validate() =>
            (ModelId is null) == (DistributionId is null) ? ValidationResult.Error("give a MODEL_ID or --id <DISTRIBUTION_ID>") : ValidationResult.Success();
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        if (settings.DistributionId is { } id)
        {
            var one = await s.Clients.Treasury.GetDistributionAsync(new GetDistributionRequest { DistributionId = id }, s.Clients.Call(ct));
            var lines = await s.Clients.Treasury.ListDistributionLinesAsync(new ListDistributionLinesRequest { DistributionId = id, PageSize = 500 }, s.Clients.Call(ct));
            if (s.Out.Json)
            {
                s.Out.Messages(("distribution", one), ("lines", lines));
                return;
            }
            var token = one.Distribution.TokenAsset;
            var money = await s.Clients.MoneyAsync(ct, Money.Pov, token);
            Progress(s.Out, money, [one.Distribution]);
            s.Out.Table("Lines", ["holder", $">balance at snapshot ({token})", ">share (POV)", "remainder unit", "paid", ">ledger seq"],
                lines.Lines.Select(l => new[]
                {
                    l.HolderAccount, money.Bare(l.HolderBalance, token), money.Bare(l.Share, Money.Pov), l.RemainderUnit ? "yes" : "", l.Paid ? "yes" : "no",
                    l.LedgerSequence.ToString(CultureInfo.InvariantCulture),
                }));
            return;
        }
        var r = await s.Clients.Treasury.ListDistributionsAsync(new ListDistributionsRequest
        {
            ModelId = settings.ModelId!,
            Status = Parse.EnumOrDefault<DistributionStatus>("--status", settings.Status),
            PageSize = 50,
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(r);
            return;
        }
        Progress(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), r.Distributions);
    }

    private static void Progress(Output output, Money money, IReadOnlyCollection<Distribution> distributions)
    {
        if (output.Plain || distributions.Count == 0)
        {
            output.Table("Distributions", ["distribution id", ">amount (POV)", "token", ">snapshot", "status", ">lines paid", ">lines", ">amount paid", "created"],
                distributions.Select(d => new[]
                {
                    d.DistributionId, money.Bare(d.Amount, Money.Pov), d.TokenAsset, d.SnapshotSequence.ToString(CultureInfo.InvariantCulture), Show.Enum(d.Status),
                    Show.Count(d.LinesPaid), Show.Count(d.LineCount), money.Bare(d.AmountPaid, Money.Pov), Show.Time(d.CreatedAt),
                }));
            return;
        }
        // A finished snapshot of each distribution's progress, drawn with Spectre's progress columns.
        output.Console.Progress().AutoRefresh(false).AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .Start(progress =>
            {
                foreach (var d in distributions)
                {
                    var label = $"{d.DistributionId[..8]} {money.Bare(d.AmountPaid, Money.Pov)}/{money.Of(d.Amount, Money.Pov)}, {d.LinesPaid}/{d.LineCount} holders, {Show.Enum(d.Status)}";
                    var task = progress.AddTask(label.EscapeMarkup(), maxValue: Math.Max(1, d.LineCount));
                    task.Value = d.LineCount == 0 && d.Status == DistributionStatus.Completed ? 1 : d.LinesPaid;
                }
                progress.Refresh();
            });
    }
}

public sealed class TreasuryReconcileCommand(CliContext cli) : PovCommand<TreasurySettings>(cli)
{
    protected override async Task RunAsync(Session s, TreasurySettings settings, CancellationToken ct)
    {
        var r = await s.Clients.Treasury.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = settings.ModelId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(r);
            return;
        }
        var money = await s.Clients.MoneyAsync(ct, Money.Pov);
        s.Out.Fields($"Reconciliation of {r.ModelId}", ("matched", r.Matched ? "yes" : "NO"), ("treasury revenue", money.Of(r.TreasuryRevenue, Money.Pov)),
            ("ledger revenue", money.Of(r.LedgerRevenue, Money.Pov)), ("difference", money.Of(r.Difference, Money.Pov)),
            ("payments", $"{r.TreasuryPaymentCount} in treasury, {r.LedgerPaymentCount} on the ledger"), ("differences", Show.Count(r.DifferenceCount)),
            ("ledger sequence", r.LedgerSequence.ToString(CultureInfo.InvariantCulture)), ("checked", Show.Time(r.CheckedAt)));
    }
}
