using Perspective.Reliability.Tests.Load;
using Perspective.Reliability.Tests.Stack;

namespace Perspective.Reliability.Tests;

/// <summary>The auditor's checks after a run (services/Perspective.Audit, once it lands).</summary>
public static class AuditStep
{
    public static Task<IReadOnlyList<CheckResult>> RunAsync(ChaosStack stack, LoadDriver driver, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<CheckResult>>([]);
}
