using System.Diagnostics;

namespace Perspective.Testing;

/// <summary>
/// A private RabbitMQ node for tests: its AMQP, distribution and epmd ports free and bound to 127.0.0.1, its data
/// and Erlang cookie in a temp folder. Started from the machine's binaries (Debian's rabbitmq-server), stopped with
/// rabbitmqctl and <c>epmd -kill</c>, so no process is left behind.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    private readonly string binDir;
    private readonly Dictionary<string, string> env;
    private Process? process;

    private RabbitMqServer(string binDir, string root)
    {
        this.binDir = binDir;
        Root = root;
        AmqpPort = FreePort.Next();
        var distPort = FreePort.Next();
        EpmdPort = FreePort.Next();
        NodeName = $"perspective-test-{AmqpPort}@localhost";
        var ctlPortMin = Random.Shared.Next(45_000, 60_000);
        env = new Dictionary<string, string>
        {
            ["HOME"] = root, // the Erlang cookie lives here, shared by the server and rabbitmqctl
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = AmqpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = distPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ERL_EPMD_PORT"] = EpmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(root, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(root, "log"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(root, "rabbitmq.pid"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(root, "rabbitmq"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(root, "enabled_plugins"),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            // rabbitmqctl is an Erlang node too: keep its distribution port on loopback as well, and give each server's
            // CLI calls a range of their own (the default, 35672–35682, is one range for the whole machine, too few
            // for several test assemblies calling rabbitmqctl at once). FreePort never picks from 45000 up.
            ["RABBITMQ_CTL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["RABBITMQ_CTL_DIST_PORT_MIN"] = ctlPortMin.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_CTL_DIST_PORT_MAX"] = (ctlPortMin + 63).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    public string Root { get; }

    public int AmqpPort { get; }

    public int EpmdPort { get; }

    public string NodeName { get; }

    public string ConnectionString => $"amqp://guest:guest@127.0.0.1:{AmqpPort}/";

    public static async Task<RabbitMqServer> StartAsync()
    {
        var server = ExternalProcess.Find(
                         [Environment.GetEnvironmentVariable("RABBITMQ_BIN") is { } bin ? Path.Combine(bin, "rabbitmq-server") : "",
                          "/usr/lib/rabbitmq/bin/rabbitmq-server"],
                         "rabbitmq-server")
                     ?? throw new InvalidOperationException(
                         "rabbitmq-server not found: `make test` installs it when run as root; otherwise `sudo apt-get install rabbitmq-server` (or set RABBITMQ_BIN).");
        var root = Directory.CreateTempSubdirectory("perspective-test-rabbitmq-").FullName;
        var rabbit = new RabbitMqServer(Path.GetDirectoryName(server)!, root);
        try
        {
            await rabbit.StartNodeAsync();
        }
        catch (Exception ex)
        {
            // A node that did not come up in time must not outlive the failed start; keep its log in the error.
            var log = rabbit.LogTail();
            await rabbit.DisposeAsync();
            throw new InvalidOperationException($"RabbitMQ did not start: {ex.Message}\n--- its log ---\n{log}", ex);
        }
        return rabbit;
    }

    private async Task StartNodeAsync()
    {
        process = ExternalProcess.StartDetached(Path.Combine(binDir, "rabbitmq-server"), [], Path.Combine(Root, "server.log"), env);
        await ExternalProcess.RunAsync(Path.Combine(binDir, "rabbitmqctl"),
            ["-n", NodeName, "wait", env["RABBITMQ_PID_FILE"], "--timeout", "90"], env, timeout: TimeSpan.FromSeconds(100));
    }

    /// <summary>
    /// A new virtual host for one test class and its AMQP URI: its own exchanges and queues, so services of
    /// different test classes (each with its own database) never consume each other's messages.
    /// </summary>
    public async Task<string> CreateVirtualHostAsync(string prefix)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}";
        await ExternalProcess.RunAsync(Path.Combine(binDir, "rabbitmqctl"), ["-n", NodeName, "add_vhost", name], env);
        await ExternalProcess.RunAsync(Path.Combine(binDir, "rabbitmqctl"), ["-n", NodeName, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"], env);
        return $"amqp://guest:guest@127.0.0.1:{AmqpPort}/{name}";
    }

    private string LogTail()
    {
        var lines = new[] { Path.Combine(Root, "server.log") }
            .Concat(Directory.Exists(Path.Combine(Root, "log")) ? Directory.GetFiles(Path.Combine(Root, "log"), "*.log") : [])
            .Where(File.Exists)
            .SelectMany(file => File.ReadLines(file).TakeLast(40).Prepend($"== {Path.GetFileName(file)}"));
        return string.Join('\n', lines);
    }

    /// <summary>Stops the node, keeping its data and ports, as a broker outage does.</summary>
    public async Task StopNodeAsync()
    {
        if (process is null)
        {
            return;
        }
        try
        {
            // With the pid file, rabbitmqctl returns only once the Erlang VM has exited.
            await ExternalProcess.RunAsync(Path.Combine(binDir, "rabbitmqctl"), ["-n", NodeName, "stop", env["RABBITMQ_PID_FILE"]], env,
                timeout: TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
            }
            process.Dispose();
            process = null;
        }
    }

    /// <summary>Starts the node again after <see cref="StopNodeAsync"/>, on the same ports with the same data.</summary>
    public Task StartNodeAgainAsync() => StartNodeAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopNodeAsync();
        }
        finally
        {
            // epmd outlives the node; stop the one on our private port only.
            try
            {
                await ExternalProcess.RunAsync("epmd", ["-kill"], env, timeout: TimeSpan.FromSeconds(20));
            }
            catch (InvalidOperationException)
            {
                // not running: nothing to stop
            }
            Directory.Delete(Root, recursive: true);
        }
    }
}
