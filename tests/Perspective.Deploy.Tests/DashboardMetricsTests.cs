using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Ledger;
using Perspective.ModelRegistry;
using Perspective.ServiceDefaults.Auth;
using Perspective.SubDaoGovernance;
using Perspective.Testing;
using Perspective.Treasury;
using Perspective.UsageGateway;

namespace Perspective.Deploy.Tests;

/// <summary>
/// Every metric a dashboard queries is one a service really emits: the Ledger, the registry and the gateway run in-process
/// with telemetry on and in-memory exporters, serve a transfer and a charge, and what their OpenTelemetry pipelines exported (its own meter, ASP.NET Core,
/// Kestrel, runtime, Npgsql, MassTransit) is mapped to Prometheus names by the collector's rule (<see cref="PrometheusNames"/>).
/// PostgreSQL and RabbitMQ start only for this class (its fixture), not for the file checks, and stop once collected.
/// </summary>
public sealed class DashboardMetricsTests(EmittedMetrics metrics) : IClassFixture<EmittedMetrics>
{
    /// <summary>Dashboards whose metrics the Ledger and the gateway emit or every service shares (ServiceDefaults).</summary>
    private static readonly string[] Covered =
    [
        "deploy/k8s/dashboards/governance.json", "deploy/k8s/dashboards/ledger.json", "deploy/k8s/dashboards/payments.json",
        "deploy/k8s/dashboards/service-red.json", "deploy/k8s/dashboards/treasury.json",
    ];

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
            $"{dashboard} queries metrics the Ledger, the gateway and the sub-DAO service do not emit:\n  {string.Join("\n  ", missing)}\n"
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
    public void Request_durations_carry_the_grpc_status_code()
    {
        // Recorded for the refused Transfer and charge as well as the good ones (the RED dashboard's gRPC status panels).
        Assert.Contains("rpc.grpc.status_code", metrics.Names["http_server_request_duration_seconds_count"], StringComparison.Ordinal);
    }

    [Fact]
    public void The_governance_services_emit_their_metrics()
    {
        var emitted = metrics.Names;
        foreach (var name in new[]
                 {
                     "governance_proposals", "governance_proposals_created_total", "governance_votes_cast_total", "governance_proposals_decided_total",
                     "governance_executions_requested_total",
                 })
        {
            Assert.True(emitted.ContainsKey(name), $"{name} is not emitted");
        }
    }

    [Fact]
    public void The_gateway_emits_its_payment_metrics()
    {
        var emitted = metrics.Names;
        foreach (var name in new[]
                 {
                     "gateway_charges_total", "gateway_charge_duration_seconds_bucket", "gateway_payments_paid_total", "gateway_paid_amount_total",
                     "gateway_charge_batch_size_bucket", "gateway_charge_batch_step_duration_seconds_bucket",
                 })
        {
            Assert.True(emitted.ContainsKey(name), $"{name} is not emitted");
        }
    }

    [Fact]
    public void The_treasury_emits_its_metrics()
    {
        var emitted = metrics.Names;
        foreach (var name in new[]
                 {
                     "treasury_revenue_payments_total", "treasury_revenue_amount_total", "treasury_payouts_total", "treasury_distributions_total",
                     "treasury_distribution_lines_paid_total",
                 })
        {
            Assert.True(emitted.ContainsKey(name), $"{name} is not emitted");
        }
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
/// What the Ledger's and the gateway's OpenTelemetry pipelines export, collected once: Prometheus series name → the instrument, unit,
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
        // Its own reader per host, collected on demand: no export interval to wait for, and observable gauges are read at that moment.
        using var ledgerReader = new BaseExportingMetricReader(new InMemoryExporter<Metric>(exported));
        using var gatewayReader = new BaseExportingMetricReader(new InMemoryExporter<Metric>(exported));
        using var subDaoReader = new BaseExportingMetricReader(new InMemoryExporter<Metric>(exported));
        using var treasuryReader = new BaseExportingMetricReader(new InMemoryExporter<Metric>(exported));
        var broker = await infrastructure.RabbitMq.CreateVirtualHostAsync("deploy_metrics");
        var settings = new Dictionary<string, string?>
        {
            ["Ledger:Genesis:Code"] = "POV",
            ["Ledger:Genesis:Name"] = "Perspective",
            ["Ledger:Genesis:Decimals"] = "6",
            ["Ledger:Genesis:Allocations:0:Account"] = "alice",
            ["Ledger:Genesis:Allocations:0:Amount"] = "1000000",
        };
        // Telemetry:Enabled must be known when the host adds its defaults, before the test's settings are layered on: an argument.
        static BuildService WithTelemetry(BuildService build) => (args, configure) => build([.. args, "--Telemetry:Enabled=true"], configure);
        await using var ledger = await ServiceUnderTest.StartAsync(WithTelemetry(LedgerHost.Build), infrastructure, await infrastructure.CreateDatabaseAsync("deploy_ledger"),
            builder => builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddReader(ledgerReader)), settings, broker);
        await using var registry = await ServiceUnderTest.StartAsync(ModelRegistryHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("deploy_registry"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = ledger.Address }, broker: broker);
        // Before the model is registered: its ModelRegistered creates the sub-DAO. Short governance periods on the real
        // clock, so one proposal goes from creation to execution within seconds.
        await using var subDao = await ServiceUnderTest.StartAsync(WithTelemetry(SubDaoGovernanceHost.Build), infrastructure,
            await infrastructure.CreateDatabaseAsync("deploy_subdao"),
            builder => builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddReader(subDaoReader)),
            new Dictionary<string, string?>
            {
                ["Services:Ledger"] = ledger.Address,
                ["Governance:Scheduler:IntervalMs"] = "100",
                ["Governance:DefaultSettings:VotingDelaySeconds"] = "0",
                ["Governance:DefaultSettings:VotingPeriodSeconds"] = "1",
                ["Governance:DefaultSettings:ExecutionDelaySeconds"] = "0",
            }, broker);
        // Also before the registration: its ModelRegistered opens the model's treasury, which counts the charge below and
        // carries out the proposal's spend and distribution.
        await using var treasury = await ServiceUnderTest.StartAsync(WithTelemetry(TreasuryHost.Build), infrastructure,
            await infrastructure.CreateDatabaseAsync("deploy_treasury"),
            builder => builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddReader(treasuryReader)),
            new Dictionary<string, string?> { ["Services:Ledger"] = ledger.Address }, broker);
        await using var gateway = await ServiceUnderTest.StartAsync(WithTelemetry(UsageGatewayHost.Build), infrastructure,
            await infrastructure.CreateDatabaseAsync("deploy_gateway"),
            builder => builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddReader(gatewayReader)),
            new Dictionary<string, string?> { ["Services:Ledger"] = ledger.Address, ["Services:ModelRegistry"] = registry.Address }, broker);
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

            // The payment path: a model, an allowance, one charge paid and one refused.
            var model = (await new ModelRegistryService.ModelRegistryServiceClient(registry.Channel).RegisterModelAsync(new RegisterModelRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                Name = "metrics model",
                Description = "emits the payment metrics",
                ProviderAccount = "provider-1",
                Token = new TokenSpec { Symbol = "MTRC", Name = "metrics token", Decimals = 6, TotalSupply = 1_000 },
                Price = new Price { AmountPerUnit = 3, Unit = UsageUnit.Request },
            }, TestTokens.Bearer("carol", Roles.User), cancellationToken: ct)).Model;
            var payments = new UsageGatewayService.UsageGatewayServiceClient(gateway.Channel);
            await payments.SetAllowanceAsync(new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, CapAmount = 100 },
                alice, cancellationToken: ct);
            var provider = TestTokens.Bearer("provider-1", Roles.Provider);
            await payments.ChargeUsageAsync(new ChargeUsageRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, PayerAccount = "alice", Units = 2 },
                provider, cancellationToken: ct);
            await Assert.ThrowsAsync<RpcException>(() => payments.ChargeUsageAsync(new ChargeUsageRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                ModelId = model.ModelId,
                PayerAccount = "alice",
                Units = 1_000,
            }, provider, cancellationToken: ct).ResponseAsync);

            // Governance: the model's sub-DAO, one proposal voted through to execution: a signal, a treasury spend and a
            // distribution (the charge above put 6 POV base units in the treasury).
            var proposals = new SubDaoGovernanceService.SubDaoGovernanceServiceClient(subDao.Channel);
            var carol = TestTokens.Bearer("carol", Roles.User);
            await Eventually.WaitAsync(async () =>
            {
                try
                {
                    return (await proposals.GetDaoAsync(new GetDaoRequest { ModelId = model.ModelId }, carol, cancellationToken: ct)).Dao is not null;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
                {
                    return false;
                }
            }, found => found, TimeSpan.FromSeconds(30), "the model's sub-DAO");
            var proposal = (await proposals.CreateProposalAsync(new CreateProposalRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                ModelId = model.ModelId,
                Title = "emit the governance metrics",
                Actions =
                {
                    new SubDaoAction { Signal = new SignalAction() },
                    new SubDaoAction { TreasurySpend = new TreasurySpendAction { RecipientAccount = "dave", Amount = 3, Purpose = "emit the treasury metrics" } },
                    new SubDaoAction { DistributeRewards = new DistributeRewardsAction { Amount = 2 } },
                },
            }, carol, cancellationToken: ct)).Proposal;
            await Eventually.WaitAsync(async () => (await proposals.GetProposalAsync(new GetProposalRequest { ProposalId = proposal.ProposalId }, carol,
                cancellationToken: ct)).Proposal.State, state => state == ProposalState.Active, TimeSpan.FromSeconds(30), "voting open");
            await proposals.CastVoteAsync(new Contracts.SubDao.V1.CastVoteRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                ProposalId = proposal.ProposalId,
                Support = VoteSupport.For,
            }, carol, cancellationToken: ct);
            await Eventually.WaitAsync(async () => (await proposals.GetProposalAsync(new GetProposalRequest { ProposalId = proposal.ProposalId }, carol,
                cancellationToken: ct)).Proposal.State, state => state == ProposalState.Executed, TimeSpan.FromSeconds(30), "the proposal executed");

            var treasuries = new TreasuryService.TreasuryServiceClient(treasury.Channel);
            await Eventually.WaitAsync(async () => (await treasuries.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, carol,
                cancellationToken: ct)).Treasury, t => t.PaidOut == 3 && t.Distributed == 2, TimeSpan.FromSeconds(30), "the spend and the distribution paid");

            Assert.True(ledgerReader.Collect(10_000), "the Ledger's metrics were not collected");
            Assert.True(treasuryReader.Collect(10_000), "the treasury's metrics were not collected");
            Assert.True(subDaoReader.Collect(10_000), "the sub-DAO service's metrics were not collected");
            Assert.True(gatewayReader.Collect(10_000), "the gateway's metrics were not collected");

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
