using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Registry.V1;
using Proto = Perspective.Contracts.Gateway.V1;

namespace Perspective.Client;

/// <summary>A ChargeUsage that went through: the payment (paid once for <see cref="RequestId"/>) and the allowance after it.</summary>
public sealed record ChargeResult(string RequestId, UsagePayment Payment, AllowanceState Allowance);

/// <summary>An AuthorizeUsage that went through: the fee for at most MaxUnits is held on the payer's POV.</summary>
public sealed record AuthorizeResult(string RequestId, MeteredAuthorization Authorization);

/// <summary>A SettleUsage that went through: the used part paid, the rest released.</summary>
public sealed record SettleResult(string RequestId, MeteredAuthorization Authorization, UsagePayment Payment);

/// <summary>A CancelUsage that went through: the hold voided, nothing charged.</summary>
public sealed record CancelResult(string RequestId, MeteredAuthorization Authorization);

/// <summary>One usage payment, payer → <c>treasury:&lt;model&gt;</c>. Amounts in POV base units.</summary>
public sealed record UsagePayment(
    string PaymentId,
    PaymentKind Kind,
    string RequestId,
    string ModelId,
    string PayerAccount,
    string ProviderAccount,
    long Units,
    UsageUnit Unit,
    long AmountPerUnitBaseUnits,
    long AmountBaseUnits,
    string TreasuryAccount,
    string? AuthorizationId,
    string LedgerTransferId,
    long LedgerSequence,
    DateTimeOffset CreatedAt)
{
    internal static UsagePayment From(Payment p) => new(
        p.PaymentId, p.Kind, p.RequestId, p.ModelId, p.PayerAccount, p.ProviderAccount, p.Units, p.Unit, p.AmountPerUnit, p.Amount,
        p.TreasuryAccount, NullIfEmpty(p.AuthorizationId), p.LedgerTransferId, p.LedgerSequence, p.CreatedAt.ToDateTimeOffset());

    internal static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}

/// <summary>What a payer allows a model's provider to charge. Amounts in POV base units.</summary>
public sealed record AllowanceState(
    string PayerAccount,
    string ModelId,
    long CapBaseUnits,
    long UsedBaseUnits,
    long ReservedBaseUnits,
    long RemainingBaseUnits,
    DateTimeOffset? ExpiresAt,
    AllowanceStatus Status,
    DateTimeOffset UpdatedAt)
{
    internal static AllowanceState From(Allowance a) => new(
        a.PayerAccount, a.ModelId, a.CapAmount, a.UsedAmount, a.ReservedAmount, a.RemainingAmount, a.ExpiresAt?.ToDateTimeOffset(), a.Status,
        a.UpdatedAt.ToDateTimeOffset());
}

/// <summary>A reservation of a payer's POV for metered usage, at a price fixed when it was authorized. Amounts in POV base units.</summary>
public sealed record MeteredAuthorization(
    string AuthorizationId,
    string ModelId,
    string PayerAccount,
    string ProviderAccount,
    long MaxUnits,
    UsageUnit Unit,
    long AmountPerUnitBaseUnits,
    long MaxAmountBaseUnits,
    UsageAuthorizationStatus Status,
    long UnitsUsed,
    string? PaymentId,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? ClosedAt)
{
    internal static MeteredAuthorization From(Proto.UsageAuthorization a) => new(
        a.AuthorizationId, a.ModelId, a.PayerAccount, a.ProviderAccount, a.MaxUnits, a.Unit, a.AmountPerUnit, a.MaxAmount, a.Status, a.UnitsUsed,
        UsagePayment.NullIfEmpty(a.PaymentId), a.CreatedAt.ToDateTimeOffset(), a.ExpiresAt.ToDateTimeOffset(), a.ClosedAt?.ToDateTimeOffset());
}

/// <summary>What <see cref="Units"/> of a model cost now, as the gateway will charge it. Amounts in POV base units.</summary>
public sealed record ModelQuote(
    string ModelId,
    ModelStatus Status,
    string ProviderAccount,
    UsageUnit Unit,
    long AmountPerUnitBaseUnits,
    long Units,
    long AmountBaseUnits,
    DateTimeOffset AsOf)
{
    /// <summary>Only a LISTED model can be charged.</summary>
    public bool IsChargeable => Status == ModelStatus.Listed;

    internal static ModelQuote From(GetModelQuoteResponse q) => new(
        q.ModelId, q.Status, q.ProviderAccount, q.Unit, q.AmountPerUnit, q.Units, q.Amount, q.AsOf.ToDateTimeOffset());
}
