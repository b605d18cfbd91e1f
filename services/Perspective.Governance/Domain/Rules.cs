using System.Security.Cryptography;
using System.Text;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.Governance.Domain;

/// <summary>Input rules shared by both DAOs: limits on everything a caller sends.</summary>
public static class Rules
{
    public const int TitleMaxChars = 200;
    public const int DescriptionMaxChars = 10_000;
    public const int ReasonMaxChars = 1_000;
    public const int MaxActions = 10;

    public static Guid RequestId(string value) => Uuid("request_id", value);

    public static Guid ProposalId(string value) => Uuid("proposal_id", value);

    public static Guid Uuid(string field, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw DomainException.InvalidArgument(field, "is required");
        }
        if (!Guid.TryParseExact(value, "D", out var id) || id == Guid.Empty)
        {
            throw DomainException.InvalidArgument(field, "must be a UUID");
        }
        return id;
    }

    public static void Title(string title)
    {
        if (string.IsNullOrWhiteSpace(title) || title.Length > TitleMaxChars)
        {
            throw DomainException.InvalidArgument("title", $"must be 1–{TitleMaxChars} characters, not blank");
        }
        Line("title", title);
    }

    public static void Description(string description)
    {
        if (description.Length > DescriptionMaxChars)
        {
            throw DomainException.InvalidArgument("description", $"must be at most {DescriptionMaxChars} characters");
        }
        Text("description", description);
    }

    /// <summary>A one-line text (a title, an account, a version): the platform's rule (<see cref="TextRules.Line"/>).</summary>
    public static void Line(string field, string value) => TextRules.Line(field, value);

    /// <summary>A long text (a description, a reason, a standard's text): the platform's rule (<see cref="TextRules.Text"/>).</summary>
    public static void Text(string field, string value) => TextRules.Text(field, value);

    /// <summary>Text we store that no caller checked (an exception's message): control characters replaced, at most 1,000 characters.</summary>
    public static string Printable(string value)
    {
        var length = Math.Min(value.Length, ReasonMaxChars);
        if (length < value.Length && char.IsHighSurrogate(value[length - 1]))
        {
            length--; // half a pair would not encode as UTF-8
        }
        var chars = value[..length].ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] < ' ' && chars[i] is not ('\n' or '\r' or '\t'))
            {
                chars[i] = '\uFFFD';
            }
        }
        return new string(chars);
    }

    public static void ActionCount(int count)
    {
        if (count is < 1 or > MaxActions)
        {
            throw DomainException.InvalidArgument("actions", $"must hold 1–{MaxActions} actions");
        }
    }

    public static void Reason(string field, string reason)
    {
        if (reason.Length > ReasonMaxChars)
        {
            throw DomainException.InvalidArgument(field, $"must be at most {ReasonMaxChars} characters");
        }
        Text(field, reason);
    }

    public static Support Support(int value) => value is >= 1 and <= 3
        ? (Support)value
        : throw DomainException.InvalidArgument("support", "must be FOR, AGAINST or ABSTAIN");

    /// <summary>Hash of a request's content, to tell a retry (same content) from a reused id (other content).</summary>
    public static string RequestHash(string rpc, string caller, string scope, ReadOnlySpan<byte> content)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{rpc}\n{caller}\n{scope}\n"));
        sha.AppendData(content);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
