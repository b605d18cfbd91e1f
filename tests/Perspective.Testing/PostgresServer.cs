using Dapper;
using Npgsql;

namespace Perspective.Testing;

/// <summary>
/// A private PostgreSQL for one test assembly: initdb in a temp folder, listening on a free loopback port,
/// fsync off (tests measure behaviour, not durability). As root the server runs as the <c>postgres</c> user,
/// because PostgreSQL refuses to run as root.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string binDir;
    private readonly string? runAs;
    private bool durable;

    private PostgresServer(string binDir, string root, int port, string? runAs)
    {
        this.binDir = binDir;
        Root = root;
        Port = port;
        this.runAs = runAs;
    }

    public string Root { get; }

    public int Port { get; }

    private string DataDir => Path.Combine(Root, "data");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Pooling=true;Maximum Pool Size=50";

    /// <summary>Starts a server; <paramref name="durable"/> keeps production durability (fsync, synchronous commit) for benchmarks.</summary>
    public static async Task<PostgresServer> StartAsync(bool durable = false)
    {
        var initdb = ExternalProcess.Find(
                         [Environment.GetEnvironmentVariable("PG_BIN") is { } bin ? Path.Combine(bin, "initdb") : "",
                          .. Directory.Exists("/usr/lib/postgresql")
                              ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin", "initdb"))
                              : []],
                         "initdb")
                     ?? throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql, or set PG_BIN.");
        var binDir = Path.GetDirectoryName(Path.GetFullPath(new FileInfo(initdb).LinkTarget is { } target
            ? Path.Combine(Path.GetDirectoryName(initdb)!, target)
            : initdb))!;

        var root = Directory.CreateTempSubdirectory("perspective-test-pg-").FullName;
        var runAs = ExternalProcess.IsRoot ? "postgres" : null;
        if (runAs is not null)
        {
            await ExternalProcess.RunAsync("chown", ["-R", "postgres:postgres", root]);
        }
        var server = new PostgresServer(binDir, root, FreePort.Next(), runAs) { durable = durable };
        try
        {
            await server.InitAndStartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private async Task InitAndStartAsync()
    {
        await ExternalProcess.RunAsync(Path.Combine(binDir, "initdb"),
            ["-D", DataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"], asUser: runAs);
        await StartServerAsync();
    }

    private Task StartServerAsync() =>
        ExternalProcess.RunAsync(Path.Combine(binDir, "pg_ctl"),
            ["-D", DataDir, "-l", Path.Combine(Root, "postgres.log"), "-w", "-t", "60", "start", "-o",
             $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={Root} -c max_connections=400 " +
             (durable ? "-c fsync=on -c synchronous_commit=on -c shared_buffers=512MB" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off") +
             // For profiling a benchmark, e.g. "-c shared_preload_libraries=pg_stat_statements" (docs/BENCHMARKS.md).
             (Environment.GetEnvironmentVariable("PERSPECTIVE_PG_OPTIONS") is { Length: > 0 } extra ? " " + extra : "")],
            asUser: runAs);

    /// <summary>Stops and starts the server on the same port with the same data (for crash and outage tests).</summary>
    public Task RestartAsync() => RestartAsync(immediate: false);

    /// <summary>
    /// Stops and starts the server on the same port with the same data. <paramref name="immediate"/> stops it the way a
    /// crash does (<c>pg_ctl -m immediate</c>: no checkpoint, every backend killed, crash recovery at the next start);
    /// otherwise a fast shutdown (sessions ended, clean checkpoint).
    /// </summary>
    public async Task RestartAsync(bool immediate)
    {
        await ExternalProcess.RunAsync(Path.Combine(binDir, "pg_ctl"), ["-D", DataDir, "-w", "-m", immediate ? "immediate" : "fast", "stop"], asUser: runAs);
        await StartServerAsync();
    }

    /// <summary>Stops the server (fast shutdown), keeping its data: an outage that lasts until the test ends.</summary>
    public Task StopAsync() =>
        ExternalProcess.RunAsync(Path.Combine(binDir, "pg_ctl"), ["-D", DataDir, "-w", "-m", "fast", "stop"], asUser: runAs);

    /// <summary>Starts the server again after <see cref="StopAsync"/>, on the same port with the same data.</summary>
    public Task StartAgainAsync() => StartServerAsync();

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.ExecuteAsync($"create database \"{name}\"");
        }
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
            {
                await ExternalProcess.RunAsync(Path.Combine(binDir, "pg_ctl"), ["-D", DataDir, "-w", "-m", "immediate", "stop"], asUser: runAs);
            }
        }
        finally
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
