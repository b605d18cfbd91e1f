using System.Security.Claims;
using Grpc.Core;
using Perspective.ServiceDefaults.Errors;


namespace Perspective.ServiceDefaults.Auth;

/// <summary>The authenticated caller of an RPC: its account (the token subject) and roles.</summary>
public sealed record Caller(string Account, IReadOnlySet<string> Roles)
{
    public bool IsInRole(string role) => Roles.Contains(role);

    /// <summary>One-line rule for an endpoint: the caller must hold one of <paramref name="roles"/>.</summary>
    public Caller RequireRole(params string[] roles)
    {
        if (!roles.Any(Roles.Contains))
        {
            throw DomainException.PermissionDenied($"this call needs the role {string.Join(" or ", roles)}");
        }
        return this;
    }

    /// <summary>One-line rule for moving value: the caller acts for <paramref name="account"/> itself, or holds one of <paramref name="roles"/>.</summary>
    public Caller RequireAccountOrRole(string account, params string[] roles)
    {
        if (account != Account && !roles.Any(Roles.Contains))
        {
            throw DomainException.PermissionDenied($"caller {Account} may not act for account {account}");
        }
        return this;
    }

    public static Caller From(ClaimsPrincipal principal)
    {
        var account = principal.FindFirstValue("sub");
        if (string.IsNullOrEmpty(account))
        {
            throw DomainException.Unauthenticated("the token has no subject");
        }
        return new Caller(account, principal.FindAll("role").Select(c => c.Value).ToHashSet(StringComparer.Ordinal));
    }
}

public static class CallerExtensions
{
    /// <summary>The caller of this RPC, from its validated bearer token.</summary>
    public static Caller Caller(this ServerCallContext context) => Auth.Caller.From(context.GetHttpContext().User);
}
