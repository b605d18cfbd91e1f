namespace Perspective.ServiceDefaults.Auth;

/// <summary>The roles a caller's token may carry in its <c>role</c> claim.</summary>
public static class Roles
{
    public const string User = "user";
    public const string Provider = "provider";
    /// <summary>Calls between services, for example a governance decision carried out by the treasury.</summary>
    public const string Service = "service";
    /// <summary>Bootstrap only.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [User, Provider, Service, Admin];
}
