using Perspective.ServiceDefaults.Errors;

namespace Perspective.ServiceDefaults.Api;

/// <summary>
/// The control-character rules of text a caller sends: PostgreSQL text cannot hold NUL (the write would fail as an
/// error of ours, not of the input), and no other C0 control character belongs in a name, an id or a memo. Every
/// service uses these (the governance engine through its Rules.Line and Rules.Text).
/// </summary>
public static class TextRules
{
    /// <summary>One-line text (a name, an id): no C0 control character.</summary>
    public static void Line(string field, string value)
    {
        foreach (var c in value)
        {
            if (c < ' ')
            {
                throw DomainException.InvalidArgument(field, $"must not contain control characters (U+{(int)c:X4})");
            }
        }
    }

    /// <summary>Free text (a memo, a description, a reason): no C0 control character but line feed, carriage return and tab.</summary>
    public static void Text(string field, string value)
    {
        foreach (var c in value)
        {
            if (c < ' ' && c is not ('\n' or '\r' or '\t'))
            {
                throw DomainException.InvalidArgument(field, $"must not contain control characters other than line breaks and tabs (U+{(int)c:X4})");
            }
        }
    }
}
