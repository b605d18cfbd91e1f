using Perspective.Audit;

namespace Perspective.Testing;

/// <summary>Assertions over an <see cref="Auditor"/> run: the books are right, or exactly the expected rule is broken.</summary>
public static class AuditAssert
{
    /// <summary>Runs the auditor and fails listing every failed check (name and detail) unless all pass.</summary>
    public static async Task<AuditReport> CleanAsync(AuditTargets targets, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var report = await new Auditor(targets, time).RunAsync(cancellationToken);
        if (!report.Passed)
        {
            Assert.Fail($"the audit found {report.Failed.Count} failed check(s):{Environment.NewLine}{string.Join(Environment.NewLine, report.Failed)}");
        }
        return report;
    }

    /// <summary>
    /// Runs the auditor and asserts that the check <paramref name="name"/> fails and every other check passes; returns the
    /// failed check, whose detail the caller inspects.
    /// </summary>
    public static async Task<AuditCheck> OnlyFailsAsync(AuditTargets targets, string name, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var report = await new Auditor(targets, time).RunAsync(cancellationToken);
        var failed = report.Failed.Select(c => c.Name).ToList();
        if (failed.Count != 1 || failed[0] != name)
        {
            Assert.Fail($"expected only the check {name} to fail, got:{Environment.NewLine}{report}");
        }
        return report.Check(name);
    }
}
