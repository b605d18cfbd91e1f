using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.ServiceDefaults.Clients;

/// <summary>
/// This service's own bearer token for calls to other services: subject <c>service:&lt;name&gt;</c>, role
/// <c>service</c>, signed with <c>Auth:SigningKey</c>, valid ten minutes and renewed after five. Wall-clock time, not
/// the injected <see cref="TimeProvider"/>: the receiving service checks it against its own clock.
/// </summary>
public sealed class ServiceTokenSource(IOptions<AuthOptions> options, ServiceInfo service)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private readonly Lock gate = new();
    private string? token;
    private DateTime renewAt;

    public string Token
    {
        get
        {
            lock (gate)
            {
                var now = DateTime.UtcNow;
                if (token is null || now >= renewAt)
                {
                    token = Create(now);
                    renewAt = now + Lifetime / 2;
                }
                return token;
            }
        }
    }

    private string Create(DateTime now)
    {
        var auth = options.Value;
        if (!auth.HasSigningKey)
        {
            throw new InvalidOperationException(
                "Auth:SigningKey is required for calls to other services (service tokens are signed with it); with Auth:Authority, set the shared signing key as well.");
        }
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", $"service:{service.Name}"), new Claim("role", Roles.Service)]),
            Issuer = auth.Issuer,
            Audience = auth.Audience,
            NotBefore = now.AddMinutes(-1),
            IssuedAt = now,
            Expires = now + Lifetime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(auth.SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
