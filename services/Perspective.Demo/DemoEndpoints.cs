using Perspective.ServiceDefaults.Auth;

namespace Perspective.Demo;

/// <summary>Where the six services answer, and the key development tokens are signed with.</summary>
public sealed record DemoEndpoints(
    string Ledger,
    string Registry,
    string Gateway,
    string SubDao,
    string Platform,
    string Treasury,
    string SigningKey = AuthOptions.DevelopmentSigningKey)
{
    /// <summary>The stack of <c>make up</c> (deploy/local/env.sh), signed with PERSPECTIVE_SIGNING_KEY when set.</summary>
    public static DemoEndpoints Local => new(
        "http://127.0.0.1:5101", "http://127.0.0.1:5102", "http://127.0.0.1:5103",
        "http://127.0.0.1:5104", "http://127.0.0.1:5105", "http://127.0.0.1:5106",
        Environment.GetEnvironmentVariable("PERSPECTIVE_SIGNING_KEY") is { Length: > 0 } key ? key : AuthOptions.DevelopmentSigningKey);

    public IReadOnlyList<(string Name, string Address)> All =>
        [("ledger", Ledger), ("registry", Registry), ("gateway", Gateway), ("subdao", SubDao), ("platform", Platform), ("treasury", Treasury)];
}
