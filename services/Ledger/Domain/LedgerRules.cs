using System.Text.RegularExpressions;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.Ledger.Domain;

/// <summary>The input rules of the ledger. Each throws <see cref="DomainException.InvalidArgument"/> naming the field.</summary>
public static partial class LedgerRules
{
    public const string IssuancePrefix = "issuance:";
    public const string TreasuryPrefix = "treasury:";
    public const int AccountLengthMax = 128;
    public const int MemoLengthMax = 256;
    public const int AssetNameLengthMax = 100;
    public const int BatchLegsMax = 1000;
    public const int DecimalsMax = 9;

    public static string IssuanceAccount(string asset) => IssuancePrefix + asset;

    public static bool IsIssuance(string account) => account.StartsWith(IssuancePrefix, StringComparison.Ordinal);

    [GeneratedRegex("^[A-Z0-9]{2,12}$")]
    private static partial Regex AssetCodePattern();

    // Subjects, "treasury:<model>", "issuance:<asset>": letters, digits and a few separators, no spaces.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9:_.@-]*$")]
    private static partial Regex AccountPattern();

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex UuidPattern();

    public static void RequestId(string field, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw DomainException.InvalidArgument(field, "is required (a client-chosen UUID)");
        }
        if (!UuidPattern().IsMatch(value))
        {
            throw DomainException.InvalidArgument(field, "must be a UUID");
        }
    }

    public static void AssetCode(string field, string value)
    {
        if (!AssetCodePattern().IsMatch(value))
        {
            throw DomainException.InvalidArgument(field, "must be 2 to 12 characters A-Z or 0-9");
        }
    }

    public static void Account(string field, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw DomainException.InvalidArgument(field, "is required");
        }
        if (value.Length > AccountLengthMax)
        {
            throw DomainException.InvalidArgument(field, $"must be at most {AccountLengthMax} characters");
        }
        if (!AccountPattern().IsMatch(value))
        {
            throw DomainException.InvalidArgument(field, "may hold only letters, digits and : _ . @ -");
        }
    }

    public static void Memo(string field, string value)
    {
        if (value.Length > MemoLengthMax)
        {
            throw DomainException.InvalidArgument(field, $"must be at most {MemoLengthMax} characters");
        }
        TextRules.Text(field, value);
    }

    public static void PositiveAmount(string field, long value)
    {
        if (value <= 0)
        {
            throw DomainException.InvalidArgument(field, "must be positive (base units)");
        }
    }

    /// <summary>A transfer leg as a client may send it: issuance accounts are moved only by asset creation.</summary>
    public static void Leg(string prefix, string from, string to, string asset, long amount, string memo)
    {
        Account($"{prefix}from_account", from);
        Account($"{prefix}to_account", to);
        AssetCode($"{prefix}asset", asset);
        PositiveAmount($"{prefix}amount", amount);
        Memo($"{prefix}memo", memo);
        if (from == to)
        {
            throw DomainException.InvalidArgument($"{prefix}to_account", "must differ from from_account");
        }
        if (IsIssuance(from))
        {
            throw DomainException.InvalidArgument($"{prefix}from_account", "issuance accounts move only when an asset is created");
        }
        if (IsIssuance(to))
        {
            throw DomainException.InvalidArgument($"{prefix}to_account", "issuance accounts move only when an asset is created");
        }
    }

    public static void NewAsset(string code, string name, int decimals, long totalSupply)
    {
        AssetCode("code", code);
        if (string.IsNullOrWhiteSpace(name) || name.Length > AssetNameLengthMax)
        {
            throw DomainException.InvalidArgument("name", $"is required, at most {AssetNameLengthMax} characters");
        }
        TextRules.Line("name", name);
        if (decimals is < 0 or > DecimalsMax)
        {
            throw DomainException.InvalidArgument("decimals", $"must be 0 to {DecimalsMax}");
        }
        PositiveAmount("total_supply", totalSupply);
    }
}
