using System.Text;
using System.Text.Json;
using Grpc.Core;
using Microsoft.IdentityModel.Tokens;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.Security.Tests;

/// <summary>
/// One caller of the matrix: its bearer token (null: none), the account and roles the token claims when it is valid, the
/// account it names in ownership fields (<see cref="Owner"/>) and in other account fields (<see cref="Target"/>).
/// </summary>
public sealed record CallerCase(string Name, string? Token, bool ValidToken, string Account, IReadOnlyList<string> Roles, string Owner, string Target)
{
    public Metadata Headers => Token is null ? [] : TestTokens.BearerToken(Token);

    public override string ToString() => Name;
}

public static class Callers
{
    public const string OtherKey = "another-key-of-at-least-thirty-two-bytes-length";

    /// <summary>
    /// The cases, in the order they are sent to each RPC: refusals first, then callers whose calls may change state
    /// (admin and service last, so a seeded hold or lock is still there when the others try it).
    /// </summary>
    public static IReadOnlyList<CallerCase> All { get; } =
    [
        new("no token", null, false, "", [], "alice", "alice"),
        new("expired token", TestTokens.Create("alice", [Roles.User], expires: DateTime.UtcNow.AddMinutes(-5)), false, "alice", [Roles.User], "alice", "alice"),
        new("token signed with another key", TestTokens.Create("alice", [Roles.Admin], signingKey: OtherKey), false, "alice", [Roles.Admin], "alice", "alice"),
        new("alg none", Unsigned("alice", Roles.Admin), false, "alice", [Roles.Admin], "alice", "alice"),
        new("unknown role", TestTokens.Create("alice", ["guest"]), true, "alice", ["guest"], "alice", "alice"),
        new("user on another user's account", TestTokens.Create("alice", [Roles.User]), true, "alice", [Roles.User], "bob", "bob"),
        new("user on its own account", TestTokens.Create("alice", [Roles.User]), true, "alice", [Roles.User], "alice", "alice"),
        new("provider for a model it does not serve", TestTokens.Create("prov-other", [Roles.Provider]), true, "prov-other", [Roles.Provider], "prov-other", "alice"),
        new("provider for its own model", TestTokens.Create(SecurityPlatform.Provider, [Roles.Provider]), true, SecurityPlatform.Provider, [Roles.Provider],
            SecurityPlatform.Provider, "alice"),
        new("admin on its own account", TestTokens.Create("root", [Roles.Admin]), true, "root", [Roles.Admin], "root", "root"),
        new("admin on another account", TestTokens.Create("root", [Roles.Admin]), true, "root", [Roles.Admin], "bob", "bob"),
        new("service on another account", TestTokens.Create("service:test", [Roles.Service]), true, "service:test", [Roles.Service], "bob", "bob"),
    ];

    /// <summary>An unsigned token (<c>alg: none</c>) with valid claims: signature-stripping must not authenticate anyone.</summary>
    private static string Unsigned(string subject, string role)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.Serialize(new Dictionary<string, object> { ["alg"] = "none", ["typ"] = "JWT" });
        var payload = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["role"] = role,
            ["iss"] = "perspective",
            ["aud"] = "perspective",
            ["iat"] = now,
            ["nbf"] = now - 60,
            ["exp"] = now + 3600,
        });
        return $"{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(header))}.{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(payload))}.";
    }
}
