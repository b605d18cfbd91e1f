using System.Security.Claims;
using System.Text;
using Grpc.Core;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Perspective.Demo;

/// <summary>
/// Development bearer tokens, as deploy/local/DevTool mints them: HS256 with the local key, the account as subject,
/// one role claim. Wall-clock times: the services check tokens against the real clock even when a test fakes theirs.
/// </summary>
public sealed class DevTokens(string signingKey)
{
    private readonly Dictionary<(string, string), Metadata> cache = [];

    public Metadata As(string account, string role)
    {
        lock (cache)
        {
            if (!cache.TryGetValue((account, role), out var headers))
            {
                var now = DateTime.UtcNow;
                var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
                {
                    Subject = new ClaimsIdentity([new Claim("sub", account), new Claim("role", role)]),
                    Issuer = "perspective",
                    Audience = "perspective",
                    NotBefore = now.AddMinutes(-1),
                    IssuedAt = now.AddMinutes(-1),
                    Expires = now.AddHours(2),
                    SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
                });
                headers = new Metadata { { "Authorization", $"Bearer {token}" } };
                cache[(account, role)] = headers;
            }
            return headers;
        }
    }
}
