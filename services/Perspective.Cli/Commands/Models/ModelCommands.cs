using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Registry.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Models;

public sealed class ModelRegisterCommand(CliContext cli) : PovCommand<ModelRegisterCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandOption("--name <NAME>")]
        public string Name { get; init; } = "";

        [CommandOption("--description <TEXT>")]
        public string Description { get; init; } = "";

        [CommandOption("--provider <ACCOUNT>")]
        [Description("The provider account that charges usage (default: you)")]
        public string? Provider { get; init; }

        [CommandOption("--symbol <SYMBOL>")]
        [Description("The model's AI-token symbol, 2–12 letters or digits")]
        public string Symbol { get; init; } = "";

        [CommandOption("--token-name <NAME>")]
        [Description("The AI token's name (default: '<symbol> token')")]
        public string? TokenName { get; init; }

        [CommandOption("--decimals <N>")]
        [DefaultValue(6)]
        public int Decimals { get; init; } = 6;

        [CommandOption("--supply <AMOUNT>")]
        [Description("Total AI-token supply in base units (an integer; with 6 decimals 1000000 is 1 token), all minted to you")]
        public long Supply { get; init; }

        [CommandOption("--price <AMOUNT>")]
        [Description("Price in POV base units per usage unit (an integer; 2 is 0.000002 POV when POV has 6 decimals)")]
        public long Price { get; init; }

        [CommandOption("--unit <UNIT>")]
        [Description("request, thousand-input-tokens, thousand-output-tokens or second")]
        [DefaultValue("request")]
        public string Unit { get; init; } = "request";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var request = new RegisterModelRequest
        {
            Name = settings.Name,
            Description = settings.Description,
            ProviderAccount = settings.Provider ?? s.Me,
            Token = new TokenSpec { Symbol = settings.Symbol, Name = settings.TokenName ?? $"{settings.Symbol} token", Decimals = settings.Decimals, TotalSupply = settings.Supply },
            Price = new Price { AmountPerUnit = settings.Price, Unit = Parse.Enum<UsageUnit>("--unit", settings.Unit) },
        };
        request.RequestId = s.RequestId(settings);
        var response = await s.Clients.Registry.RegisterModelAsync(request, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        ModelViews.Model(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Model);
    }
}

public sealed class ModelListCommand(CliContext cli) : PovCommand<ModelListCommand.Settings>(cli)
{
    public sealed class Settings : PageSettings
    {
        [CommandOption("--status <STATUS>")]
        [Description("pending-listing, listed, delisted or banned")]
        public string? Status { get; init; }

        [CommandOption("--creator <ACCOUNT>")]
        public string? Creator { get; init; }

        [CommandOption("--provider <ACCOUNT>")]
        public string? Provider { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Registry.ListModelsAsync(new ListModelsRequest
        {
            Status = Parse.EnumOrDefault<ModelStatus>("--status", settings.Status),
            CreatorAccount = settings.Creator ?? "",
            ProviderAccount = settings.Provider ?? "",
            PageSize = settings.Limit,
            PageToken = settings.PageToken ?? "",
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        var money = await s.Clients.MoneyAsync(ct, Money.Pov);
        s.Out.Table("Models", ["model id", "name", "token", "provider", ">price (POV)", "unit", "status"],
            response.Models.Select(m => new[]
            {
                m.ModelId, m.Name, m.Token.Symbol, m.ProviderAccount, money.Bare(m.Price.AmountPerUnit, Money.Pov), Show.Enum(m.Price.Unit), Show.Enum(m.Status),
            }));
        s.Out.NextPage(response.NextPageToken);
    }
}

/// <summary>A model and its status history (GetModelHistory), as a tree in a terminal.</summary>
public sealed class ModelShowCommand(CliContext cli) : PovCommand<ModelShowCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "<MODEL_ID>")]
        public string ModelId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var model = (await s.Clients.Registry.GetModelAsync(new GetModelRequest { ModelId = settings.ModelId }, s.Clients.Call(ct))).Model;
        var history = await s.Clients.Registry.GetModelHistoryAsync(new GetModelHistoryRequest { ModelId = settings.ModelId, PageSize = 100 }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Messages(("model", model), ("history", history));
            return;
        }
        var money = await s.Clients.MoneyAsync(ct, Money.Pov);
        ModelViews.Model(s.Out, money, model);
        if (s.Out.Plain)
        {
            s.Out.Table(null, [">version", "changed", "kind", "source", "status", "price", "actor", "proposal", "reason"],
                history.Entries.Select(e => new[]
                {
                    e.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), Show.Time(e.ChangedAt), Show.Enum(e.Kind), Show.Enum(e.Source),
                    Change(e), PriceChange(money, e), e.ActorAccount, e.ProposalId, e.Reason,
                }));
            return;
        }
        var tree = new Tree($"[bold]History of {model.Name.EscapeMarkup()}[/]");
        foreach (var e in history.Entries)
        {
            var node = tree.AddNode($"[yellow]v{e.Version}[/] {Show.Time(e.ChangedAt)}  [bold]{Show.Enum(e.Kind)}[/] by {Show.Enum(e.Source).EscapeMarkup()}");
            if (Change(e).Length > 0)
            {
                node.AddNode($"status {Change(e).EscapeMarkup()}");
            }
            if (PriceChange(money, e).Length > 0)
            {
                node.AddNode($"price {PriceChange(money, e).EscapeMarkup()}");
            }
            foreach (var (label, value) in new[] { ("actor", e.ActorAccount), ("proposal", e.ProposalId), ("reason", e.Reason) }.Where(p => p.Item2.Length > 0))
            {
                node.AddNode($"[grey]{label}[/] {value.EscapeMarkup()}");
            }
        }
        s.Out.Write(tree);
    }

    private static string Change(ModelHistoryEntry e) =>
        e.NewStatus == ModelStatus.Unspecified ? "" : e.OldStatus == ModelStatus.Unspecified ? Show.Enum(e.NewStatus) : $"{Show.Enum(e.OldStatus)} → {Show.Enum(e.NewStatus)}";

    private static string PriceChange(Money money, ModelHistoryEntry e) =>
        e.NewPrice is null ? "" : e.OldPrice is null ? money.Of(e.NewPrice.AmountPerUnit, Money.Pov)
            : $"{money.Bare(e.OldPrice.AmountPerUnit, Money.Pov)} → {money.Of(e.NewPrice.AmountPerUnit, Money.Pov)}";
}

/// <summary>What a number of units of a model costs now (the gateway's view of price and status).</summary>
public sealed class ModelQuoteCommand(CliContext cli) : PovCommand<ModelQuoteCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "<MODEL_ID>")]
        public string ModelId { get; init; } = "";

        [CommandOption("--units <N>")]
        [DefaultValue(1L)]
        public long Units { get; init; } = 1;
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var q = await s.Clients.Gateway.GetModelQuoteAsync(new GetModelQuoteRequest { ModelId = settings.ModelId, Units = settings.Units }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(q);
            return;
        }
        var money = await s.Clients.MoneyAsync(ct, Money.Pov);
        s.Out.Fields("Quote", ("model", q.ModelId), ("status", Show.Enum(q.Status)), ("provider", q.ProviderAccount),
            ("price", $"{money.Of(q.AmountPerUnit, Money.Pov)} per {Show.Enum(q.Unit)}"), ("units", Show.Count(q.Units)), ("amount", money.Of(q.Amount, Money.Pov)));
    }
}

internal static class ModelViews
{
    public static void Model(Output output, Money money, Model m) =>
        output.Fields($"Model {m.Name}",
            ("model id", m.ModelId), ("name", m.Name), ("description", m.Description), ("status", Show.Enum(m.Status)),
            ("creator", m.CreatorAccount), ("provider", m.ProviderAccount),
            ("token", $"{m.Token.Symbol} ({m.Token.Name}), supply {Show.Units(m.Token.TotalSupply, m.Token.Decimals)} {m.Token.Symbol} ({Show.Count(m.Token.TotalSupply)} base units, {m.Token.Decimals} decimals)"),
            ("price", $"{money.Of(m.Price.AmountPerUnit, Money.Pov)} per {Show.Enum(m.Price.Unit)}"), ("treasury", m.TreasuryAccount),
            ("created", Show.Time(m.CreatedAt)), ("updated", Show.Time(m.UpdatedAt)), ("version", m.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
