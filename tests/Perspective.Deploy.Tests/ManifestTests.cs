using System.Text.Json;
using System.Text.Json.Nodes;

namespace Perspective.Deploy.Tests;

/// <summary>Every YAML manifest, values file and skaffold.yaml parses and passes yamllint; every kustomization renders.</summary>
public sealed class ManifestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Every_yaml_manifest_and_values_file_parses()
    {
        var files = Repo.YamlFiles();
        Assert.Contains("skaffold.yaml", files);
        Assert.Contains("charts/ledger/values.yaml", files);
        var failures = new List<string>();
        foreach (var file in files)
        {
            try
            {
                var documents = Yaml.LoadAll(Repo.Read(file));
                if (documents.Count == 0)
                {
                    failures.Add($"{file}: no YAML document");
                }
            }
            catch (YamlDotNet.Core.YamlException ex)
            {
                failures.Add($"{file}: {ex.Start}: {ex.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task Every_yaml_file_passes_yamllint()
    {
        var yamllint = Tool.Require("yamllint",
            "make test installs it with apt-get when run as root (deploy/local/ensure-deps.sh); otherwise: sudo apt-get install yamllint.");
        var config = Path.Combine(AppContext.BaseDirectory, "yamllint.yaml");
        var result = await Tool.RunAsync(yamllint, ["-f", "parsable", "-c", config, .. Repo.YamlFiles()], TimeSpan.FromMinutes(2), Ct);
        Assert.True(result.ExitCode == 0, $"yamllint found problems:\n{result.Output}{result.Error}");
    }

    [Fact]
    public async Task Every_kustomization_renders_with_kubectl_kustomize()
    {
        var kubectl = Tool.Require("kubectl",
            "Install kubectl 1.27 or newer (https://kubernetes.io/docs/tasks/tools/); Debian's kubernetes-client package is 1.20, "
            + "whose built-in kustomize is too old for these layers.");
        var kustomizations = Repo.Kustomizations();
        Assert.Contains("deploy/k8s/local", kustomizations);
        Assert.Contains("deploy/k8s/cluster", kustomizations);
        var failures = new List<string>();
        foreach (var dir in kustomizations)
        {
            var result = await Tool.RunAsync(kubectl, ["kustomize", dir], TimeSpan.FromMinutes(1), Ct);
            if (result.ExitCode != 0)
            {
                failures.Add($"{dir}: kubectl kustomize failed:\n{result.Error}");
                continue;
            }
            var documents = Yaml.LoadAll(result.Output);
            if (documents.Count == 0)
            {
                failures.Add($"{dir}: renders nothing");
            }
            foreach (var document in documents)
            {
                var node = Yaml.ToJson(document.RootNode);
                if (node?["apiVersion"] is null || node["kind"] is null || node["metadata"]?["name"] is null)
                {
                    failures.Add($"{dir}: an object without apiVersion, kind or metadata.name");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void The_real_and_local_infrastructure_put_everything_in_one_namespace_with_the_names_the_charts_expect()
    {
        // The charts' defaults (database.host perspective-pg-rw, rabbitmq perspective-rabbitmq, the OTLP endpoint
        // otel-collector) fit both layers, so a chart needs no different values between a local and a real cluster.
        foreach (var layer in new[] { "deploy/k8s/local", "deploy/k8s/cluster" })
        {
            var text = Repo.Read($"{layer}/kustomization.yaml");
            Assert.Contains("namespace: perspective", text, StringComparison.Ordinal);
        }
        Assert.Contains("name: perspective-pg-rw", Repo.Read("deploy/k8s/postgres/local/postgres.yaml"), StringComparison.Ordinal);
        Assert.Contains("name: perspective-pg", Repo.Read("deploy/k8s/postgres/cloudnativepg/cluster.yaml"), StringComparison.Ordinal);
        Assert.Contains("name: perspective-rabbitmq", Repo.Read("deploy/k8s/rabbitmq/local/rabbitmq.yaml"), StringComparison.Ordinal);
        Assert.Contains("name: perspective-rabbitmq", Repo.Read("deploy/k8s/rabbitmq/cluster-operator/rabbitmqcluster.yaml"), StringComparison.Ordinal);
        Assert.Contains("name: otel-collector", Repo.Read("deploy/k8s/otel-collector/collector.yaml"), StringComparison.Ordinal);
        foreach (var service in Repo.Services)
        {
            Assert.Contains($"perspective-{service.ShortName}-db", Repo.Read("deploy/k8s/local/kustomization.yaml"), StringComparison.Ordinal);
            Assert.Contains(service.ShortName, Repo.Read("deploy/k8s/postgres/local/init-databases.sh"), StringComparison.Ordinal);
            Assert.Contains($"perspective-{service.ShortName}-db", Repo.Read("deploy/k8s/postgres/cloudnativepg/cluster.yaml"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_dashboard_is_grafana_json_with_queries()
    {
        var dashboards = Directory.EnumerateFiles(Repo.Path("deploy/k8s/dashboards"), "*.json").Select(Repo.Relative).ToList();
        Assert.NotEmpty(dashboards);
        var uids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dashboard in dashboards)
        {
            JsonNode root;
            try
            {
                root = JsonNode.Parse(Repo.Read(dashboard))!;
            }
            catch (JsonException ex)
            {
                Assert.Fail($"{dashboard}: {ex.Message}");
                return;
            }
            Assert.False(string.IsNullOrEmpty(root["title"]?.GetValue<string>()), $"{dashboard}: no title");
            Assert.True(uids.Add(root["uid"]!.GetValue<string>()), $"{dashboard}: uid used twice");
            var panels = root["panels"]!.AsArray().Where(p => p!["type"]!.GetValue<string>() != "row").ToList();
            Assert.NotEmpty(panels);
            Assert.All(panels, panel => Assert.NotEmpty(panel!["targets"]!.AsArray()));
        }
        Assert.Contains("perspective-dashboards", Repo.Read("deploy/k8s/dashboards/kustomization.yaml"), StringComparison.Ordinal);
        Assert.All(dashboards, d => Assert.Contains(Path.GetFileName(d), Repo.Read("deploy/k8s/dashboards/kustomization.yaml"), StringComparison.Ordinal));
    }
}
