using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Perspective.ServiceDefaults.Auth;

internal static class AuthSetup
{
    public static void AddPerspectiveAuth(this WebApplicationBuilder builder)
    {
        // Options are read when first used, so configuration added after AddServiceDefaults (tests, tools) still counts;
        // a bad setting stops the start instead of surfacing on the first call.
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt => jwt.Events = new JwtBearerEvents
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
        });
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((jwt, auth) => Configure(jwt, auth.Value));

        // Every RPC needs a valid token whose role the platform knows; health and reflection opt out explicitly.
        var knownRole = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim("sub").RequireRole(Roles.All).Build();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.KnownRole, knownRole)
            .SetFallbackPolicy(knownRole);
    }

    private static void Configure(JwtBearerOptions jwt, AuthOptions options)
    {
        // Keep claim names as issued ("sub", "role") instead of the legacy SOAP URIs.
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            NameClaimType = "sub",
            RoleClaimType = "role",
            ClockSkew = TimeSpan.FromSeconds(30),
        };
        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            jwt.Authority = options.Authority;
            jwt.Audience = options.Audience;
        }
        else if (!string.IsNullOrEmpty(options.SigningKey))
        {
            jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.SigningKey));
            jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        }
    }
}

/// <summary>Refuses a start without a way to validate tokens, with a weak key, or with the development key in Production.</summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            return ValidateOptionsResult.Success;
        }
        if (string.IsNullOrWhiteSpace(options.SigningKey))
        {
            return ValidateOptionsResult.Fail("Auth: set Auth:Authority (OIDC) or Auth:SigningKey (HS256, at least 32 bytes).");
        }
        if (Encoding.UTF8.GetByteCount(options.SigningKey) < 32)
        {
            return ValidateOptionsResult.Fail("Auth:SigningKey must be at least 32 bytes for HS256.");
        }
        if (options.SigningKey == AuthOptions.DevelopmentSigningKey && !AuthOptions.DevelopmentEnvironments.Contains(environment.EnvironmentName))
        {
            return ValidateOptionsResult.Fail(
                $"Auth:SigningKey is the published development key; refusing to start in {environment.EnvironmentName}. Configure Auth:Authority or a secret key.");
        }
        return ValidateOptionsResult.Success;
    }
}
