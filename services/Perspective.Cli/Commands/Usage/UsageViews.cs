using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Gateway.V1;

namespace Perspective.Cli.Commands.Usage;

internal static class UsageViews
{
    public static void Allowance(Output output, Allowance a) =>
        output.Fields("Allowance",
            ("payer", a.PayerAccount), ("model", a.ModelId), ("cap", Show.Amount(a.CapAmount)), ("used", Show.Amount(a.UsedAmount)),
            ("reserved", Show.Amount(a.ReservedAmount)), ("remaining", Show.Amount(a.RemainingAmount)),
            ("expires", a.ExpiresAt is null ? "never" : Show.Time(a.ExpiresAt)), ("status", Show.Enum(a.Status)), ("updated", Show.Time(a.UpdatedAt)));

    public static void Allowances(Output output, IEnumerable<Allowance> allowances) =>
        output.Table("Allowances", ["payer", "model", ">cap", ">used", ">reserved", ">remaining", "expires", "status"],
            allowances.Select(a => new[]
            {
                a.PayerAccount, a.ModelId, Show.Amount(a.CapAmount), Show.Amount(a.UsedAmount), Show.Amount(a.ReservedAmount),
                Show.Amount(a.RemainingAmount), a.ExpiresAt is null ? "never" : Show.Time(a.ExpiresAt), Show.Enum(a.Status),
            }));

    public static void Payment(Output output, Payment p) =>
        output.Fields("Payment",
            ("payment id", p.PaymentId), ("kind", Show.Enum(p.Kind)), ("request id", p.RequestId), ("model", p.ModelId), ("payer", p.PayerAccount),
            ("provider", p.ProviderAccount), ("units", $"{Show.Amount(p.Units)} × {Show.Amount(p.AmountPerUnit)} POV per {Show.Enum(p.Unit)}"),
            ("amount", $"{Show.Amount(p.Amount)} POV"), ("paid to", p.TreasuryAccount), ("authorization", p.AuthorizationId),
            ("ledger transfer", p.LedgerTransferId), ("ledger sequence", p.LedgerSequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("created", Show.Time(p.CreatedAt)));

    public static void Payments(Output output, IEnumerable<Payment> payments) =>
        output.Table("Payments", ["payment id", "kind", "model", "payer", ">units", ">amount", ">ledger seq", "created"],
            payments.Select(p => new[]
            {
                p.PaymentId, Show.Enum(p.Kind), p.ModelId, p.PayerAccount, Show.Amount(p.Units), Show.Amount(p.Amount),
                p.LedgerSequence.ToString(System.Globalization.CultureInfo.InvariantCulture), Show.Time(p.CreatedAt),
            }));

    public static void Authorization(Output output, UsageAuthorization a) =>
        output.Fields("Usage authorization",
            ("authorization id", a.AuthorizationId), ("model", a.ModelId), ("payer", a.PayerAccount), ("provider", a.ProviderAccount),
            ("max", $"{Show.Amount(a.MaxUnits)} units = {Show.Amount(a.MaxAmount)} POV held"), ("price", $"{Show.Amount(a.AmountPerUnit)} per {Show.Enum(a.Unit)}"),
            ("status", Show.Enum(a.Status)), ("units used", Show.Amount(a.UnitsUsed)), ("payment", a.PaymentId), ("ledger hold", a.LedgerHoldId),
            ("created", Show.Time(a.CreatedAt)), ("expires", Show.Time(a.ExpiresAt)), ("closed", Show.Time(a.ClosedAt)));

    public static void Authorizations(Output output, IEnumerable<UsageAuthorization> authorizations) =>
        output.Table("Usage authorizations", ["authorization id", "model", "payer", ">max units", ">max amount", "status", ">units used", "expires"],
            authorizations.Select(a => new[]
            {
                a.AuthorizationId, a.ModelId, a.PayerAccount, Show.Amount(a.MaxUnits), Show.Amount(a.MaxAmount), Show.Enum(a.Status),
                Show.Amount(a.UnitsUsed), Show.Time(a.ExpiresAt),
            }));
}
