using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Perspective.Reliability.Tests.Stack;

/// <summary>
/// One service as an operating-system process: <c>dotnet Perspective.X.dll</c> started in the service's own build folder
/// (its appsettings, deps and runtimeconfig) with environment-variable configuration, as a container runs it. Its output
/// is appended to a log file. <see cref="Kill"/> is SIGKILL: no shutdown hook, no flush, connections cut by the kernel.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string dll;
    private readonly IReadOnlyDictionary<string, string> environment;
    private readonly object gate = new();
    private Process? process;
    private bool killedOnPurpose;

    public ServiceProcess(string name, string dll, int port, IReadOnlyDictionary<string, string> environment, string logFile)
    {
        Name = name;
        this.dll = dll;
        Port = port;
        this.environment = environment;
        LogFile = logFile;
        Channel = GrpcChannel.ForAddress(Address);
    }

    public string Name { get; }

    public int Port { get; }

    public string LogFile { get; }

    public string Address => $"http://127.0.0.1:{Port}";

    /// <summary>A channel straight to this process (health checks); callers of the service use their own.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>Exits nobody asked for (a crash, a failed start), each with its exit code.</summary>
    public List<string> UnexpectedExits { get; } = [];

    public int Starts { get; private set; }

    /// <summary>Whether the stack wants it running: set by <see cref="Start"/>, cleared by <see cref="Kill"/>.</summary>
    public bool Wanted { get; private set; }

    public bool IsRunning
    {
        get
        {
            lock (gate)
            {
                return process is { HasExited: false };
            }
        }
    }

    public void Start()
    {
        lock (gate)
        {
            if (process is { HasExited: false })
            {
                throw new InvalidOperationException($"{Name} is already running");
            }
            var startInfo = new ProcessStartInfo
            {
                FileName = "/bin/sh",
                UseShellExecute = false,
                WorkingDirectory = Path.GetDirectoryName(dll)!, // the content root: the service's appsettings*.json
            };
            // exec: the shell becomes dotnet, so the pid we hold (and SIGKILL) is the service's own.
            startInfo.ArgumentList.Add("-c");
            startInfo.ArgumentList.Add($"exec dotnet {Quote(dll)} >> {Quote(LogFile)} 2>&1");
            foreach (var (key, value) in environment)
            {
                startInfo.Environment[key] = value;
            }
            File.AppendAllText(LogFile, $"\n===== start {Starts + 1} at {DateTime.UtcNow:O}\n");
            var started = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {Name}");
            killedOnPurpose = false;
            Wanted = true;
            started.EnableRaisingEvents = true;
            started.Exited += (_, _) => OnExited(started);
            process = started;
            Starts++;
        }
    }

    private void OnExited(Process exited)
    {
        lock (gate)
        {
            if (!ReferenceEquals(exited, process) || killedOnPurpose)
            {
                return;
            }
            UnexpectedExits.Add($"{Name} exited with {exited.ExitCode.ToString(CultureInfo.InvariantCulture)} at {DateTime.UtcNow:HH:mm:ss}");
        }
    }

    /// <summary>SIGKILL, and waits until the process is gone.</summary>
    public void Kill()
    {
        Process? victim;
        lock (gate)
        {
            victim = process;
            killedOnPurpose = true;
            Wanted = false;
        }
        if (victim is null || victim.HasExited)
        {
            return;
        }
        victim.Kill(entireProcessTree: false); // SIGKILL on Unix
        victim.WaitForExit(TimeSpan.FromSeconds(30));
    }

    /// <summary>Readiness (the default health check): migrated, database reachable, bus connected once since start; the Ledger: writing.</summary>
    public Task<bool> IsReadyAsync(CancellationToken ct) => CheckAsync("", ct);

    /// <summary>The bus connected now, every receive endpoint up (the <c>broker</c> health service; readiness ignores a later outage).</summary>
    public Task<bool> IsBrokerConnectedAsync(CancellationToken ct) => CheckAsync("broker", ct);

    /// <summary>Ready and its bus connected: recovered from any fault, events flowing again.</summary>
    public async Task<bool> IsReadyWithBrokerAsync(CancellationToken ct) => await IsReadyAsync(ct) && await IsBrokerConnectedAsync(ct);

    /// <summary>Liveness: the process answers at all (a Ledger standby is live, not ready).</summary>
    public Task<bool> IsLiveAsync(CancellationToken ct) => CheckAsync("liveness", ct);

    private async Task<bool> CheckAsync(string service, CancellationToken ct)
    {
        try
        {
            var response = await new Health.HealthClient(Channel).CheckAsync(new HealthCheckRequest { Service = service },
                deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: ct);
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    public async Task WaitAsync(Func<CancellationToken, Task<bool>> check, TimeSpan timeout, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await check(ct))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name}: {what} not reached within {timeout.TotalSeconds:0} s; log tail:\n{LogTail(40)}");
            }
            await Task.Delay(100, ct);
        }
    }

    public string LogTail(int lines) => File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile).TakeLast(lines)) : "";

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public ValueTask DisposeAsync()
    {
        Kill();
        lock (gate)
        {
            process?.Dispose();
            process = null;
        }
        Channel.Dispose();
        return ValueTask.CompletedTask;
    }
}
