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

    /// <summary>OIDC authority (issuer URL) in a cluster. When set, tokens are validated against its published keys.</summary>
    public string? Authority { get; set; }

    /// <summary>HS256 signing key (at least 32 bytes) when no authority is configured.</summary>
    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "perspective";

    public string Audience { get; set; } = "perspective";
}
