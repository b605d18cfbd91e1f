using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Perspective.Contracts.Treasury.V1;
using Perspective.ServiceDefaults.Errors;
using Perspective.Treasury.Commands;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Api;

/// <summary>Stored rows ↔ proto messages, and the page cursors of the list RPCs.</summary>
public static class TreasuryMapping
{
    public static Timestamp Time(DateTime utc) => Timestamp.FromDateTime(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    public static Payout ToProto(PayoutRow row) => new()
    {
        PayoutId = row.PayoutId.ToString("D"),
        ModelId = row.ModelId.ToString("D"),
        ProposalId = row.ProposalId,
        RecipientAccount = row.RecipientAccount,
        Amount = row.Amount,
        Purpose = row.Purpose,
        Status = row.Status switch
        {
            PayoutRow.Paid => PayoutStatus.Paid,
            PayoutRow.Failed => PayoutStatus.Failed,
            _ => PayoutStatus.Unspecified,
        },
        FailureReason = row.FailureReason,
        LedgerTransferId = row.LedgerTransferId,
        LedgerSequence = row.LedgerSequence,
        LedgerHash = row.LedgerHash,
        ExecutedAt = row.ExecutedAt is { } at ? Time(at) : null,
    };

    public static Distribution ToProto(DistributionRow row) => new()
    {
        DistributionId = row.DistributionId.ToString("D"),
        ModelId = row.ModelId.ToString("D"),
        ProposalId = row.ProposalId,
        Amount = row.Amount,
        TokenAsset = row.TokenAsset,
        SnapshotSequence = row.SnapshotSequence,
        SupplyHeld = row.SupplyHeld,
        Status = Status(row.Status),
        LineCount = row.LineCount,
        LinesPaid = row.LinesPaid,
        AmountPaid = row.AmountPaid,
        LinesDigest = row.LinesDigest,
        FailureReason = row.FailureReason,
        CreatedAt = Time(row.CreatedAt),
        CompletedAt = row.Status == DistributionRow.Completed && row.CompletedAt is { } at ? Time(at) : null,
    };

    public static DistributionLine ToProto(Guid distributionId, LineRow row) => new()
    {
        DistributionId = distributionId.ToString("D"),
        HolderAccount = row.HolderAccount,
        HolderBalance = row.HolderBalance,
        Share = row.Share,
        RemainderUnit = row.RemainderUnit,
        Paid = row.Paid,
        LedgerTransferId = row.LedgerTransferId,
        LedgerSequence = row.LedgerSequence,
    };

    public static ReconciliationDifference ToProto(Difference difference) => new()
    {
        Kind = difference.Kind switch
        {
            Difference.MissingInTreasury => ReconciliationDifferenceKind.MissingInTreasury,
            Difference.MissingInLedger => ReconciliationDifferenceKind.MissingInLedger,
            _ => ReconciliationDifferenceKind.AmountMismatch,
        },
        PaymentId = difference.PaymentId,
        LedgerTransferId = difference.LedgerTransferId,
        TreasuryAmount = difference.TreasuryAmount,
        LedgerAmount = difference.LedgerAmount,
    };

    public static DistributionStatus Status(string status) => status switch
    {
        DistributionRow.Pending => DistributionStatus.Pending,
        DistributionRow.Paying => DistributionStatus.Paying,
        DistributionRow.Completed => DistributionStatus.Completed,
        DistributionRow.Failed => DistributionStatus.Failed,
        _ => DistributionStatus.Unspecified,
    };

    /// <summary>The stored status of a filter; null = all.</summary>
    public static string? Status(DistributionStatus status) => status switch
    {
        DistributionStatus.Unspecified => null,
        DistributionStatus.Pending => DistributionRow.Pending,
        DistributionStatus.Paying => DistributionRow.Paying,
        DistributionStatus.Completed => DistributionRow.Completed,
        DistributionStatus.Failed => DistributionRow.Failed,
        _ => throw DomainException.InvalidArgument("status", "is not a distribution status"),
    };

    public static string Cursor(long position) => position.ToString(CultureInfo.InvariantCulture);

    /// <summary>A numeric cursor (a position or line number) from a page token, or null for the first page.</summary>
    public static long? Position(string? after)
    {
        if (after is null)
        {
            return null;
        }
        return long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position >= 0
            ? position
            : throw DomainException.InvalidArgument("page_token", "is not a token this service returned");
    }

    /// <summary>The UTC day of a timestamp field, refusing one outside the timestamp range.</summary>
    public static DateOnly Day(string field, Timestamp timestamp)
    {
        try
        {
            return DateOnly.FromDateTime(timestamp.ToDateTime());
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentOutOfRangeException)
        {
            throw DomainException.InvalidArgument(field, "is not a valid timestamp");
        }
    }

    public static string DayCursor(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static DateOnly DayFromCursor(string after) =>
        DateOnly.TryParseExact(after, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw DomainException.InvalidArgument("page_token", "is not a token this service returned");
}
