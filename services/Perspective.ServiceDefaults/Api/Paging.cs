using System.Text;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.ServiceDefaults.Api;

/// <summary>The paging rules of every list RPC: page_size 0 means 100, at most 1000; page tokens are opaque keyset cursors.</summary>
public static class Paging
{
    public const int DefaultSize = 100;
    public const int MaxSize = 1000;

    public static int Size(int requested)
    {
        if (requested < 0)
        {
            throw DomainException.InvalidArgument("page_size", "must not be negative");
        }
        return requested == 0 ? DefaultSize : Math.Min(requested, MaxSize);
    }

    /// <summary>The token that resumes after <paramref name="lastKey"/>; empty when the page was not full (the last page).</summary>
    public static string NextToken(string lastKey, int returned, int size) =>
        returned < size ? "" : Convert.ToBase64String(Encoding.UTF8.GetBytes(lastKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The key to resume after, or null for the first page.</summary>
    public static string? After(string token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            throw DomainException.InvalidArgument("page_token", "is not a token this service returned");
        }
    }
}
