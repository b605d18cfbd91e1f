using System.Security.Claims;
using System.Text;
using Grpc.Core;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.Testing;

/// <summary>Bearer tokens for tests, signed with the development key the test hosts are configured with.</summary>
public static class TestTokens
{
    public const string SigningKey = AuthOptions.DevelopmentSigningKey;

    public static string Create(string subject, IEnumerable<string> roles, string signingKey = SigningKey, DateTime? expires = null,
        string issuer = "perspective", string audience = "perspective")
    {
        var now = DateTime.UtcNow;
        var claims = new List<Claim>();
        if (!string.IsNullOrEmpty(subject))
        {
            claims.Add(new Claim("sub", subject));
        }
        claims.AddRange(roles.Select(role => new Claim("role", role)));
        var expiry = expires ?? now.AddHours(1);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = issuer,
            Audience = audience,
            NotBefore = expiry < now ? expiry.AddHours(-1) : now.AddMinutes(-1),
            IssuedAt = expiry < now ? expiry.AddHours(-1) : now.AddMinutes(-1),
            Expires = expiry,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Call headers carrying a token for <paramref name="subject"/> with <paramref name="roles"/>.</summary>
    public static Metadata Bearer(string subject, params string[] roles) =>
        new() { { "Authorization", $"Bearer {Create(subject, roles.Length == 0 ? [Roles.User] : roles)}" } };

    public static Metadata BearerToken(string token) => new() { { "Authorization", $"Bearer {token}" } };
}
