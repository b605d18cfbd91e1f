using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Gateway.V1;

namespace Perspective.Cli.Commands.Usage;

internal static class UsageViews
{
    public static void Allowance(Output output, Money money, Allowance a) =>
        output.Fields("Allowance",
            ("payer", a.PayerAccount), ("model", a.ModelId), ("cap", money.Of(a.CapAmount, Money.Pov)), ("used", money.Of(a.UsedAmount, Money.Pov)),
            ("reserved", money.Of(a.ReservedAmount, Money.Pov)), ("remaining", money.Of(a.RemainingAmount, Money.Pov)),
            ("expires", a.ExpiresAt is null ? "never" : Show.Time(a.ExpiresAt)), ("status", Show.Enum(a.Status)), ("updated", Show.Time(a.UpdatedAt)));

    public static void Allowances(Output output, Money money, IEnumerable<Allowance> allowances) =>
        output.Table("Allowances", ["payer", "model", ">cap (POV)", ">used (POV)", ">reserved (POV)", ">remaining (POV)", "expires", "status"],
            allowances.Select(a => new[]
            {
                a.PayerAccount, a.ModelId, money.Bare(a.CapAmount, Money.Pov), money.Bare(a.UsedAmount, Money.Pov), money.Bare(a.ReservedAmount, Money.Pov),
                money.Bare(a.RemainingAmount, Money.Pov), a.ExpiresAt is null ? "never" : Show.Time(a.ExpiresAt), Show.Enum(a.Status),
            }));

    public static void Payment(Output output, Money money, Payment p) =>
        output.Fields("Payment",
            ("payment id", p.PaymentId), ("kind", Show.Enum(p.Kind)), ("request id", p.RequestId), ("model", p.ModelId), ("payer", p.PayerAccount),
            ("provider", p.ProviderAccount), ("units", $"{Show.Count(p.Units)} × {money.Of(p.AmountPerUnit, Money.Pov)} per {Show.Enum(p.Unit)}"),
            ("amount", money.Of(p.Amount, Money.Pov)), ("paid to", p.TreasuryAccount), ("authorization", p.AuthorizationId),
            ("ledger transfer", p.LedgerTransferId), ("ledger sequence", p.LedgerSequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("created", Show.Time(p.CreatedAt)));

    public static void Payments(Output output, Money money, IEnumerable<Payment> payments) =>
        output.Table("Payments", ["payment id", "kind", "model", "payer", ">units", ">amount (POV)", ">ledger seq", "created"],
            payments.Select(p => new[]
            {
                p.PaymentId, Show.Enum(p.Kind), p.ModelId, p.PayerAccount, Show.Count(p.Units), money.Bare(p.Amount, Money.Pov),
                p.LedgerSequence.ToString(System.Globalization.CultureInfo.InvariantCulture), Show.Time(p.CreatedAt),
            }));

    public static void Authorization(Output output, Money money, UsageAuthorization a) =>
        output.Fields("Usage authorization",
            ("authorization id", a.AuthorizationId), ("model", a.ModelId), ("payer", a.PayerAccount), ("provider", a.ProviderAccount),
            ("max", $"{Show.Count(a.MaxUnits)} units = {money.Of(a.MaxAmount, Money.Pov)} held"), ("price", $"{money.Of(a.AmountPerUnit, Money.Pov)} per {Show.Enum(a.Unit)}"),
            ("status", Show.Enum(a.Status)), ("units used", Show.Count(a.UnitsUsed)), ("payment", a.PaymentId), ("ledger hold", a.LedgerHoldId),
            ("created", Show.Time(a.CreatedAt)), ("expires", Show.Time(a.ExpiresAt)), ("closed", Show.Time(a.ClosedAt)));

    public static void Authorizations(Output output, Money money, IEnumerable<UsageAuthorization> authorizations) =>
        output.Table("Usage authorizations", ["authorization id", "model", "payer", ">max units", ">max amount (POV)", "status", ">units used", "expires"],
            authorizations.Select(a => new[]
            {
                a.AuthorizationId, a.ModelId, a.PayerAccount, Show.Count(a.MaxUnits), money.Bare(a.MaxAmount, Money.Pov), Show.Enum(a.Status),
                Show.Count(a.UnitsUsed), Show.Time(a.ExpiresAt),
            }));
}
