namespace Perspective.ServiceDefaults.Auth;

/// <summary>Named authorization policies endpoints refer to in their <c>[Authorize]</c> attribute.</summary>
public static class AuthPolicies
{
    /// <summary>A valid token with a subject and at least one of <see cref="Roles.All"/>. Also the fallback for endpoints that state nothing.</summary>
    public const string KnownRole = "known-role";
}
