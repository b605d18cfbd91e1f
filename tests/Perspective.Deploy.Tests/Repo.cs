namespace Perspective.Deploy.Tests;

/// <summary>A deployable service: its folder and project name, and the short name its chart, image and telemetry use.</summary>
public sealed record DeployedService(string Name, string ShortName)
{
    public string Image => $"perspective-{ShortName}";

    public string Dockerfile => $"services/{Name}/Dockerfile";

    public string ChartPath => $"charts/{ShortName}";

    /// <summary>The Ledger runs one writer and a standby: no autoscaler, two replicas.</summary>
    public bool Stateless => ShortName != "ledger";
}

/// <summary>Where the repository is and what in it is deployable.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static IReadOnlyList<DeployedService> Services { get; } =
    [
        new("Ledger", "ledger"),
        new("ModelRegistry", "registry"),
        new("UsageGateway", "gateway"),
        new("SubDaoGovernance", "subdao"),
        new("PlatformGovernance", "platform"),
        new("Treasury", "treasury"),
    ];

    public const string LibraryChart = "charts/perspective-lib";

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    public static string Relative(string path) => System.IO.Path.GetRelativePath(Root, path).Replace('\\', '/');

    public static string Read(string relative) => File.ReadAllText(Path(relative));

    /// <summary>
    /// Every YAML file that is YAML as written: the manifests under deploy/, each chart's Chart.yaml and values.yaml, and
    /// skaffold.yaml. Chart templates are Go templates (not YAML until rendered) and are left to the structure tests.
    /// </summary>
    public static IReadOnlyList<string> YamlFiles()
    {
        var files = new List<string> { "skaffold.yaml" };
        files.AddRange(Directory.EnumerateFiles(Path("deploy/k8s"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Select(Relative));
        foreach (var chart in Directory.EnumerateDirectories(Path("charts")))
        {
            files.AddRange(new[] { "Chart.yaml", "values.yaml" }.Select(f => System.IO.Path.Combine(chart, f)).Where(File.Exists).Select(Relative));
        }
        return [.. files.Order(StringComparer.Ordinal)];
    }

    /// <summary>Every folder with a kustomization.yaml (each must render alone).</summary>
    public static IReadOnlyList<string> Kustomizations() =>
    [
        .. Directory.EnumerateFiles(Path("deploy"), "kustomization.yaml", SearchOption.AllDirectories)
            .Select(f => Relative(System.IO.Path.GetDirectoryName(f)!))
            .Order(StringComparer.Ordinal),
    ];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Perspective.Services.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Perspective.Services.sln above {AppContext.BaseDirectory}");
    }
}
