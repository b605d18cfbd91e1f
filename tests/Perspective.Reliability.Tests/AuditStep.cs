using Perspective.Audit;
using Perspective.Reliability.Tests.Load;
using Perspective.Reliability.Tests.Stack;

namespace Perspective.Reliability.Tests;

/// <summary>
/// The auditor (services/Perspective.Audit) over the settled stack, strict: the run has settled, so nothing is in flight
/// and no outbox row may be unsent, whatever its age (its defaults allow a minute of both for a live system).
/// </summary>
public static class AuditStep
{
    public static async Task<IReadOnlyList<CheckResult>> RunAsync(ChaosStack stack, LoadDriver driver, CancellationToken ct)
    {
        var token = Testing.TestTokens.Create("service:chaos-auditor", [ServiceDefaults.Auth.Roles.Service]);
        var targets = new AuditTargets(stack.Ledger.Address, stack.Registry.Address, stack.Gateway.Address, stack.Treasury.Address, token, stack.Databases)
        {
            InFlightGrace = TimeSpan.Zero,
            OutboxAgeMax = TimeSpan.Zero,
        };
        var report = await new Auditor(targets).RunAsync(ct);
        return [.. report.Checks.Select(c => new CheckResult($"auditor: {c.Name}", c.Passed, c.Detail))];
    }
}
