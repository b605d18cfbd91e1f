using System.Text.RegularExpressions;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.Treasury.Domain;

/// <summary>The treasury's input rules and account names; pure, unit-tested.</summary>
public static partial class TreasuryRules
{
    /// <summary>The Ledger asset code of POV, the currency every treasury holds.</summary>
    public const string Pov = "POV";

    public const string TreasuryPrefix = "treasury:";
    public const string IssuancePrefix = "issuance:";

    /// <summary>The Ledger's limits on an account id and a memo (perspective.ledger.v1).</summary>
    public const int AccountLengthMax = 128;
    public const int MemoLengthMax = 256;

    /// <summary>The longest ListRevenue range, in days (ten years): a bound on the rows one call may generate.</summary>
    public const int RevenueRangeDaysMax = 3_660;

    /// <summary>
    /// How the gateway marks its payments to a treasury on the Ledger (services/UsageGateway/Payments): a ChargeUsage leg is
    /// a TRANSFER with memo <c>usage charge &lt;request id&gt;</c>; a metered settle is the HOLD_POST of a hold whose memo is
    /// <c>usage authorization &lt;authorization id&gt;</c>. Reconciliation counts only these as revenue.
    /// </summary>
    public const string ChargeMemoPrefix = "usage charge ";
    public const string AuthorizationMemoPrefix = "usage authorization ";

    // The Ledger's account pattern: letters, digits and a few separators, no spaces.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9:_.@-]*$")]
    private static partial Regex AccountPattern();

    public static string TreasuryAccount(Guid modelId) => TreasuryPrefix + modelId.ToString("D");

    /// <summary>Accounts that never receive control rewards: treasuries (their own or another model's) and issuance.</summary>
    public static bool IsExcludedHolder(string account) =>
        account.StartsWith(TreasuryPrefix, StringComparison.Ordinal) || account.StartsWith(IssuancePrefix, StringComparison.Ordinal);

    /// <summary>A model id from a request: required, a UUID.</summary>
    public static Guid ModelId(string field, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw DomainException.InvalidArgument(field, "is required");
        }
        return Guid.TryParseExact(value, "D", out var id) ? id : throw DomainException.InvalidArgument(field, "must be a UUID");
    }

    /// <summary>
    /// Why a TreasurySpend cannot be carried out whatever the balance, or null when it can be tried: the amount must be
    /// positive, the recipient a valid account that is neither an issuance account nor this treasury.
    /// </summary>
    public static string? SpendRefusal(Guid modelId, string recipient, long amount)
    {
        if (amount <= 0)
        {
            return $"amount: must be positive (was {amount})";
        }
        if (string.IsNullOrEmpty(recipient))
        {
            return "recipient: is required";
        }
        if (recipient.Length > AccountLengthMax || !AccountPattern().IsMatch(recipient))
        {
            return $"recipient: {recipient} is not a valid account";
        }
        if (recipient.StartsWith(IssuancePrefix, StringComparison.Ordinal))
        {
            return $"recipient: {recipient} is an issuance account";
        }
        if (recipient == TreasuryAccount(modelId))
        {
            return "recipient: is the treasury itself";
        }
        return null;
    }

    /// <summary>The refusal when the treasury cannot cover an amount; the same words for payouts and distributions.</summary>
    public static string BalanceShort(long available, long amount, long reserved) =>
        $"treasury balance: have {available} POV available, need {amount}, {reserved} reserved for distributions in progress";

    /// <summary>The purpose as a Ledger memo: cut to the Ledger's limit, never in the middle of a surrogate pair.</summary>
    public static string Memo(string purpose)
    {
        if (purpose.Length <= MemoLengthMax)
        {
            return purpose;
        }
        var length = char.IsHighSurrogate(purpose[MemoLengthMax - 1]) ? MemoLengthMax - 1 : MemoLengthMax;
        return purpose[..length];
    }

    /// <summary>Whether a Ledger transfer to a treasury is a gateway usage payment (see <see cref="ChargeMemoPrefix"/>).</summary>
    public static bool IsUsagePayment(bool isHoldPost, string memo) =>
        isHoldPost ? memo.StartsWith(AuthorizationMemoPrefix, StringComparison.Ordinal) : memo.StartsWith(ChargeMemoPrefix, StringComparison.Ordinal);

    /// <summary>The UTC day of a time.</summary>
    public static DateOnly Day(DateTimeOffset time) => DateOnly.FromDateTime(time.UtcDateTime);

    /// <summary>
    /// The ListRevenue range, both days inclusive. Days the caller sent are checked (from ≤ to, at most
    /// <see cref="RevenueRangeDaysMax"/> days) and an error names one of them. A day left unset defaults (from: the day the
    /// treasury opened; to: <paramref name="today"/>) and is clamped into a valid range instead, so an error never names
    /// a field the caller did not send.
    /// </summary>
    public static (DateOnly From, DateOnly To) RevenueRange(DateOnly? fromSent, DateOnly? toSent, DateOnly opened, DateOnly today)
    {
        const int SpanDays = RevenueRangeDaysMax - 1;
        switch (fromSent, toSent)
        {
            case ({ } from, { } to):
                if (from > to)
                {
                    throw DomainException.InvalidArgument("from_day", $"{from:yyyy-MM-dd} is after to_day {to:yyyy-MM-dd}");
                }
                if (to.DayNumber - from.DayNumber > SpanDays)
                {
                    throw DomainException.InvalidArgument("to_day", $"the range may span at most {RevenueRangeDaysMax} days");
                }
                return (from, to);
            case ({ } from, null):
                return (from, Clamp(today, from, Plus(from, SpanDays)));
            case (null, { } to):
                return (Clamp(opened, Plus(to, -SpanDays), to), to);
            default:
                return (Clamp(opened, Plus(today, -SpanDays), today), today);
        }
    }

    private static DateOnly Clamp(DateOnly day, DateOnly min, DateOnly max) => day < min ? min : day > max ? max : day;

    // Days added without leaving DateOnly's range (a timestamp may be 0001-01-01 or 9999-12-31).
    private static DateOnly Plus(DateOnly day, int days) =>
        DateOnly.FromDayNumber(Math.Clamp(day.DayNumber + days, DateOnly.MinValue.DayNumber, DateOnly.MaxValue.DayNumber));
}
