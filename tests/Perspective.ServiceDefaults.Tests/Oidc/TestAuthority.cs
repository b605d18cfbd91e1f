using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Perspective.ServiceDefaults.Tests.Oidc;

/// <summary>
/// The smallest OIDC authority a JWT bearer handler can use, on Kestrel on loopback over plain HTTP: a discovery
/// document (issuer and jwks_uri) and a JWKS with one RSA public key. It issues RS256 tokens with that key.
/// </summary>
public sealed class TestAuthority : IAsyncDisposable
{
    public const string KeyId = "test-authority-key-1";

    private readonly WebApplication app;
    private readonly RSA rsa;

    private TestAuthority(WebApplication app, RSA rsa, string issuer)
    {
        this.app = app;
        this.rsa = rsa;
        Issuer = issuer;
        SigningKey = new RsaSecurityKey(rsa) { KeyId = KeyId };
    }

    /// <summary>The authority's URL, which is also the issuer of its tokens (<c>Auth:Authority</c>).</summary>
    public string Issuer { get; }

    /// <summary>The private key the authority signs with; its public half is in the JWKS.</summary>
    public RsaSecurityKey SigningKey { get; }

    /// <summary>The public key in PEM, as anyone can fetch it from the JWKS (material for key-confusion attempts).</summary>
    public string PublicKeyPem => rsa.ExportSubjectPublicKeyInfoPem();

    public static async Task<TestAuthority> StartAsync(CancellationToken cancellationToken)
    {
        var rsa = RSA.Create(2048);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var key = rsa.ExportParameters(includePrivateParameters: false);
        var jwks = new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = SecurityAlgorithms.RsaSha256,
                ["kid"] = KeyId,
                ["n"] = Base64UrlEncoder.Encode(key.Modulus),
                ["e"] = Base64UrlEncoder.Encode(key.Exponent),
            }),
        }.ToJsonString();
        app.MapGet("/.well-known/openid-configuration", (HttpContext context) =>
        {
            var issuer = $"{context.Request.Scheme}://{context.Request.Host}";
            return Results.Text(new JsonObject { ["issuer"] = issuer, ["jwks_uri"] = $"{issuer}/jwks" }.ToJsonString(), "application/json");
        });
        app.MapGet("/jwks", () => Results.Text(jwks, "application/json"));
        await app.StartAsync(cancellationToken);
        return new TestAuthority(app, rsa, app.Urls.Single().TrimEnd('/'));
    }

    /// <summary>A token as the authority issues it (RS256 with its key), or with another key, issuer or audience.</summary>
    public string CreateToken(string subject, IEnumerable<string> roles, SecurityKey? signingKey = null, string? issuer = null,
        string audience = "perspective")
    {
        var now = DateTime.UtcNow;
        var claims = new List<Claim> { new("sub", subject) };
        claims.AddRange(roles.Select(role => new Claim("role", role)));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = issuer ?? Issuer,
            Audience = audience,
            NotBefore = now.AddMinutes(-1),
            IssuedAt = now.AddMinutes(-1),
            Expires = now.AddHours(1),
            SigningCredentials = new SigningCredentials(signingKey ?? SigningKey, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary><paramref name="token"/> with its JOSE header replaced by <paramref name="header"/>; payload and signature kept.</summary>
    public static string WithHeader(string token, string header) =>
        $"{Base64UrlEncoder.Encode(header)}.{token[(token.IndexOf('.', StringComparison.Ordinal) + 1)..]}";

    /// <summary><paramref name="token"/>'s header and payload signed anew with HMAC-SHA256 under <paramref name="secret"/>.</summary>
    public static string SignedWithHmac(string token, string header, byte[] secret)
    {
        var payload = token.Split('.')[1];
        var signingInput = $"{Base64UrlEncoder.Encode(header)}.{payload}";
        var signature = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput));
        return $"{signingInput}.{Base64UrlEncoder.Encode(signature)}";
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        rsa.Dispose();
    }
}
