using System.Text.RegularExpressions;

namespace Perspective.Client.Tests;

/// <summary>docs/client.md shows <see cref="ProviderIntegration"/> verbatim, and what it prints is what this test runs.</summary>
public sealed partial class DocsTests(Platform platform) : ClientTestBase(platform)
{
    [Fact]
    public async Task The_integration_in_docs_client_md_is_the_compiled_one_and_charges_as_it_prints()
    {
        var model = await ModelAllowedAsync(cap: 10_000);
        var output = new StringWriter();

        await ProviderIntegration.ServeAsync(new Uri(Platform.Gateway.Address), _ => ValueTask.FromResult(ProviderToken), model.ModelId, Payer, output, Ct);
        await ProviderIntegration.ServeAsync(new Uri(Platform.Gateway.Address), _ => ValueTask.FromResult(ProviderToken), model.ModelId, Payer + "-new",
            output, Ct);

        var printed = output.ToString();
        TestContext.Current.TestOutputHelper?.WriteLine(printed);
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "provider-integration-output.txt"), printed, Ct);
        var lines = printed.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Equal("Listed, 10 base units per Request", lines[0]);
        Assert.Matches(ChargedLine(), lines[1]);
        Assert.Equal("metered: 120 units, 1200 base units", lines[2]);
        Assert.Equal("Listed, 10 base units per Request", lines[3]);
        Assert.StartsWith("refused: FailedPrecondition: ", lines[4], StringComparison.Ordinal);
        Assert.Equal(PayerFunds - 1_210, await BalanceAsync(Payer));

        var root = RepositoryRoot();
        var source = await File.ReadAllTextAsync(Path.Combine(root, "tests", "Perspective.Client.Tests", "ProviderIntegration.cs"), Ct);
        var docs = await File.ReadAllTextAsync(Path.Combine(root, "docs", "client.md"), Ct);
        var snippet = Snippet(source);
        Assert.True(snippet.Split('\n').Length < 20, "the integration stays under twenty lines");
        Assert.Contains(snippet, docs, StringComparison.Ordinal);
    }

    /// <summary>The lines between the markers, without the method body's indentation.</summary>
    private static string Snippet(string source)
    {
        var lines = source.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var begin = Array.FindIndex(lines, l => l.Trim() == "// snippet:begin");
        var end = Array.FindIndex(lines, l => l.Trim() == "// snippet:end");
        var body = lines[(begin + 1)..end];
        var indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', body.Select(l => l.Length >= indent ? l[indent..] : l.Trim()));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Perspective.Services.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("the repository root (Perspective.Services.sln) is not above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^charged 10 \(request [0-9a-f-]{36}\); allowance left 9990$")]
    private static partial Regex ChargedLine();
}
