using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Perspective.Cli.Infrastructure;

/// <summary>
/// Development tokens as the local stack accepts them (deploy/local/DevTool, ServiceDefaults/Auth): HS256 with the
/// published development key, subject = account, one <c>role</c> claim per role, issuer and audience <c>perspective</c>.
/// </summary>
public static class DevTokens
{
    /// <summary>The same value as AuthOptions.DevelopmentSigningKey (a test checks); copied so the CLI needs no server code.</summary>
    public const string DevelopmentSigningKey = "perspective-local-development-signing-key-do-not-use-in-production";

    public static readonly IReadOnlyList<string> Roles = ["user", "provider", "service", "admin"];

    public static string Mint(string subject, IEnumerable<string> roles, TimeSpan lifetime, DateTime now, string? signingKey = null)
    {
        var claims = new List<Claim> { new("sub", subject) };
        claims.AddRange(roles.Select(r => new Claim("role", r)));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = "perspective",
            Audience = "perspective",
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey ?? DevelopmentSigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>The claims a token carries (read, not verified: the services verify).</summary>
    public static (string Subject, IReadOnlyList<string> Roles, DateTime? Expires, string Issuer) Read(string token)
    {
        try
        {
            var jwt = new JsonWebToken(token);
            var roles = jwt.Claims.Where(c => c.Type is "role" or ClaimTypes.Role).Select(c => c.Value).ToList();
            return (jwt.Subject ?? "", roles, jwt.ValidTo == DateTime.MinValue ? null : jwt.ValidTo, jwt.Issuer ?? "");
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"the profile's token is not a JWT: {ex.Message}");
        }
    }
}
