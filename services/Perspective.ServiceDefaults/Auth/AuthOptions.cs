using System.Diagnostics.CodeAnalysis;

namespace Perspective.ServiceDefaults.Auth;

/// <summary>Configuration section <c>Auth</c>: how bearer tokens are validated.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// The HS256 key of local runs and tests. Anyone can read it here, so a process refuses to start with it
    /// in any environment but Development and Testing.
    /// </summary>
    public const string DevelopmentSigningKey = "perspective-local-development-signing-key-do-not-use-in-production";

    /// <summary>The only environments allowed to run with <see cref="DevelopmentSigningKey"/>.</summary>
    public static readonly IReadOnlySet<string> DevelopmentEnvironments = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Development", "Testing" };

    /// <summary>
    /// OIDC authority (issuer URL) in a cluster: users' tokens (RS/PS/ES algorithms) are validated against the keys and
    /// the issuer of its discovery document.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>
    /// HS256 key (at least 32 bytes) shared by the services: signs this service's own tokens for calls to other services
    /// and validates HS256 tokens (every token when no authority is configured). Needed alongside an authority for
    /// service-to-service calls.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>Issuer of the HS256 tokens (service tokens, local runs); the authority's tokens carry the authority's own.</summary>
    public string Issuer { get; set; } = "perspective";

    /// <summary>Audience every token must carry, from the authority or signed with the key.</summary>
    public string Audience { get; set; } = "perspective";

    /// <summary>Fetch the authority's discovery document and keys over https only; false only for a test authority on loopback.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    [MemberNotNullWhen(true, nameof(Authority))]
    public bool HasAuthority => !string.IsNullOrWhiteSpace(Authority);

    [MemberNotNullWhen(true, nameof(SigningKey))]
    public bool HasSigningKey => !string.IsNullOrWhiteSpace(SigningKey);
}
