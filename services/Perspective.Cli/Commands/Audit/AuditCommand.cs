using System.ComponentModel;
using System.Globalization;
using Perspective.Audit;
using Perspective.Cli.Infrastructure;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Audit;

/// <summary>
/// <c>pov audit</c>: the auditor (services/Perspective.Audit) over the profile's endpoints, one line per check. Its reads
/// need an admin or service token; the outbox check reads each service's database (the local stack's by default).
/// </summary>
public sealed class AuditCommand(CliContext cli) : PovCommand<AuditCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandOption("--database <NAME=CONNECTION>")]
        [Description("A service's database for the outbox check (ledger, registry, gateway, subdao, platform, treasury); " +
            "given once or more, they replace the local stack's list (127.0.0.1:$PERSPECTIVE_PG_PORT, default 55432)")]
        public string[] Databases { get; init; } = [];

        [CommandOption("--grace-seconds <N>")]
        [Description("Payments and outbox rows younger than this are in flight, not differences")]
        [DefaultValue(60)]
        public int GraceSeconds { get; init; } = 60;
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var token = s.Clients.Profile.Token
            ?? throw new UsageException("the audit needs an admin token: run `pov login --dev --sub auditor --role admin` or set POV_TOKEN");
        if (settings.GraceSeconds < 0)
        {
            throw new UsageException("--grace-seconds must be 0 or more");
        }
        var endpoints = s.Clients.Profile.Endpoints;
        var targets = new AuditTargets(endpoints["ledger"], endpoints["registry"], endpoints["gateway"], endpoints["treasury"], token,
            Databases(settings.Databases))
        {
            InFlightGrace = TimeSpan.FromSeconds(settings.GraceSeconds),
        };
        var report = await new Auditor(targets).RunAsync(ct);
        if (s.Out.Json)
        {
            s.Out.Raw(System.Text.Json.JsonSerializer.Serialize(new
            {
                passed = report.Passed,
                checks = report.Checks.Select(c => new { name = c.Name, passed = c.Passed, detail = c.Detail }),
            }));
        }
        else
        {
            s.Out.Table("Audit", ["", "check", "detail"], report.Checks.Select(c => new[] { c.Passed ? "✓" : "✗", c.Name, c.Detail }));
            if (report.Passed)
            {
                s.Out.Done($"the books are right: {report.Checks.Count} checks passed");
            }
        }
        if (!report.Passed)
        {
            // Wrong books are the platform's answer, not a usage error: exit 2, like a broken journal.
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.DataLoss,
                $"{report.Failed.Count} of {report.Checks.Count} audit checks failed: {string.Join(", ", report.Failed.Select(c => c.Name))}"));
        }
    }

    private static IReadOnlyDictionary<string, string> Databases(string[] given)
    {
        if (given.Length == 0)
        {
            var port = int.TryParse(Environment.GetEnvironmentVariable("PERSPECTIVE_PG_PORT"), NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                ? p : 55432;
            return AuditTargets.LocalStack("", port).Databases;
        }
        var databases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in given)
        {
            if (entry.Split('=', 2) is not [var name, var connection] || name.Length == 0 || connection.Length == 0)
            {
                throw new UsageException($"--database {entry}: expected NAME=CONNECTION");
            }
            databases[name] = connection;
        }
        return databases;
    }
}
