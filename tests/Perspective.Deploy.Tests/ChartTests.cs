using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Perspective.Deploy.Tests;

/// <summary>
/// The six service charts: values against values.schema.json (and wrong types rejected), the structure every chart must
/// carry (probes, resources, security context through the library chart), and what each service needs to be built and
/// deployed (a Dockerfile, a chart, a skaffold artifact and release whose paths exist).
/// </summary>
public sealed partial class ChartTests
{
    public static TheoryData<string> Charts => [.. Repo.Services.Select(s => s.ShortName)];

    /// <summary>A path in the values, the wrong value put there, and what makes it wrong.</summary>
    public static TheoryData<string, string, string> WrongTypes => new()
    {
        { "replicaCount", "\"two\"", "a string where a count is wanted" },
        { "image.tag", "123", "a number where a tag string is wanted" },
        { "image.pullPolicy", "\"Sometimes\"", "not a Kubernetes pull policy" },
        { "service.port", "\"grpc\"", "a name where a port number is wanted" },
        { "resources.requests", "[\"250m\"]", "a list where requests are wanted" },
        { "securityContext.readOnlyRootFilesystem", "\"true\"", "a string where a boolean is wanted" },
        { "securityContext.readOnlyRootFilesystem", "false", "a writable root filesystem" },
        { "podSecurityContext.runAsNonRoot", "false", "running as root" },
        { "probes.readiness.periodSeconds", "\"5\"", "a string where seconds are wanted" },
        { "telemetry.otlpEndpoint", "false", "a boolean where a URL is wanted" },
        { "database.existingSecret", "null", "no database Secret" },
        { "database.port", "5432.5", "a fraction where a port is wanted" },
        { "podDisruptionBudget.enabled", "\"yes\"", "a string where a boolean is wanted" },
        { "replicas", "2", "an unknown key (a typo of replicaCount)" },
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Charts))]
    public void Values_validate_against_the_schema(string chart)
    {
        AssertValid(chart, Values(chart));
    }

    [Theory]
    [MemberData(nameof(Charts))]
    public void Values_with_the_local_cluster_values_validate_against_the_schema(string chart)
    {
        var local = Yaml.ToJson(Repo.Read($"deploy/k8s/local/values/{chart}.yaml"))!.AsObject();
        AssertValid(chart, Merge(Values(chart), local));
    }

    [Fact]
    public void Values_with_the_real_cluster_values_validate_against_the_schema()
    {
        var files = Directory.EnumerateFiles(Repo.Path("deploy/k8s/cluster/values"), "*.yaml").ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var chart = Path.GetFileNameWithoutExtension(file);
            AssertValid(chart, Merge(Values(chart), Yaml.ToJson(File.ReadAllText(file))!.AsObject()));
        }
    }

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void Wrong_types_are_rejected_by_every_schema(string path, string wrong, string why)
    {
        foreach (var chart in Repo.Services.Select(s => s.ShortName))
        {
            var values = Values(chart);
            Set(values, path, JsonNode.Parse(wrong));
            Assert.False(Evaluate(chart, values).IsValid, $"{chart}: values.schema.json accepts {path} = {wrong} ({why})");
        }
    }

    [Fact]
    public void A_broken_copy_of_a_values_file_is_rejected()
    {
        // Edited as text, the way a person breaks it: a quoted number, a word for a count, a typo in a key.
        var text = Repo.Read("charts/gateway/values.yaml")
            .Replace("replicaCount: 2", "replicaCount: two", StringComparison.Ordinal)
            .Replace("  port: 5432", "  port: \"5432\"", StringComparison.Ordinal)
            .Replace("spreadAcrossNodes: true", "spreadAccrossNodes: true", StringComparison.Ordinal);
        var result = Evaluate("gateway", Yaml.ToJson(text)!.AsObject());
        Assert.False(result.IsValid);
        var errors = Errors(result);
        Assert.Contains("/replicaCount", errors, StringComparison.Ordinal);
        Assert.Contains("/database/port", errors, StringComparison.Ordinal);
        Assert.Contains("spreadAccrossNodes", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Ledger_genesis_amounts_are_strings_and_its_settings_integers()
    {
        var values = Values("ledger");
        Set(values, "ledger.genesis.allocations", JsonNode.Parse("""[{"account": "alice", "amount": 900000000000000}]"""));
        Assert.False(Evaluate("ledger", values).IsValid, "a genesis amount as a number (Helm would read it as floating point)");
        values = Values("ledger");
        Set(values, "ledger.batchSizeMax", JsonValue.Create("500"));
        Assert.False(Evaluate("ledger", values).IsValid, "ledger.batchSizeMax as a string");
        values = Values("ledger");
        Set(values, "replicaCount", JsonValue.Create(1));
        Assert.False(Evaluate("ledger", values).IsValid, "a Ledger without a standby");
        values = Values("ledger");
        Set(values, "autoscaling", JsonNode.Parse("""{"enabled": true}"""));
        Assert.False(Evaluate("ledger", values).IsValid, "an autoscaled Ledger");
    }

    [Theory]
    [MemberData(nameof(Charts))]
    public void The_chart_carries_probes_resources_and_security_context(string chart)
    {
        var service = Repo.Services.Single(s => s.ShortName == chart);
        var dir = $"charts/{chart}";
        string Template(string name) => Repo.Read($"{dir}/templates/{name}");

        // Each resource comes from the library chart, so what is checked there holds for every chart.
        Assert.Contains("include \"perspective-lib.deployment\" .", Template("deployment.yaml"), StringComparison.Ordinal);
        Assert.Contains("include \"perspective-lib.service\" .", Template("service.yaml"), StringComparison.Ordinal);
        Assert.Contains("include \"perspective-lib.serviceaccount\" .", Template("serviceaccount.yaml"), StringComparison.Ordinal);
        Assert.Contains("include \"perspective-lib.pdb\" .", Template("pdb.yaml"), StringComparison.Ordinal);
        Assert.Contains("include \"perspective-lib.configmap\"", Template("configmap.yaml"), StringComparison.Ordinal);
        Assert.Contains("include \"perspective-lib.notes\" .", Template("NOTES.txt"), StringComparison.Ordinal);
        Assert.Equal(service.Stateless, File.Exists(Repo.Path($"{dir}/templates/hpa.yaml")));
        if (service.Stateless)
        {
            Assert.Contains("include \"perspective-lib.hpa\" .", Template("hpa.yaml"), StringComparison.Ordinal);
        }

        var values = Values(chart);
        foreach (var probe in new[] { "startup", "liveness", "readiness" })
        {
            Assert.True(values["probes"]?[probe]?["periodSeconds"]?.GetValue<long>() > 0, $"{chart}: probes.{probe}.periodSeconds");
        }
        Assert.NotNull(values["resources"]?["requests"]?["cpu"]);
        Assert.NotNull(values["resources"]?["requests"]?["memory"]);
        Assert.NotNull(values["resources"]?["limits"]?["memory"]);
        Assert.True(values["podSecurityContext"]?["runAsNonRoot"]?.GetValue<bool>(), $"{chart}: podSecurityContext.runAsNonRoot");
        Assert.Equal("RuntimeDefault", values["podSecurityContext"]?["seccompProfile"]?["type"]?.GetValue<string>());
        Assert.True(values["securityContext"]?["readOnlyRootFilesystem"]?.GetValue<bool>(), $"{chart}: readOnlyRootFilesystem");
        Assert.False(values["securityContext"]?["allowPrivilegeEscalation"]?.GetValue<bool>() ?? true, $"{chart}: allowPrivilegeEscalation");
        Assert.Contains("ALL", values["securityContext"]!["capabilities"]!["drop"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(8080, values["service"]?["port"]?.GetValue<long>());
        Assert.Equal("grpc", values["service"]?["appProtocol"]?.GetValue<string>());
        Assert.True(values["podDisruptionBudget"]?["enabled"]?.GetValue<bool>(), $"{chart}: podDisruptionBudget.enabled");
        Assert.Equal($"perspective_{chart}", values["database"]?["name"]?.GetValue<string>());
        if (service.Stateless)
        {
            Assert.True(values["autoscaling"]?["enabled"]?.GetValue<bool>(), $"{chart}: autoscaling.enabled");
        }
        else
        {
            Assert.Null(values["autoscaling"]);
            Assert.Equal(2, values["replicaCount"]?.GetValue<long>());
            Assert.Equal("100%", values["strategy"]?["rollingUpdate"]?["maxUnavailable"]?.GetValue<string>());
        }
    }

    [Fact]
    public void The_library_deployment_has_grpc_probes_resources_security_context_and_secret_references()
    {
        var deployment = Repo.Read($"{Repo.LibraryChart}/templates/_deployment.tpl");
        Assert.Matches(new Regex(@"startupProbe:\s+grpc:\s+port: \{\{ \$port \}\}\s+service: liveness"), deployment);
        Assert.Matches(new Regex(@"livenessProbe:\s+grpc:\s+port: \{\{ \$port \}\}\s+service: liveness"), deployment);
        Assert.Matches(new Regex(@"readinessProbe:\s+grpc:\s+port: \{\{ \$port \}\}\s+service: """""), deployment);
        foreach (var expected in new[]
                 {
                     "toYaml .Values.resources", "toYaml .Values.podSecurityContext", "toYaml .Values.securityContext",
                     "mountPath: /tmp", "emptyDir:", "automountServiceAccountToken: false", "secretKeyRef:",
                     "OTEL_RESOURCE_ATTRIBUTES", "checksum/config",
                 })
        {
            Assert.Contains(expected, deployment, StringComparison.Ordinal);
        }
        var configMap = Repo.Read($"{Repo.LibraryChart}/templates/_configmap.tpl");
        foreach (var expected in new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "Services__", "Auth__Issuer" })
        {
            Assert.Contains(expected, configMap, StringComparison.Ordinal);
        }
        // Secrets are referenced, never templated from values.
        Assert.DoesNotContain("kind: Secret", string.Concat(Directory.EnumerateFiles(Repo.Path("charts"), "*", SearchOption.AllDirectories)
            .Where(f => f.Contains("templates", StringComparison.Ordinal)).Select(File.ReadAllText)), StringComparison.Ordinal);
        Assert.Contains("appProtocol: {{ .Values.service.appProtocol }}", Repo.Read($"{Repo.LibraryChart}/templates/_service.tpl"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Charts))]
    public void The_chart_depends_on_the_library_and_has_versions(string chart)
    {
        var library = Yaml.ToJson(Repo.Read($"{Repo.LibraryChart}/Chart.yaml"))!;
        Assert.Equal("library", library["type"]!.GetValue<string>());
        var meta = Yaml.ToJson(Repo.Read($"charts/{chart}/Chart.yaml"))!;
        Assert.Equal("v2", meta["apiVersion"]!.GetValue<string>());
        Assert.Equal(chart, meta["name"]!.GetValue<string>());
        Assert.Equal("application", meta["type"]!.GetValue<string>());
        Assert.Matches(SemVer(), meta["version"]!.GetValue<string>());
        Assert.Matches(SemVer(), meta["appVersion"]!.GetValue<string>());
        var dependency = Assert.Single(meta["dependencies"]!.AsArray())!;
        Assert.Equal("perspective-lib", dependency["name"]!.GetValue<string>());
        Assert.Equal(library["version"]!.GetValue<string>(), dependency["version"]!.GetValue<string>());
        Assert.Equal("file://../perspective-lib", dependency["repository"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Charts))]
    public void The_service_has_a_dockerfile_a_chart_and_a_skaffold_artifact_and_release(string chart)
    {
        var service = Repo.Services.Single(s => s.ShortName == chart);
        Assert.True(File.Exists(Repo.Path(service.Dockerfile)), $"{service.Dockerfile} is missing");
        var dockerfile = Repo.Read(service.Dockerfile);
        Assert.Contains($"services/{service.Name}/Perspective.{service.Name}.csproj", dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0", dockerfile, StringComparison.Ordinal);
        Assert.Contains("COPY global.json Directory.Build.props Directory.Packages.props ./", dockerfile, StringComparison.Ordinal);
        Assert.Contains("USER $APP_UID", dockerfile, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 8080", dockerfile, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex("(?i)(ENV|ARG)\\s+\\S*(password|secret|signingkey|connectionstrings)"), dockerfile);
        foreach (var file in new[] { "Chart.yaml", "values.yaml", "values.schema.json", "templates/NOTES.txt" })
        {
            Assert.True(File.Exists(Repo.Path($"{service.ChartPath}/{file}")), $"{service.ChartPath}/{file} is missing");
        }

        var configs = Yaml.LoadAll(Repo.Read("skaffold.yaml")).Select(d => Yaml.ToJson(d.RootNode)!).ToList();
        var artifact = configs.SelectMany(c => c["build"]?["artifacts"]?.AsArray() ?? [])
            .SingleOrDefault(a => a!["image"]!.GetValue<string>() == service.Image);
        Assert.True(artifact is not null, $"skaffold.yaml builds no {service.Image}");
        Assert.Equal(".", artifact["context"]!.GetValue<string>());
        Assert.Equal(service.Dockerfile, artifact["docker"]!["dockerfile"]!.GetValue<string>());

        // One skaffold module per service, so that `skaffold run -m <service>` builds and deploys it alone.
        var owner = configs.Single(c => c["build"]?["artifacts"]?.AsArray().Contains(artifact) == true);
        Assert.Equal(chart, owner["metadata"]!["name"]!.GetValue<string>());
        Assert.Single(owner["build"]!["artifacts"]!.AsArray());
        Assert.Contains("infrastructure", owner["requires"]!.AsArray().SelectMany(r => r!["configs"]!.AsArray()).Select(c => c!.GetValue<string>()));
        // Only the Ledger's status check is off: its standby is never ready, so a rollout status would never finish.
        Assert.Equal(service.Stateless, owner["deploy"]!["statusCheck"]?.GetValue<bool>() ?? true);
        var release = owner["deploy"]!["helm"]!["releases"]!.AsArray().SingleOrDefault(r => r!["name"]!.GetValue<string>() == chart);
        Assert.True(release is not null, $"the skaffold configuration that builds {service.Image} deploys no release {chart}");
        Assert.Equal(service.ChartPath, release["chartPath"]!.GetValue<string>());
        Assert.True(Directory.Exists(Repo.Path(service.ChartPath)), $"{service.ChartPath} is missing");
        var templateKey = $"perspective_{chart}";
        Assert.Contains($"IMAGE_REPO_{templateKey}", release["setValueTemplates"]!["image.repository"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"IMAGE_TAG_{templateKey}", release["setValueTemplates"]!["image.tag"]!.GetValue<string>(), StringComparison.Ordinal);

        var profiles = owner["profiles"]!.AsArray();
        var local = profiles.Single(p => p!["name"]!.GetValue<string>() == "local")!;
        Assert.Contains(local["portForward"]!.AsArray(), f => f!["resourceName"]!.GetValue<string>() == chart && f["port"]!.GetValue<long>() == 8080);
        var valuesFile = $"deploy/k8s/local/values/{chart}.yaml";
        Assert.Contains(local["patches"]!.AsArray(), p => p!["value"]?.ToJsonString().Contains(valuesFile, StringComparison.Ordinal) == true);
        Assert.True(File.Exists(Repo.Path(valuesFile)), $"{valuesFile} is missing");
        Assert.Contains(profiles, p => p!["name"]!.GetValue<string>() == "cluster");
    }

    [Fact]
    public void The_build_context_ignores_what_no_image_needs()
    {
        var ignore = Repo.Read(".dockerignore");
        foreach (var expected in new[] { "**/bin/", "**/obj/", ".git/", ".local/", "tests/" })
        {
            Assert.Contains(expected, ignore, StringComparison.Ordinal);
        }
        var skaffold = Repo.Read("skaffold.yaml");
        Assert.Contains("apiVersion: skaffold/v4", skaffold, StringComparison.Ordinal);
        Assert.Contains("deploy/k8s/local", skaffold, StringComparison.Ordinal);
    }

    private static JsonObject Values(string chart) => Yaml.ToJson(Repo.Read($"charts/{chart}/values.yaml"))!.AsObject();

    private static EvaluationResults Evaluate(string chart, JsonObject values)
    {
        var schema = JsonSchema.FromText(Repo.Read($"charts/{chart}/values.schema.json"));
        // Helm adds an (empty) entry for each dependency before it validates: validate what Helm validates.
        values = (JsonObject)values.DeepClone();
        values.TryAdd("perspective-lib", new JsonObject());
        return schema.Evaluate(values, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static void AssertValid(string chart, JsonObject values)
    {
        var result = Evaluate(chart, values);
        Assert.True(result.IsValid, $"charts/{chart}: values do not match values.schema.json:\n{Errors(result)}");
    }

    private static string Errors(EvaluationResults result) => string.Join('\n', (result.Details ?? [])
        .Where(d => d.Errors is { Count: > 0 })
        .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")));

    /// <summary>Helm's merge of a values file over the chart's values: maps merge key by key, anything else replaces.</summary>
    private static JsonObject Merge(JsonObject target, JsonObject overlay)
    {
        foreach (var (key, value) in overlay)
        {
            if (value is JsonObject inner && target[key] is JsonObject existing)
            {
                Merge(existing, inner);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
        return target;
    }

    private static void Set(JsonObject values, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var node = values;
        // Keys may contain dots themselves (resource attributes); the paths used here do not.
        foreach (var part in parts[..^1])
        {
            node = node[part]!.AsObject();
        }
        node[parts[^1]] = value;
    }

    [GeneratedRegex(@"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();
}
