using System.Text.RegularExpressions;
using Perspective.Contracts.Events.Registry.V1;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.ModelRegistry.Domain;

/// <summary>The input rules of the registry. Each throws <see cref="DomainException.InvalidArgument"/> naming the field.</summary>
public static partial class ModelRules
{
    public const int NameLengthMax = 100;
    public const int DescriptionLengthMax = 4_000;
    public const int ReasonLengthMax = 1_000;
    public const int TokenNameLengthMax = 100;
    public const int DecimalsMax = 9;
    // The Ledger's own limit on account ids; a longer provider could never be paid.
    public const int AccountLengthMax = 128;
    public const string PlatformToken = "POV";

    [GeneratedRegex("^[A-Za-z0-9]{2,12}$")]
    private static partial Regex SymbolPattern();

    // The Ledger's account rule, so a provider or creator we accept is one the Ledger can credit.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9:_.@-]*$")]
    private static partial Regex AccountPattern();

    public static Guid RequestId(string field, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw DomainException.InvalidArgument(field, "is required (a client-chosen UUID)");
        }
        return Id(field, value);
    }

    public static Guid Id(string field, string value) =>
        Guid.TryParseExact(value, "D", out var id) ? id : throw DomainException.InvalidArgument(field, "must be a UUID");

    public static void Registration(NewModel model)
    {
        Name(model.Name);
        Description("description", model.Description);
        Account("provider_account", model.ProviderAccount);
        Account("creator_account", model.CreatorAccount);
        if (!SymbolPattern().IsMatch(model.TokenSymbol))
        {
            throw DomainException.InvalidArgument("token.symbol", "must be 2 to 12 characters A-Z, a-z or 0-9");
        }
        if (string.Equals(model.TokenSymbol, PlatformToken, StringComparison.OrdinalIgnoreCase))
        {
            throw DomainException.InvalidArgument("token.symbol", "POV is the platform token");
        }
        if (string.IsNullOrWhiteSpace(model.TokenName) || model.TokenName.Length > TokenNameLengthMax)
        {
            throw DomainException.InvalidArgument("token.name", $"is required, at most {TokenNameLengthMax} characters");
        }
        TextRules.Line("token.name", model.TokenName);
        if (model.TokenDecimals is < 0 or > DecimalsMax)
        {
            throw DomainException.InvalidArgument("token.decimals", $"must be 0 to {DecimalsMax}");
        }
        if (model.TokenTotalSupply <= 0)
        {
            throw DomainException.InvalidArgument("token.total_supply", "must be positive");
        }
        Price("price", model.PricePerUnit, model.PriceUnit);
    }

    public static void Name(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > NameLengthMax)
        {
            throw DomainException.InvalidArgument("name", $"is required, at most {NameLengthMax} characters");
        }
        if (name.Trim() != name)
        {
            // Leading or trailing blanks would let "Model" and "Model " pass as different names.
            throw DomainException.InvalidArgument("name", "must not start or end with white space");
        }
        TextRules.Line("name", name);
    }

    public static void Description(string field, string description)
    {
        if (description.Length > DescriptionLengthMax)
        {
            throw DomainException.InvalidArgument(field, $"must be at most {DescriptionLengthMax} characters");
        }
        TextRules.Text(field, description);
    }

    public static void Reason(string field, string reason)
    {
        if (reason.Length > ReasonLengthMax)
        {
            throw DomainException.InvalidArgument(field, $"must be at most {ReasonLengthMax} characters");
        }
        TextRules.Text(field, reason);
    }

    public static void Account(string field, string account)
    {
        if (string.IsNullOrEmpty(account))
        {
            throw DomainException.InvalidArgument(field, "is required");
        }
        if (account.Length > AccountLengthMax)
        {
            throw DomainException.InvalidArgument(field, $"must be at most {AccountLengthMax} characters");
        }
        if (!AccountPattern().IsMatch(account))
        {
            throw DomainException.InvalidArgument(field, "may hold only letters, digits and : _ . @ -");
        }
        if (account.StartsWith("issuance:", StringComparison.Ordinal) || account.StartsWith("treasury:", StringComparison.Ordinal))
        {
            throw DomainException.InvalidArgument(field, "must not be a system account");
        }
    }

    public static void Price(string field, long amountPerUnit, int unit)
    {
        if (amountPerUnit < 0)
        {
            throw DomainException.InvalidArgument($"{field}.amount_per_unit", "must not be negative");
        }
        if (!Enum.IsDefined((PriceUnit)unit))
        {
            throw DomainException.InvalidArgument($"{field}.unit", "must be REQUEST, THOUSAND_INPUT_TOKENS, THOUSAND_OUTPUT_TOKENS or SECOND");
        }
    }
}
