using System.Globalization;
using Dapper;
using Npgsql;
using Perspective.Testing;

namespace Perspective.Reliability.Tests.Stack;

/// <summary>
/// The platform as separate processes: two Ledger replicas (writer and standby, behind <see cref="LedgerForwarder"/>),
/// the registry, the gateway, both governance services and the treasury, against one PostgreSQL (a database per
/// service) and one RabbitMQ node. A supervisor restarts a process that exits without being killed on purpose (as
/// Kubernetes restarts a crashed container) and records the exit: an unexpected exit is a finding.
/// </summary>
public sealed class ChaosStack : IAsyncDisposable
{
    public static readonly string[] DatabaseNames = ["ledger", "registry", "gateway", "subdao", "platform", "treasury"];

    private readonly TestInfrastructure infrastructure;
    private readonly CancellationTokenSource stop = new();
    private Task? supervisor;

    private ChaosStack(TestInfrastructure infrastructure, string logDir)
    {
        this.infrastructure = infrastructure;
        LogDir = logDir;
    }

    public string LogDir { get; }

    public PostgresServer Postgres => infrastructure.Postgres;

    public RabbitMqServer RabbitMq => infrastructure.RabbitMq;

    public ServiceProcess LedgerA { get; private set; } = null!;

    public ServiceProcess LedgerB { get; private set; } = null!;

    public LedgerForwarder Ledger { get; private set; } = null!;

    public ServiceProcess Registry { get; private set; } = null!;

    public ServiceProcess Gateway { get; private set; } = null!;

    public ServiceProcess SubDao { get; private set; } = null!;

    public ServiceProcess Platform { get; private set; } = null!;

    public ServiceProcess Treasury { get; private set; } = null!;

    public IReadOnlyList<ServiceProcess> All => [LedgerA, LedgerB, Registry, Gateway, SubDao, Platform, Treasury];

    /// <summary>Service name (ledger, registry, gateway, subdao, platform, treasury) → connection string.</summary>
    public Dictionary<string, string> Databases { get; } = [];

    /// <summary>Restarts by the supervisor of processes that exited on their own.</summary>
    public List<string> SupervisorRestarts { get; } = [];

    public static async Task<ChaosStack> StartAsync(IReadOnlyList<(string Account, long Amount)> genesis, CancellationToken ct)
    {
        var logDir = Directory.CreateTempSubdirectory("perspective-chaos-").FullName;
        // Production durability (fsync, synchronous_commit on): the suite's PostgreSQL commits without waiting for the WAL,
        // so an immediate stop (a crash) would lose commits the services had already answered for (the first run of this
        // test lost three acknowledged Ledger transfers that way; docs/RELIABILITY.md).
        var infrastructure = new TestInfrastructure { DurablePostgres = true };
        await infrastructure.InitializeAsync();
        var stack = new ChaosStack(infrastructure, logDir);
        try
        {
            await stack.StartServicesAsync(genesis, ct);
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
        return stack;
    }

    private async Task StartServicesAsync(IReadOnlyList<(string Account, long Amount)> genesis, CancellationToken ct)
    {
        foreach (var name in DatabaseNames)
        {
            await Postgres.CreateDatabaseAsync($"perspective_{name}");
            // A pool per process well under max_connections (400) for seven processes, the driver and the auditor.
            Databases[name] = $"Host=127.0.0.1;Port={Postgres.Port};Database=perspective_{name};Username=postgres;Maximum Pool Size=30;Timeout=5";
        }
        var root = RepoRoot();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // bin/<Configuration>/net10.0/

        Dictionary<string, string> Common(string database, int port) => new()
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__Database"] = Databases[database],
            ["ConnectionStrings__RabbitMq"] = RabbitMq.ConnectionString,
            ["Auth__SigningKey"] = TestTokens.SigningKey,
            ["Outbox__PollIntervalMs"] = "100",
            ["Outbox__PublishTimeoutMs"] = "5000",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Perspective"] = "Information",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        ServiceProcess Make(string name, string folder, string database, Dictionary<string, string> extra)
        {
            var port = FreePort.Next();
            var env = Common(database, port);
            foreach (var (key, value) in extra)
            {
                env[key] = value;
            }
            var dll = Path.Combine(root, "services", folder, "bin", configuration, "net10.0", $"Perspective.{folder}.dll");
            if (!File.Exists(dll))
            {
                throw new FileNotFoundException($"{dll} is not built: build the solution (or this test project) first");
            }
            return new ServiceProcess(name, dll, port, env, Path.Combine(LogDir, $"{name}.log"));
        }

        var ledgerSettings = new Dictionary<string, string>
        {
            ["Ledger__Genesis__Code"] = "POV",
            ["Ledger__Genesis__Name"] = "Perspective",
            ["Ledger__Genesis__Decimals"] = "6",
        };
        for (var i = 0; i < genesis.Count; i++)
        {
            ledgerSettings[$"Ledger__Genesis__Allocations__{i}__Account"] = genesis[i].Account;
            ledgerSettings[$"Ledger__Genesis__Allocations__{i}__Amount"] = genesis[i].Amount.ToString(CultureInfo.InvariantCulture);
        }
        LedgerA = Make("ledger-a", "Ledger", "ledger", ledgerSettings);
        LedgerB = Make("ledger-b", "Ledger", "ledger", ledgerSettings);
        LedgerA.Start();
        await LedgerA.WaitAsync(LedgerA.IsReadyAsync, TimeSpan.FromSeconds(120), "ready (writer)", ct);
        LedgerB.Start();
        Ledger = new LedgerForwarder([LedgerA, LedgerB]);

        var calling = new Dictionary<string, string> { ["Services__Ledger"] = Ledger.Address };
        Registry = Make("registry", "ModelRegistry", "registry", calling);
        // Short governance on the real clock: a proposal opens at once, votes for a few seconds, waits a second of timelock.
        var governance = new Dictionary<string, string>(calling)
        {
            ["Governance__Scheduler__IntervalMs"] = "200",
            ["Governance__DefaultSettings__VotingDelaySeconds"] = "0",
            ["Governance__DefaultSettings__VotingPeriodSeconds"] = VotingPeriodSeconds.ToString(CultureInfo.InvariantCulture),
            ["Governance__DefaultSettings__ExecutionDelaySeconds"] = "1",
        };
        SubDao = Make("subdao", "SubDaoGovernance", "subdao", governance);
        Platform = Make("platform", "PlatformGovernance", "platform", governance);
        Treasury = Make("treasury", "Treasury", "treasury", new Dictionary<string, string>(calling) { ["Treasury__ExecutorPollIntervalMs"] = "200" });
        Gateway = Make("gateway", "UsageGateway", "gateway", new Dictionary<string, string>(calling)
        {
            ["Services__ModelRegistry"] = Registry.Address,
            // Resume a payment left mid-flight by a crash after 3 s instead of 15, so the run settles sooner.
            ["Gateway__ResumeAfterMs"] = "3000",
        });
        foreach (var service in new[] { Registry, SubDao, Platform, Treasury, Gateway })
        {
            service.Start();
        }
        await LedgerB.WaitAsync(LedgerB.IsLiveAsync, TimeSpan.FromSeconds(120), "live (standby)", ct);
        await WaitAllReadyAsync(TimeSpan.FromSeconds(180), ct);
        supervisor = Task.Run(SuperviseAsync);
    }

    public const int VotingPeriodSeconds = 6;

    /// <summary>
    /// Every service ready with its bus connected, and one Ledger replica so (the writer) with the other live (the
    /// standby). The bus too: readiness stays SERVING through a broker outage, and a fault counts as recovered only
    /// once events flow again.
    /// </summary>
    public async Task WaitAllReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        await Task.WhenAll(new[] { Registry, SubDao, Platform, Treasury, Gateway }.Select(s =>
            s.WaitAsync(s.IsReadyWithBrokerAsync, Remaining(deadline), "ready, bus connected", ct)));
        while (!(await LedgerA.IsReadyWithBrokerAsync(ct) || await LedgerB.IsReadyWithBrokerAsync(ct)))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no Ledger replica ready within {timeout.TotalSeconds:0} s:\n{LedgerA.LogTail(20)}\n{LedgerB.LogTail(20)}");
            }
            await Task.Delay(100, ct);
        }
    }

    private static TimeSpan Remaining(DateTime deadline) => deadline - DateTime.UtcNow is var left && left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);

    /// <summary>The Ledger replica that is ready (writing), if any.</summary>
    public async Task<ServiceProcess?> LedgerWriterAsync(CancellationToken ct) =>
        await LedgerA.IsReadyAsync(ct) ? LedgerA : await LedgerB.IsReadyAsync(ct) ? LedgerB : null;

    private async Task SuperviseAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var service in All)
            {
                if (service.Wanted && !service.IsRunning)
                {
                    lock (SupervisorRestarts)
                    {
                        SupervisorRestarts.Add($"{DateTime.UtcNow:HH:mm:ss} {service.Name}");
                    }
                    service.Start();
                }
            }
            try
            {
                await Task.Delay(1000, stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Rows of <c>outbox_messages</c> not yet published (parked ones included: they never will be) per service.</summary>
    public async Task<Dictionary<string, long>> UnsentOutboxAsync()
    {
        var unsent = new Dictionary<string, long>();
        foreach (var (name, connectionString) in Databases)
        {
            await using var db = new NpgsqlConnection(connectionString);
            var exists = await db.ExecuteScalarAsync<bool>("select to_regclass('outbox_messages') is not null");
            unsent[name] = exists ? await db.ExecuteScalarAsync<long>("select count(*) from outbox_messages where sent_at is null") : 0;
        }
        return unsent;
    }

    public async Task<T> ScalarAsync<T>(string database, string sql, object? parameters = null)
    {
        await using var db = new NpgsqlConnection(Databases[database]);
        return (await db.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Perspective.Services.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root (Perspective.Services.sln) not found above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (supervisor is not null)
        {
            await supervisor;
        }
        // Callers of the Ledger first, the Ledger last, then the infrastructure.
        foreach (var service in new[] { Gateway, Treasury, SubDao, Platform, Registry, LedgerB, LedgerA })
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
        }
        if (Ledger is not null)
        {
            await Ledger.DisposeAsync();
        }
        await infrastructure.DisposeAsync();
        stop.Dispose();
    }
}
