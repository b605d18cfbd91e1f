using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Ledger.V1;
using Perspective.Governance.Engine;
using Perspective.Ledger;
using Perspective.ModelRegistry;
using Perspective.SubDaoGovernance;
using Perspective.Testing;
using Perspective.Treasury;
using Perspective.UsageGateway;
using Spectre.Console.Testing;

namespace Perspective.Cli.Tests;

/// <summary>
/// A Ledger (POV at genesis: 1,000,000 each to alice, bob, dave and erin), a ModelRegistry, a UsageGateway, a sub-DAO and a Treasury, started
/// once for the test class on one virtual host, and a way to run <c>pov</c> in-process against them.
/// </summary>
public sealed class CliStack(TestInfrastructure infrastructure) : IAsyncLifetime
{
    public const long Genesis = 1_000_000;
    public static readonly string[] Holders = ["alice", "bob", "dave", "erin"];

    private readonly List<ServiceUnderTest> started = [];

    public ServiceUnderTest Ledger { get; private set; } = null!;

    public ServiceUnderTest Registry { get; private set; } = null!;

    public ServiceUnderTest Gateway { get; private set; } = null!;

    public ServiceUnderTest SubDao { get; private set; } = null!;

    public ServiceUnderTest Treasury { get; private set; } = null!;

    /// <summary>The sub-DAO's clock; the test moves it and runs scheduler passes (<see cref="StepAsync"/>).</summary>
    public FakeTimeProvider GovernanceClock { get; } = new(DateTimeOffset.UtcNow);

    public Task<int> StepAsync() => SubDao.Services.GetRequiredService<ProposalScheduler>().RunOnceAsync(CancellationToken.None);

    public async ValueTask InitializeAsync()
    {
        var broker = await infrastructure.RabbitMq.CreateVirtualHostAsync("cli");
        var genesis = new Dictionary<string, string?>
        {
            ["Ledger:Genesis:Code"] = "POV",
            ["Ledger:Genesis:Name"] = "Perspective",
            ["Ledger:Genesis:Decimals"] = "6",
        };
        for (var i = 0; i < Holders.Length; i++)
        {
            genesis[$"Ledger:Genesis:Allocations:{i}:Account"] = Holders[i];
            genesis[$"Ledger:Genesis:Allocations:{i}:Amount"] = Genesis.ToString(CultureInfo.InvariantCulture);
        }
        Ledger = await Start(ServiceUnderTest.StartAsync(LedgerHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("ledger"), settings: genesis, broker: broker));
        var ledger = new LedgerService.LedgerServiceClient(Ledger.Channel);
        await Eventually.WaitAsync(async () => (await ledger.GetHeadAsync(new GetHeadRequest(), TestTokens.Bearer("alice"))).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
        Registry = await Start(ServiceUnderTest.StartAsync(ModelRegistryHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("registry"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = Ledger.Address }, broker: broker));
        Gateway = await Start(ServiceUnderTest.StartAsync(UsageGatewayHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("gateway"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = Ledger.Address, ["Services:ModelRegistry"] = Registry.Address }, broker: broker));
        SubDao = await Start(ServiceUnderTest.StartAsync(SubDaoGovernanceHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("subdao"),
            builder => builder.Services.AddSingleton<TimeProvider>(GovernanceClock), new Dictionary<string, string?>
            {
                ["Services:Ledger"] = Ledger.Address,
                ["Governance:Scheduler:Enabled"] = "false",
                ["Governance:DefaultSettings:VotingDelaySeconds"] = "60",
                ["Governance:DefaultSettings:VotingPeriodSeconds"] = "3600",
                ["Governance:DefaultSettings:QuorumBps"] = "2000",
                ["Governance:DefaultSettings:PassThresholdBps"] = "5000",
                ["Governance:DefaultSettings:ProposalThreshold"] = "1000",
                ["Governance:DefaultSettings:ExecutionDelaySeconds"] = "600",
                ["Governance:DefaultSettings:GracePeriodSeconds"] = "3600",
                ["Governance:DefaultSettings:LateQuorumExtensionSeconds"] = "0",
            }, broker));
        Treasury = await Start(ServiceUnderTest.StartAsync(TreasuryHost.Build, infrastructure, await infrastructure.CreateDatabaseAsync("treasury"),
            settings: new Dictionary<string, string?> { ["Services:Ledger"] = Ledger.Address }, broker: broker));
    }

    private async Task<ServiceUnderTest> Start(Task<ServiceUnderTest> starting)
    {
        var service = await starting;
        started.Add(service);
        return service;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].DisposeAsync();
        }
    }

    /// <summary>
    /// Runs <c>pov args</c> in-process with a TestConsole (plain unless <paramref name="rich"/>), the given config file
    /// and variables; the endpoints point at this stack unless a variable overrides them.
    /// </summary>
    public async Task<CliRun> RunAsync(string config, string[] args, IDictionary<string, string>? env = null, bool rich = false)
    {
        var variables = new Dictionary<string, string>
        {
            ["POV_CONFIG"] = config,
            ["POV_LEDGER_URL"] = Ledger.Address,
            ["POV_REGISTRY_URL"] = Registry.Address,
            ["POV_GATEWAY_URL"] = Gateway.Address,
            ["POV_SUBDAO_URL"] = SubDao.Address,
            ["POV_TREASURY_URL"] = Treasury.Address,
        };
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            variables[key] = value;
        }
        var console = new TestConsole().Width(160);
        var error = new StringWriter();
        var exit = await PovApp.RunAsync(args, new CliContext(console, error, name => variables.GetValueOrDefault(name), plain: !rich));
        var run = new CliRun(exit, console.Output, error.ToString());
        Transcript(args, run);
        return run;
    }

    /// <summary>With POV_TRANSCRIPT set, every run is appended to that file (the real outputs quoted in docs/cli.md).</summary>
    private static void Transcript(string[] args, CliRun run)
    {
        if (Environment.GetEnvironmentVariable("POV_TRANSCRIPT") is { Length: > 0 } path)
        {
            lock (typeof(CliStack))
            {
                File.AppendAllText(path, $"$ pov {string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a))}\n{run.Error}{run.Output}[exit {run.ExitCode}]\n\n");
            }
        }
    }
}

public sealed record CliRun(int ExitCode, string Output, string Error)
{
    /// <summary>The request id a mutating command printed (on stdout, or on stderr with --json).</summary>
    public string RequestId => (Output + Error).Split('\n').Single(l => l.StartsWith("request id: ", StringComparison.Ordinal))["request id: ".Length..].Trim();
}

/// <summary>One stack for every CLI test: the services start once, and the tests run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliStack>
{
    public const string Name = "cli";
}
