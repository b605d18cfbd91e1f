using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Gateway.V1;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Usage;

public sealed class AllowanceSetCommand(CliContext cli) : PovCommand<AllowanceSetCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<MODEL_ID>")]
        public string ModelId { get; init; } = "";

        [CommandArgument(1, "<CAP>")]
        [Description("Most the model's provider may charge you in total, in POV base units (an integer; 1000000 is 1 POV when POV has 6 decimals)")]
        public long Cap { get; init; }

        [CommandOption("--expires <WHEN>")]
        [Description("ISO 8601 or a duration from now (default: no expiry)")]
        public string? Expires { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var request = new SetAllowanceRequest { ModelId = settings.ModelId, CapAmount = settings.Cap };
        if (settings.Expires is { } expires)
        {
            request.ExpiresAt = Parse.When("--expires", expires, s.Cli.Clock);
        }
        request.RequestId = s.RequestId(settings);
        var response = await s.Clients.Gateway.SetAllowanceAsync(request, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Allowance(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Allowance);
    }
}

public sealed class AllowanceShowCommand(CliContext cli) : PovCommand<AllowanceShowCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "<MODEL_ID>")]
        public string ModelId { get; init; } = "";

        [CommandOption("--payer <ACCOUNT>")]
        [Description("Whose allowance (default: yours; a provider may read its payers')")]
        public string? Payer { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Gateway.GetAllowanceAsync(
            new GetAllowanceRequest { ModelId = settings.ModelId, PayerAccount = settings.Payer ?? s.Me }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Allowance(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Allowance);
    }
}

public sealed class AllowanceRevokeCommand(CliContext cli) : PovCommand<AllowanceRevokeCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<MODEL_ID>")]
        public string ModelId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Gateway.RevokeAllowanceAsync(
            new RevokeAllowanceRequest { RequestId = s.RequestId(settings), ModelId = settings.ModelId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Allowance(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Allowance);
    }
}

public sealed class AllowanceListCommand(CliContext cli) : PovCommand<AllowanceListCommand.Settings>(cli)
{
    public sealed class Settings : PageSettings
    {
        [CommandOption("--payer <ACCOUNT>")]
        [Description("Default: you")]
        public string? Payer { get; init; }

        [CommandOption("--all")]
        [Description("Include expired and revoked allowances")]
        public bool All { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Gateway.ListAllowancesAsync(new ListAllowancesRequest
        {
            PayerAccount = settings.Payer ?? s.Me,
            IncludeInactive = settings.All,
            PageSize = settings.Limit,
            PageToken = settings.PageToken ?? "",
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Allowances(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Allowances);
        s.Out.NextPage(response.NextPageToken);
    }
}
