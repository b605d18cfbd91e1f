using Perspective.Contracts.Events.Registry.V1;

namespace Perspective.UsageGateway.Domain;

public enum AllowanceState
{
    Active = 1,
    Expired = 2,
    Revoked = 3,
}

/// <summary>A payer's allowance for a model, as stored. Status and remaining depend on the time they are read at.</summary>
public sealed record AllowanceRecord
{
    public string PayerAccount { get; init; } = "";
    public string ModelId { get; init; } = "";
    public long CapAmount { get; init; }
    public long UsedAmount { get; init; }
    public long ReservedAmount { get; init; }
    public DateTime? ExpiresAt { get; init; }
    public DateTime? RevokedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    public AllowanceState StateAt(DateTimeOffset now) =>
        RevokedAt is not null ? AllowanceState.Revoked
        : ExpiresAt is { } expiry && expiry <= now ? AllowanceState.Expired
        : AllowanceState.Active;

    /// <summary>max(0, cap − used − reserved) while active, else 0. Used plus reserved can exceed a cap lowered by a later SetAllowance.</summary>
    public long RemainingAt(DateTimeOffset now) =>
        StateAt(now) == AllowanceState.Active ? Math.Max(0, checked(CapAmount - UsedAmount - ReservedAmount)) : 0;

    /// <summary>Why <paramref name="amount"/> may not be charged or reserved now, or null when it may.</summary>
    public string? RefusalAt(DateTimeOffset now, long amount) => StateAt(now) switch
    {
        AllowanceState.Revoked => $"allowance of {PayerAccount} for model {ModelId} was revoked",
        AllowanceState.Expired => $"allowance of {PayerAccount} for model {ModelId} expired at {ExpiresAt:O}",
        _ when RemainingAt(now) < amount => $"allowance short: {PayerAccount} allows {RemainingAt(now)} more for model {ModelId}, the fee is {amount}",
        _ => null,
    };
}

public enum PaymentKind : short
{
    Charge = 1,
    Metered = 2,
}

public enum PaymentStatus : short
{
    Pending = 1,
    Paid = 2,
}

/// <summary>One payment row.</summary>
public sealed record PaymentRecord
{
    public Guid PaymentId { get; init; }
    public Guid RequestId { get; init; }
    public byte[] ContentHash { get; init; } = [];
    public PaymentKind Kind { get; init; }
    public PaymentStatus Status { get; init; }
    public string ModelId { get; init; } = "";
    public string PayerAccount { get; init; } = "";
    public string ProviderAccount { get; init; } = "";
    public long Units { get; init; }
    public PriceUnit Unit { get; init; }
    public long AmountPerUnit { get; init; }
    public long Amount { get; init; }
    public Guid? AuthorizationId { get; init; }
    public string? LedgerTransferId { get; init; }
    public long? LedgerSequence { get; init; }
    public string? LedgerHash { get; init; }
    public DateTime CreatedAt { get; init; }
    public byte[]? Response { get; init; }

    /// <summary>This payment once the Ledger moved its money (<paramref name="transfer"/> is null for a free model).</summary>
    public PaymentRecord Paid(Contracts.Ledger.V1.Transfer? transfer) => this with
    {
        Status = PaymentStatus.Paid,
        LedgerTransferId = transfer?.TransferId,
        LedgerSequence = transfer?.Receipt.Sequence,
        LedgerHash = transfer?.Receipt.Hash,
    };
}

public enum AuthorizationStatus : short
{
    Creating = 0,
    Authorized = 1,
    Settled = 2,
    Canceled = 3,
    Expired = 4,
    Settling = 5,
    Canceling = 6,
    Expiring = 7,
}

/// <summary>One usage authorization row.</summary>
public sealed class AuthorizationRecord
{
    public Guid AuthorizationId { get; init; }
    public Guid RequestId { get; init; }
    public string ModelId { get; init; } = "";
    public string PayerAccount { get; init; } = "";
    public string ProviderAccount { get; init; } = "";
    public long MaxUnits { get; init; }
    public PriceUnit Unit { get; init; }
    public long AmountPerUnit { get; init; }
    public long MaxAmount { get; init; }
    public AuthorizationStatus Status { get; init; }
    public long UnitsUsed { get; init; }
    public Guid? PaymentId { get; init; }
    public Guid? LedgerHoldId { get; init; }
    public Guid? ClosingRequestId { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? ClosedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>What the gateway knows of a model: enough to decide a charge. <paramref name="AsOf"/> is when it was read from the registry.</summary>
public sealed record ModelInfo(string ModelId, ModelStatus Status, string ProviderAccount, long AmountPerUnit, PriceUnit Unit, long Version, DateTimeOffset AsOf);
