using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Perspective.Audit;
using Perspective.ServiceDefaults.Auth;

// Usage (deploy/local/audit.sh passes the local stack's endpoints and databases):
//   Perspective.Audit.Cli [--service NAME=ADDRESS]... [--database NAME=CONNECTION]... [--token JWT] [--grace-seconds N]
// NAME is ledger, registry, gateway, subdao, platform or treasury. Without --token it mints an admin token signed with
// PERSPECTIVE_SIGNING_KEY or the development key. Prints one line per check; exit 0 if all pass, 1 if any fails, 2 on bad usage.
Console.OutputEncoding = Encoding.UTF8;
var services = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["ledger"] = "http://127.0.0.1:5101",
    ["registry"] = "http://127.0.0.1:5102",
    ["gateway"] = "http://127.0.0.1:5103",
    ["treasury"] = "http://127.0.0.1:5106",
};
var databases = new Dictionary<string, string>(StringComparer.Ordinal);
string? token = null;
var grace = TimeSpan.FromSeconds(60);
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--service" when value?.Split('=', 2) is [var name, var address]:
            services[name] = address;
            break;
        case "--database" when value?.Split('=', 2) is [var name, var connection]:
            databases[name] = connection;
            break;
        case "--token" when value is not null:
            token = value;
            break;
        case "--grace-seconds" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds):
            grace = TimeSpan.FromSeconds(seconds);
            break;
        default:
            Console.Error.WriteLine("usage: [--service NAME=ADDRESS]... [--database NAME=CONNECTION]... [--token JWT] [--grace-seconds N]");
            return 2;
    }
    i++;
}

var targets = new AuditTargets(services["ledger"], services["registry"], services["gateway"], services["treasury"], token ?? AdminToken(), databases)
{
    InFlightGrace = grace,
};
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
var report = await new Auditor(targets).RunAsync(cancel.Token);
foreach (var check in report.Checks)
{
    Console.WriteLine(check);
}
Console.WriteLine(report.Passed ? "the books are right" : $"{report.Failed.Count} of {report.Checks.Count} checks failed");
return report.Passed ? 0 : 1;

// An admin token for the auditor's reads (ReconcileTreasury and the gateway's payment lists need admin or service).
static string AdminToken()
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
