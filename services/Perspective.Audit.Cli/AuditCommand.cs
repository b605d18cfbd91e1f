using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.Audit.Cli;

/// <summary>
/// The console entry of the auditor: <c>[--service NAME=ADDRESS]... [--database NAME=CONNECTION]... [--token JWT]
/// [--grace-seconds N]</c>. NAME is ledger, registry, gateway, subdao, platform or treasury; without them, the local stack
/// of <c>make up</c> (<see cref="AuditTargets.LocalStack"/>, PostgreSQL on <c>PERSPECTIVE_PG_PORT</c> or 55432); the
/// databases given replace the local list as a whole. Without <c>--token</c> it mints an admin token signed with <c>PERSPECTIVE_SIGNING_KEY</c> or
/// the development key. Prints one line per check; returns 0 if all pass, 1 if any fails, 2 on bad usage.
/// </summary>
public static class AuditCommand
{
    public const string Usage = "usage: [--service NAME=ADDRESS]... [--database NAME=CONNECTION]... [--token JWT] [--grace-seconds N]";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        // The local stack by default (PERSPECTIVE_PG_PORT as deploy/local/env.sh reads it); arguments replace entries.
        var local = AuditTargets.LocalStack("", int.TryParse(Environment.GetEnvironmentVariable("PERSPECTIVE_PG_PORT"), NumberStyles.None,
            CultureInfo.InvariantCulture, out var port) ? port : 55432);
        var services = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ledger"] = local.LedgerAddress,
            ["registry"] = local.RegistryAddress,
            ["gateway"] = local.GatewayAddress,
            ["treasury"] = local.TreasuryAddress,
        };
        var databases = new Dictionary<string, string>(local.Databases, StringComparer.Ordinal);
        var databasesGiven = false;
        string? token = null;
        var grace = TimeSpan.FromSeconds(60);
        for (var i = 0; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--service" when value?.Split('=', 2) is [var name, var address]:
                    services[name] = address;
                    break;
                case "--database" when value?.Split('=', 2) is [var name, var connection]:
                    // Databases named on the command line are the whole list: a stack other than the local one.
                    if (!databasesGiven)
                    {
                        databases.Clear();
                        databasesGiven = true;
                    }
                    databases[name] = connection;
                    break;
                case "--token" when value is not null:
                    token = value;
                    break;
                case "--grace-seconds" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds):
                    grace = TimeSpan.FromSeconds(seconds);
                    break;
                default:
                    await error.WriteLineAsync(Usage);
                    return 2;
            }
        }

        var targets = new AuditTargets(services["ledger"], services["registry"], services["gateway"], services["treasury"], token ?? AdminToken(), databases)
        {
            InFlightGrace = grace,
        };
        var report = await new Auditor(targets).RunAsync(cancellationToken);
        foreach (var check in report.Checks)
        {
            await output.WriteLineAsync(check.ToString());
        }
        await output.WriteLineAsync(report.Passed ? "the books are right" : $"{report.Failed.Count} of {report.Checks.Count} checks failed");
        return report.Passed ? 0 : 1;
    }

    /// <summary>An admin token for the auditor's reads (ReconcileTreasury and the gateway's payment lists need admin or service).</summary>
    public static string AdminToken()
    {
        var key = Environment.GetEnvironmentVariable("PERSPECTIVE_SIGNING_KEY") ?? AuthOptions.DevelopmentSigningKey;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", "auditor"), new Claim("role", Roles.Admin)]),
            Issuer = "perspective",
            Audience = "perspective",
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
    }
}
