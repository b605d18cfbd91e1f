namespace Perspective.Cli.Tests;

/// <summary><c>pov audit</c>'s own arguments; the checks themselves are tested in Perspective.Audit.Tests.</summary>
[Collection(CliCollection.Name)]
public sealed class AuditCommandTests(CliStack stack) : CliTestBase(stack)
{
    [Fact]
    public async Task An_audit_without_a_token_says_how_to_get_one_with_exit_code_1()
    {
        var run = await Pov("audit");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("pov login --dev --sub auditor --role admin", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--database", "ledger")]
    [InlineData("--database", "=Host=x")]
    [InlineData("--grace-seconds", "-1")]
    public async Task A_malformed_audit_option_is_a_usage_error_with_exit_code_1(string option, string value)
    {
        await LoginAsync("auditor", role: "admin");

        var run = await Pov("audit", option, value);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("usage: ", run.Error, StringComparison.Ordinal);
    }
}
