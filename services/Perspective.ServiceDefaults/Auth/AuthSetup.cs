using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Net.Http.Headers;

namespace Perspective.ServiceDefaults.Auth;

/// <summary>
/// Bearer tokens from two issuers, each validated by its own JWT bearer scheme so that neither's keys can validate the
/// other's tokens: users' tokens from the OIDC authority (<c>Auth:Authority</c>, asymmetric algorithms, keys and
/// issuer from its discovery document) and the platform's own service tokens (<c>Auth:SigningKey</c>, HS256 only,
/// issuer <c>Auth:Issuer</c>). The default scheme is a policy scheme that reads the token's JOSE header (no
/// validation) and forwards an HS256 token to the service-token scheme and anything else to the OIDC scheme. With
/// only one of the two configured, every token goes to that one.
/// </summary>
internal static class AuthSetup
{
    /// <summary>The default scheme: picks one of the two below per request.</summary>
    public const string Scheme = JwtBearerDefaults.AuthenticationScheme;

    /// <summary>Tokens signed by the OIDC authority's published keys.</summary>
    public const string OidcScheme = "Oidc";

    /// <summary>Tokens signed with the shared HS256 key (<see cref="Clients.ServiceTokenSource"/>, local runs, tests).</summary>
    public const string ServiceTokenScheme = "ServiceToken";

    /// <summary>What an authority may sign with; HMAC is never among them, so a token claiming HS256 cannot reach its keys.</summary>
    private static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>Reads a token's header and payload without validating anything; thread-safe.</summary>
    private static readonly JsonWebTokenHandler Reader = new();

    public static void AddPerspectiveAuth(this WebApplicationBuilder builder)
    {
        // Options are read when first used, so configuration added after AddServiceDefaults (tests, tools) still counts;
        // a bad setting stops the start instead of surfacing on the first call. For the same reason all three schemes
        // are registered whatever is configured, and the choice between them is made per request from AuthOptions.
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();

        builder.Services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Bearer token (OIDC or service)", policy => policy.ForwardDefaultSelector = SelectScheme)
            .AddJwtBearer(OidcScheme, jwt => jwt.Events = RequireSubject())
            .AddJwtBearer(ServiceTokenScheme, jwt => jwt.Events = RequireSubject());
        builder.Services.AddOptions<JwtBearerOptions>(OidcScheme)
            .Configure<IOptions<AuthOptions>>((jwt, auth) => ConfigureOidc(jwt, auth.Value));
        builder.Services.AddOptions<JwtBearerOptions>(ServiceTokenScheme)
            .Configure<IOptions<AuthOptions>>((jwt, auth) => ConfigureServiceTokens(jwt, auth.Value));

        // Every RPC needs a valid token whose role the platform knows; health and reflection opt out explicitly.
        // The policies name no scheme, so they hold for a principal from either.
        var knownRole = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim("sub").RequireRole(Roles.All).Build();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.KnownRole, knownRole)
            .SetFallbackPolicy(knownRole);
    }

    /// <summary>
    /// The scheme for this request. Only with both an authority and a signing key is the token looked at, and then only
    /// its header's <c>alg</c>: the chosen scheme validates everything, and each refuses the other's algorithms.
    /// </summary>
    private static string SelectScheme(HttpContext context)
    {
        var auth = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (!auth.HasAuthority)
        {
            return ServiceTokenScheme;
        }
        if (!auth.HasSigningKey)
        {
            return OidcScheme;
        }
        return Algorithm(context.Request.Headers.Authorization) == SecurityAlgorithms.HmacSha256 ? ServiceTokenScheme : OidcScheme;
    }

    /// <summary>The JOSE header's <c>alg</c> of a bearer token, or null when there is none or it is not a JWT.</summary>
    private static string? Algorithm(string? authorization)
    {
        const string prefix = "Bearer ";
        if (authorization is null || !authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = authorization[prefix.Length..].Trim();
        if (!Reader.CanReadToken(token))
        {
            return null;
        }
        try
        {
            // Decodes the header and payload; validates nothing.
            return Reader.ReadJsonWebToken(token).Alg;
        }
        catch (Exception)
        {
            // Whatever makes it unreadable, the scheme it goes to refuses it like any other bad token.
            return null;
        }
    }

    private static JwtBearerEvents RequireSubject() => new()
    {
        // The subject is the caller's account: a token without one authenticates nobody.
        OnTokenValidated = context =>
        {
            if (string.IsNullOrEmpty(context.Principal?.FindFirst("sub")?.Value))
            {
                context.Fail("the token has no subject");
            }
            return Task.CompletedTask;
        },
    };

    private static void ConfigureCommon(JwtBearerOptions jwt, AuthOptions options)
    {
        // Keep claim names as issued ("sub", "role") instead of the legacy SOAP URIs.
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidAudience = options.Audience,
            NameClaimType = "sub",
            RoleClaimType = "role",
            ClockSkew = TimeSpan.FromSeconds(30),
        };
    }

    private static void ConfigureOidc(JwtBearerOptions jwt, AuthOptions options)
    {
        ConfigureCommon(jwt, options);
        // Issuer and keys come from the authority's discovery document; Auth:Issuer is the service tokens' issuer only.
        jwt.TokenValidationParameters.ValidAlgorithms = AsymmetricAlgorithms;
        if (options.HasAuthority)
        {
            jwt.Authority = options.Authority;
            jwt.Audience = options.Audience;
            jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
        }
    }

    private static void ConfigureServiceTokens(JwtBearerOptions jwt, AuthOptions options)
    {
        ConfigureCommon(jwt, options);
        jwt.TokenValidationParameters.ValidIssuer = options.Issuer;
        jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        if (options.HasSigningKey)
        {
            jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.SigningKey));
        }
    }
}

/// <summary>
/// Refuses a start without a way to validate tokens, with a weak key, with the development key in Production, or with an
/// authority whose keys would be fetched over plain HTTP without <c>Auth:RequireHttpsMetadata=false</c>.
/// </summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        if (!options.HasAuthority && !options.HasSigningKey)
        {
            return ValidateOptionsResult.Fail("Auth: set Auth:Authority (OIDC) or Auth:SigningKey (HS256, at least 32 bytes), or both.");
        }
        if (options.HasAuthority)
        {
            if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
            {
                return ValidateOptionsResult.Fail($"Auth:Authority must be an absolute https URL, not '{options.Authority}'.");
            }
            if (authority.Scheme != Uri.UriSchemeHttps && options.RequireHttpsMetadata)
            {
                return ValidateOptionsResult.Fail(
                    "Auth:Authority must use https (its signing keys are fetched from it); set Auth:RequireHttpsMetadata=false only for a test authority.");
            }
        }
        if (!options.HasSigningKey)
        {
            return ValidateOptionsResult.Success;
        }
        // With an authority as well, the key still validates (and signs) service tokens: the same rules apply.
        if (Encoding.UTF8.GetByteCount(options.SigningKey) < 32)
        {
            return ValidateOptionsResult.Fail("Auth:SigningKey must be at least 32 bytes for HS256.");
        }
        if (options.SigningKey == AuthOptions.DevelopmentSigningKey && !AuthOptions.DevelopmentEnvironments.Contains(environment.EnvironmentName))
        {
            return ValidateOptionsResult.Fail(
                $"Auth:SigningKey is the published development key; refusing to start in {environment.EnvironmentName}. Configure a secret key.");
        }
        return ValidateOptionsResult.Success;
    }
}
