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
        s.Out.Fields($"Treasury of {t.ModelId}", ("account", t.TreasuryAccount), ("balance", $"{Show.Amount(t.Balance)} POV (at sequence {t.BalanceSequence})"),
            ("lifetime revenue", Show.Amount(t.LifetimeRevenue)), ("paid out", Show.Amount(t.PaidOut)), ("distributed", Show.Amount(t.Distributed)),
            ("pending", Show.Amount(t.Pending)), ("payments", Show.Amount(t.PaymentCount)), ("opened", Show.Time(t.OpenedAt)), ("last revenue", Show.Time(t.LastRevenueAt)));
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
        if (s.Out.Plain || r.Days.Count == 0)
        {
            s.Out.Table("Revenue by day", ["day", ">amount", ">payments"],
                r.Days.Select(d => new[] { Show.Day(d.Day), Show.Amount(d.Amount), Show.Amount(d.PaymentCount) }));
        }
        else
        {
            var chart = new BarChart().Width(70).Label($"[bold]Revenue of {settings.ModelId.EscapeMarkup()} by day (POV base units)[/]");
            foreach (var d in r.Days)
            {
                chart.AddItem(Show.Day(d.Day), d.Amount, Color.Green);
            }
            s.Out.Write(chart);
        }
        s.Out.Note($"total {Show.Amount(r.TotalAmount)} POV over the last {settings.Days} days");
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
        s.Out.Table("Payouts", ["payout id", "recipient", ">amount", "purpose", "status", ">ledger seq", "executed", "proposal"],
            r.Payouts.Select(p => new[]
            {
                p.PayoutId, p.RecipientAccount, Show.Amount(p.Amount), p.Purpose, Show.Enum(p.Status) + (p.FailureReason.Length > 0 ? $" ({p.FailureReason})" : ""),
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
            Progress(s.Out, [one.Distribution]);
            s.Out.Table("Lines", ["holder", ">balance at snapshot", ">share", "remainder unit", "paid", ">ledger seq"],
                lines.Lines.Select(l => new[]
                {
                    l.HolderAccount, Show.Amount(l.HolderBalance), Show.Amount(l.Share), l.RemainderUnit ? "yes" : "", l.Paid ? "yes" : "no",
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
        Progress(s.Out, r.Distributions);
    }

    private static void Progress(Output output, IReadOnlyCollection<Distribution> distributions)
    {
        if (output.Plain || distributions.Count == 0)
        {
            output.Table("Distributions", ["distribution id", ">amount", "asset", ">snapshot", "status", ">lines paid", ">lines", ">amount paid", "created"],
                distributions.Select(d => new[]
                {
                    d.DistributionId, Show.Amount(d.Amount), d.TokenAsset, d.SnapshotSequence.ToString(CultureInfo.InvariantCulture), Show.Enum(d.Status),
                    Show.Amount(d.LinesPaid), Show.Amount(d.LineCount), Show.Amount(d.AmountPaid), Show.Time(d.CreatedAt),
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
                    var label = $"{d.DistributionId[..8]} {Show.Amount(d.AmountPaid)}/{Show.Amount(d.Amount)} POV, {d.LinesPaid}/{d.LineCount} holders, {Show.Enum(d.Status)}";
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
        s.Out.Fields($"Reconciliation of {r.ModelId}", ("matched", r.Matched ? "yes" : "NO"), ("treasury revenue", Show.Amount(r.TreasuryRevenue)),
            ("ledger revenue", Show.Amount(r.LedgerRevenue)), ("difference", Show.Amount(r.Difference)),
            ("payments", $"{r.TreasuryPaymentCount} in treasury, {r.LedgerPaymentCount} on the ledger"), ("differences", Show.Amount(r.DifferenceCount)),
            ("ledger sequence", r.LedgerSequence.ToString(CultureInfo.InvariantCulture)), ("checked", Show.Time(r.CheckedAt)));
    }
}
