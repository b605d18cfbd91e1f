using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Gateway.V1;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Usage;

/// <summary>A provider charges a payer for units of its model, within the payer's allowance.</summary>
public sealed class ChargeCommand(CliContext cli) : PovCommand<ChargeCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<MODEL_ID>")]
        public string ModelId { get; init; } = "";

        [CommandArgument(1, "<PAYER>")]
        public string Payer { get; init; } = "";

        [CommandArgument(2, "[UNITS]")]
        [DefaultValue(1L)]
        public long Units { get; init; } = 1;
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Gateway.ChargeUsageAsync(new ChargeUsageRequest
        {
            RequestId = s.RequestId(settings),
            ModelId = settings.ModelId,
            PayerAccount = settings.Payer,
            Units = settings.Units,
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        var p = response.Payment;
        var money = await s.Clients.MoneyAsync(ct, Money.Pov);
        s.Out.Done($"charged {p.PayerAccount} {money.Of(p.Amount, Money.Pov)} for {Show.Count(p.Units)} units (payment {p.PaymentId}, ledger sequence {p.LedgerSequence}); allowance remaining {money.Of(response.Allowance.RemainingAmount, Money.Pov)}");
    }
}

public sealed class AuthorizeCommand(CliContext cli) : PovCommand<AuthorizeCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<MODEL_ID>")]
        public string ModelId { get; init; } = "";

        [CommandArgument(1, "<PAYER>")]
        public string Payer { get; init; } = "";

        [CommandArgument(2, "<MAX_UNITS>")]
        [Description("Most units the metered call may use; their price is held on the Ledger")]
        public long MaxUnits { get; init; }

        [CommandOption("--ttl <SECONDS>")]
        [Description("How long the hold lives, 1–86400 seconds")]
        [DefaultValue(600L)]
        public long Ttl { get; init; } = 600;
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Gateway.AuthorizeUsageAsync(new AuthorizeUsageRequest
        {
            RequestId = s.RequestId(settings),
            ModelId = settings.ModelId,
            PayerAccount = settings.Payer,
            MaxUnits = settings.MaxUnits,
            TtlSeconds = settings.Ttl,
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Authorization(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Authorization);
    }
}

public sealed class SettleCommand(CliContext cli) : PovCommand<SettleCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<AUTHORIZATION_ID>")]
        public string AuthorizationId { get; init; } = "";

        [CommandArgument(1, "<UNITS_USED>")]
        public long UnitsUsed { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Gateway.SettleUsageAsync(new SettleUsageRequest
        {
            RequestId = s.RequestId(settings),
            AuthorizationId = settings.AuthorizationId,
            UnitsUsed = settings.UnitsUsed,
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Authorization(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Authorization);
        if (response.Payment is { } payment)
        {
            UsageViews.Payment(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), payment);
        }
    }
}

public sealed class CancelUsageCommand(CliContext cli) : PovCommand<CancelUsageCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandArgument(0, "<AUTHORIZATION_ID>")]
        public string AuthorizationId { get; init; } = "";

        [CommandOption("--reason <TEXT>")]
        public string? Reason { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Gateway.CancelUsageAsync(new CancelUsageRequest
        {
            RequestId = s.RequestId(settings),
            AuthorizationId = settings.AuthorizationId,
            Reason = settings.Reason ?? "",
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Authorization(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Authorization);
    }
}

public sealed class AuthorizationShowCommand(CliContext cli) : PovCommand<AuthorizationShowCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "<AUTHORIZATION_ID>")]
        public string AuthorizationId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Gateway.GetUsageAuthorizationAsync(
            new GetUsageAuthorizationRequest { AuthorizationId = settings.AuthorizationId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Authorization(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Authorization);
    }
}

public sealed class AuthorizationListCommand(CliContext cli) : PovCommand<AuthorizationListCommand.Settings>(cli)
{
    public sealed class Settings : PageSettings
    {
        [CommandOption("--payer <ACCOUNT>")]
        public string? Payer { get; init; }

        [CommandOption("--model <MODEL_ID>")]
        public string? Model { get; init; }

        [CommandOption("--status <STATUS>")]
        [Description("authorized, settled, canceled or expired")]
        public string? Status { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Gateway.ListUsageAuthorizationsAsync(new ListUsageAuthorizationsRequest
        {
            PayerAccount = settings.Payer ?? "",
            ModelId = settings.Model ?? "",
            Status = Parse.EnumOrDefault<UsageAuthorizationStatus>("--status", settings.Status),
            PageSize = settings.Limit,
            PageToken = settings.PageToken ?? "",
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Authorizations(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Authorizations);
        s.Out.NextPage(response.NextPageToken);
    }
}

public sealed class PaymentListCommand(CliContext cli) : PovCommand<PaymentListCommand.Settings>(cli)
{
    public sealed class Settings : PageSettings
    {
        [CommandOption("--payer <ACCOUNT>")]
        public string? Payer { get; init; }

        [CommandOption("--model <MODEL_ID>")]
        public string? Model { get; init; }

        [CommandOption("--since <WHEN>")]
        [Description("ISO 8601 time")]
        public string? Since { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var request = new ListPaymentsRequest
        {
            PayerAccount = settings.Payer ?? "",
            ModelId = settings.Model ?? "",
            PageSize = settings.Limit,
            PageToken = settings.PageToken ?? "",
        };
        if (settings.Since is { } since)
        {
            request.FromTime = Parse.When("--since", since, s.Cli.Clock);
        }
        var response = await s.Clients.Gateway.ListPaymentsAsync(request, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Payments(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Payments);
        s.Out.NextPage(response.NextPageToken);
    }
}

public sealed class PaymentShowCommand(CliContext cli) : PovCommand<PaymentShowCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "<PAYMENT_ID>")]
        public string PaymentId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var response = await s.Clients.Gateway.GetPaymentAsync(new GetPaymentRequest { PaymentId = settings.PaymentId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(response);
            return;
        }
        UsageViews.Payment(s.Out, await s.Clients.MoneyAsync(ct, Money.Pov), response.Payment);
    }
}
