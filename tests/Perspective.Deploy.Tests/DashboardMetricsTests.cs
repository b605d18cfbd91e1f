using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using Perspective.Contracts.Ledger.V1;
using Perspective.Ledger;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.Deploy.Tests;

/// <summary>
/// Every metric a dashboard queries is one a service really emits: the Ledger runs in-process with telemetry on and an
/// in-memory exporter, serves a transfer, and what its OpenTelemetry pipeline exported (its own meter, ASP.NET Core,
/// Kestrel, runtime, Npgsql, MassTransit) is mapped to Prometheus names by the collector's rule (<see cref="PrometheusNames"/>).
/// PostgreSQL and RabbitMQ start only for this class (its fixture), not for the file checks, and stop once collected.
/// </summary>
public sealed class DashboardMetricsTests(EmittedMetrics metrics) : IClassFixture<EmittedMetrics>
{
    /// <summary>Dashboards whose metrics the Ledger alone emits or shares with every service (ServiceDefaults).</summary>
    private static readonly string[] Covered = ["deploy/k8s/dashboards/ledger.json", "deploy/k8s/dashboards/service-red.json"];

    public static TheoryData<string> LedgerCoveredDashboards => [.. Covered];

    [Theory]
    [MemberData(nameof(LedgerCoveredDashboards))]
    public void Every_metric_a_dashboard_queries_is_emitted(string dashboard)
    {
        var emitted = metrics.Names;
        var queried = DashboardQueries(dashboard).SelectMany(q => PromQl.MetricNames(q).Select(m => (Metric: m, Query: q))).ToList();
        Assert.NotEmpty(queried);
        var missing = queried.Where(q => !emitted.ContainsKey(q.Metric)).Select(q => $"{q.Metric} (in: {q.Query})").Distinct().ToList();
        Assert.True(missing.Count == 0,
            $"{dashboard} queries metrics the Ledger does not emit:\n  {string.Join("\n  ", missing)}\n"
            + $"emitted:\n  {string.Join("\n  ", emitted.Select(e => $"{e.Key} <- {e.Value}").Order(StringComparer.Ordinal))}");
    }

    [Fact]
    public void Every_dashboard_is_checked_against_emitted_metrics()
    {
        // A new dashboard (payments, governance, treasury) joins the list above, or a test of its own service's metrics.
        var dashboards = Directory.EnumerateFiles(Repo.Path("deploy/k8s/dashboards"), "*.json").Select(Repo.Relative).Order(StringComparer.Ordinal);
        Assert.Equal(Covered.Order(StringComparer.Ordinal), dashboards);
    }

    [Fact]
    public void The_ledger_emits_its_business_metrics()
    {
        var emitted = metrics.Names;
        foreach (var name in new[]
                 {
                     "ledger_transfers_committed_total", "ledger_batch_size_bucket", "ledger_batch_commit_duration_seconds_bucket",
                     "ledger_writer_queue_depth", "ledger_journal_head", "ledger_writer_active",
                 })
        {
            Assert.True(emitted.ContainsKey(name), $"{name} is not emitted");
        }
    }

    private static IEnumerable<string> DashboardQueries(string dashboard)
    {
        var root = JsonNode.Parse(Repo.Read(dashboard))!;
        foreach (var panel in Panels(root["panels"]?.AsArray()))
        {
            foreach (var target in panel["targets"]?.AsArray() ?? [])
            {
                if (target?["expr"]?.GetValue<string>() is { Length: > 0 } expr)
                {
                    yield return expr;
                }
            }
        }
        foreach (var variable in root["templating"]?["list"]?.AsArray() ?? [])
        {
            // A query variable such as label_values(http_server_request_duration_seconds_count, job) reads a metric too.
            if (variable?["type"]?.GetValue<string>() == "query" && variable["query"] is JsonNode query)
            {
                var text = query is JsonObject q ? q["query"]?.GetValue<string>() : query.GetValue<string>();
                if (text is { Length: > 0 } && LabelValues(text) is { } inner)
                {
                    yield return inner;
                }
            }
        }
    }

    private static string? LabelValues(string query)
    {
        var open = query.IndexOf("label_values(", StringComparison.Ordinal);
        if (open < 0)
        {
            return null;
        }
        var args = query[(open + "label_values(".Length)..].TrimEnd(')');
        var comma = args.LastIndexOf(',');
        return comma < 0 ? null : args[..comma];
    }

    private static IEnumerable<JsonNode> Panels(JsonArray? panels)
    {
        foreach (var panel in panels ?? [])
        {
            if (panel is null)
            {
                continue;
            }
            yield return panel;
            foreach (var inner in Panels(panel["panels"]?.AsArray()))
            {
                yield return inner; // panels folded inside a row
            }
        }
    }

}

/// <summary>
/// What the Ledger's OpenTelemetry pipeline exports, collected once: Prometheus series name → the instrument, unit,
/// type, meter and attribute keys it comes from (shown when a dashboard asks for something else).
/// </summary>
public sealed class EmittedMetrics : IAsyncLifetime
{
    public IReadOnlyDictionary<string, string> Names { get; private set; } = new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        var infrastructure = new TestInfrastructure();
        try
        {
            await infrastructure.InitializeAsync();
            Names = await CollectAsync(infrastructure);
        }
        finally
        {
            await infrastructure.DisposeAsync();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static async Task<IReadOnlyDictionary<string, string>> CollectAsync(TestInfrastructure infrastructure)
    {
        var exported = new List<Metric>();
        // Its own reader, collected on demand: no export interval to wait for, and observable gauges are read at that moment.
        using var reader = new BaseExportingMetricReader(new InMemoryExporter<Metric>(exported));
        var database = await infrastructure.CreateDatabaseAsync("deploy_metrics");
        var settings = new Dictionary<string, string?>
        {
            ["Ledger:Genesis:Code"] = "POV",
            ["Ledger:Genesis:Name"] = "Perspective",
            ["Ledger:Genesis:Decimals"] = "6",
            ["Ledger:Genesis:Allocations:0:Account"] = "alice",
            ["Ledger:Genesis:Allocations:0:Amount"] = "1000000",
        };
        // Telemetry:Enabled must be known when the host adds its defaults, before the test's settings are layered on: an argument.
        BuildService build = (args, configure) => LedgerHost.Build([.. args, "--Telemetry:Enabled=true"], configure);
        await using (var ledger = await ServiceUnderTest.StartAsync(build, infrastructure, database,
                         builder => builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddReader(reader)),
                         settings))
        {
            var client = new LedgerService.LedgerServiceClient(ledger.Channel);
            var alice = TestTokens.Bearer("alice", Roles.User);
            var ct = TestContext.Current.CancellationToken;
            await Eventually.WaitAsync(async () => (await client.GetHeadAsync(new GetHeadRequest(), alice, cancellationToken: ct)).Sequence,
                sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
            await client.TransferAsync(new TransferRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                FromAccount = "alice",
                ToAccount = "bob",
                Asset = "POV",
                Amount = 5,
            }, alice, cancellationToken: ct);
            // A rejected call, so that error-path attributes are recorded as well.
            await Assert.ThrowsAsync<RpcException>(() => client.TransferAsync(new TransferRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                FromAccount = "alice",
                ToAccount = "bob",
                Asset = "POV",
                Amount = -1,
            }, alice, cancellationToken: ct).ResponseAsync);
            Assert.True(reader.Collect(10_000), "the metrics were not collected");

            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var metric in exported.ToList())
            {
                var kind = metric.MetricType switch
                {
                    MetricType.LongSum or MetricType.DoubleSum => MetricKind.Counter,
                    MetricType.Histogram or MetricType.ExponentialHistogram => MetricKind.Histogram,
                    _ => MetricKind.Gauge,
                };
                foreach (var name in PrometheusNames.For(metric.Name, metric.Unit, kind))
                {
                    names.TryAdd(name, $"{metric.Name} [{metric.Unit}] {metric.MetricType} from {metric.MeterName}; attributes: {Attributes(metric)}");
                }
            }
            return names;
        }
    }

    private static string Attributes(Metric metric)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            foreach (var tag in point.Tags)
            {
                keys.Add(tag.Key);
            }
        }
        return string.Join(", ", keys);
    }
}

/// <summary>The name rule and the query parser the dashboards check relies on.</summary>
public sealed class PrometheusNameTests
{
    [Fact]
    public void The_prometheus_name_rule_matches_the_collector()
    {
        Assert.Equal(["http_server_request_duration_seconds_bucket", "http_server_request_duration_seconds_sum", "http_server_request_duration_seconds_count"],
            PrometheusNames.For("http.server.request.duration", "s", MetricKind.Histogram));
        Assert.Equal(["ledger_transfers_committed_total"], PrometheusNames.For("ledger.transfers.committed", "{transfer}", MetricKind.Counter));
        Assert.Equal(["ledger_writer_queue_depth"], PrometheusNames.For("ledger.writer.queue.depth", "{request}", MetricKind.Gauge));
        Assert.Equal(["dotnet_gc_heap_total_allocated_bytes_total"], PrometheusNames.For("dotnet.gc.heap.total_allocated", "By", MetricKind.Counter));
        Assert.Equal(["process_cpu_utilization_ratio"], PrometheusNames.For("process.cpu.utilization", "1", MetricKind.Gauge));
        Assert.Equal(["kestrel_active_connections"], PrometheusNames.For("kestrel.active_connections", "{connection}", MetricKind.Gauge));
    }

    [Fact]
    public void The_query_parser_finds_metrics_and_skips_functions_labels_and_variables()
    {
        var names = PromQl.MetricNames(
            """histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{job=~"perspective/$service", grpc_status!="0"}[$__rate_interval]))) / on(job) group_left max(ledger_journal_head) or vector(0)""");
        Assert.Equal(["http_server_request_duration_seconds_bucket", "ledger_journal_head"], names.Order(StringComparer.Ordinal));
    }
}
