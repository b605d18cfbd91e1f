using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Ledger.V1;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Ledger;

public sealed class SwapCreateCommand(CliContext cli) : PovCommand<SwapCreateCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandOption("--give <AMOUNT:ASSET>")]
        [Description("What you give, escrowed at once, <base units>:<asset>, e.g. 5000:MYMODEL")]
        public string Give { get; init; } = "";

        [CommandOption("--want <AMOUNT:ASSET>")]
        [Description("What you want in return, <base units>:<asset>, e.g. 2500:POV")]
        public string Want { get; init; } = "";

        [CommandOption("--to <ACCOUNT>")]
        [Description("The only account that may accept (default: anyone)")]
        public string? Counterparty { get; init; }

        [CommandOption("--expires <WHEN>")]
        [Description("ISO 8601 or a duration from now")]
        [DefaultValue("1d")]
        public string Expires { get; init; } = "1d";

        [CommandOption("--memo <TEXT>")]
        public string? Memo { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var give = Parse.Pair("--give", settings.Give, "AMOUNT:ASSET");
        var want = Parse.Pair("--want", settings.Want, "AMOUNT:ASSET");
        var request = new CreateSwapOfferRequest
        {
            MakerAccount = s.Me,
            GiveAmount = Parse.Long("--give", give[0]),
            GiveAsset = give[1],
            WantAmount = Parse.Long("--want", want[0]),
            WantAsset = want[1],
            CounterpartyAccount = settings.Counterparty ?? "",
            ExpiresAt = Parse.When("--expires", settings.Expires, s.Cli.Clock),
            Memo = settings.Memo ?? "",
        };
        request.RequestId = s.RequestId(settings);
        var response = await s.Clients.Ledger.CreateSwapOfferAsync(request, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Offer(s.Out, await s.Clients.MoneyAsync(ct, response.Offer.GiveAsset, response.Offer.WantAsset), response.Offer);
    }
}

public sealed class SwapAcceptCommand(CliContext cli) : PovCommand<SwapAcceptCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<OFFER_ID>")]
        public string OfferId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var request = new AcceptSwapOfferRequest { OfferId = settings.OfferId, TakerAccount = s.Me };
        request.RequestId = s.RequestId(settings);
        var response = await s.Clients.Ledger.AcceptSwapOfferAsync(request, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Offer(s.Out, await s.Clients.MoneyAsync(ct, response.Offer.GiveAsset, response.Offer.WantAsset), response.Offer);
        LedgerViews.Transfers(s.Out, await s.Clients.MoneyAsync(ct, response.Transfers.Select(t => t.Asset)), response.Transfers);
    }
}

public sealed class SwapCancelCommand(CliContext cli) : PovCommand<SwapCancelCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<OFFER_ID>")]
        public string OfferId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Ledger.CancelSwapOfferAsync(
            new CancelSwapOfferRequest { RequestId = s.RequestId(settings), OfferId = settings.OfferId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Offer(s.Out, await s.Clients.MoneyAsync(ct, response.Offer.GiveAsset, response.Offer.WantAsset), response.Offer);
    }
}

public sealed class SwapListCommand(CliContext cli) : PovCommand<SwapListCommand.Settings>(cli)
{
    public sealed class Settings : PageSettings
    {
        [CommandOption("--maker <ACCOUNT>")]
        public string? Maker { get; init; }

        [CommandOption("--acceptable-by <ACCOUNT>")]
        [Description("Offers this account may accept (open to anyone or naming it)")]
        public string? AcceptableBy { get; init; }

        [CommandOption("--asset <CODE>")]
        [Description("Offers giving or wanting this asset")]
        public string? Asset { get; init; }

        [CommandOption("--status <STATUS>")]
        [Description("open, accepted, canceled or expired")]
        public string? Status { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Ledger.ListSwapOffersAsync(new ListSwapOffersRequest
        {
            MakerAccount = settings.Maker ?? "",
            AcceptableBy = settings.AcceptableBy ?? "",
            Asset = settings.Asset ?? "",
            Status = Parse.EnumOrDefault<SwapOfferStatus>("--status", settings.Status),
            PageSize = settings.Limit,
            PageToken = settings.PageToken ?? "",
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Offers(s.Out, await s.Clients.MoneyAsync(ct, response.Offers.SelectMany(o => new[] { o.GiveAsset, o.WantAsset })), response.Offers);
        s.Out.NextPage(response.NextPageToken);
    }
}

public sealed class SwapShowCommand(CliContext cli) : PovCommand<SwapShowCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "<OFFER_ID>")]
        public string OfferId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Ledger.GetSwapOfferAsync(new GetSwapOfferRequest { OfferId = settings.OfferId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        LedgerViews.Offer(s.Out, await s.Clients.MoneyAsync(ct, response.Offer.GiveAsset, response.Offer.WantAsset), response.Offer);
    }
}
