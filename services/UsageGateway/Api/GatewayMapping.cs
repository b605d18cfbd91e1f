using Google.Protobuf.WellKnownTypes;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.UsageGateway.Domain;
using PaymentKind = Perspective.UsageGateway.Domain.PaymentKind;

namespace Perspective.UsageGateway.Api;

/// <summary>Rows to proto messages and back.</summary>
public static class GatewayMapping
{
    public static Timestamp Ts(DateTime utc) => Timestamp.FromDateTime(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    public static Allowance ToProto(AllowanceRecord a, DateTimeOffset now)
    {
        var proto = new Allowance
        {
            PayerAccount = a.PayerAccount,
            ModelId = a.ModelId,
            CapAmount = a.CapAmount,
            UsedAmount = a.UsedAmount,
            ReservedAmount = a.ReservedAmount,
            RemainingAmount = a.RemainingAt(now),
            Status = (AllowanceStatus)(int)a.StateAt(now),
            UpdatedAt = Ts(a.UpdatedAt),
        };
        if (a.ExpiresAt is { } expiresAt)
        {
            proto.ExpiresAt = Ts(expiresAt);
        }
        return proto;
    }

    public static Payment ToProto(PaymentRecord p) => new()
    {
        PaymentId = p.PaymentId.ToString(),
        Kind = p.Kind == PaymentKind.Charge ? Contracts.Gateway.V1.PaymentKind.Charge : Contracts.Gateway.V1.PaymentKind.Metered,
        RequestId = p.RequestId.ToString(),
        ModelId = p.ModelId,
        PayerAccount = p.PayerAccount,
        ProviderAccount = p.ProviderAccount,
        Units = p.Units,
        Unit = (UsageUnit)(int)p.Unit,
        AmountPerUnit = p.AmountPerUnit,
        Amount = p.Amount,
        TreasuryAccount = GatewayRules.TreasuryAccount(p.ModelId),
        AuthorizationId = p.AuthorizationId?.ToString() ?? "",
        LedgerTransferId = p.LedgerTransferId ?? "",
        LedgerSequence = p.LedgerSequence ?? 0,
        LedgerHash = p.LedgerHash ?? "",
        CreatedAt = Ts(p.CreatedAt),
    };

    public static UsageAuthorization ToProto(AuthorizationRecord a)
    {
        var proto = new UsageAuthorization
        {
            AuthorizationId = a.AuthorizationId.ToString(),
            ModelId = a.ModelId,
            PayerAccount = a.PayerAccount,
            ProviderAccount = a.ProviderAccount,
            MaxUnits = a.MaxUnits,
            Unit = (UsageUnit)(int)a.Unit,
            AmountPerUnit = a.AmountPerUnit,
            MaxAmount = a.MaxAmount,
            Status = a.Status switch
            {
                AuthorizationStatus.Settled => UsageAuthorizationStatus.Settled,
                AuthorizationStatus.Canceled => UsageAuthorizationStatus.Canceled,
                AuthorizationStatus.Expired => UsageAuthorizationStatus.Expired,
                // Mid-flight states are still open to the outside until their close commits.
                _ => UsageAuthorizationStatus.Authorized,
            },
            UnitsUsed = a.Status == AuthorizationStatus.Settled ? a.UnitsUsed : 0,
            PaymentId = a.Status == AuthorizationStatus.Settled ? a.PaymentId?.ToString() ?? "" : "",
            LedgerHoldId = a.LedgerHoldId?.ToString() ?? "",
            CreatedAt = Ts(a.CreatedAt),
            ExpiresAt = Ts(a.ExpiresAt),
        };
        if (a.ClosedAt is { } closedAt)
        {
            proto.ClosedAt = Ts(closedAt);
        }
        return proto;
    }

    public static AuthorizationStatus? FromProto(UsageAuthorizationStatus status) => status switch
    {
        UsageAuthorizationStatus.Unspecified => null,
        UsageAuthorizationStatus.Authorized => AuthorizationStatus.Authorized,
        UsageAuthorizationStatus.Settled => AuthorizationStatus.Settled,
        UsageAuthorizationStatus.Canceled => AuthorizationStatus.Canceled,
        UsageAuthorizationStatus.Expired => AuthorizationStatus.Expired,
        _ => throw ServiceDefaults.Errors.DomainException.InvalidArgument("status", "is not a known authorization status"),
    };

    /// <summary>Keyset cursor (created_at, id) as a page-token key.</summary>
    public static string Key(DateTime createdAt, Guid id) => $"{createdAt.Ticks}|{id:D}";

    public static (DateTime CreatedAt, Guid Id)? ParseKey(string? key)
    {
        if (key is null)
        {
            return null;
        }
        var parts = key.Split('|');
        if (parts.Length != 2 || !long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTime.MaxValue.Ticks || !Guid.TryParse(parts[1], out var id))
        {
            throw ServiceDefaults.Errors.DomainException.InvalidArgument("page_token", "is not a token this service returned");
        }
        return (new DateTime(ticks, DateTimeKind.Utc), id);
    }
}
