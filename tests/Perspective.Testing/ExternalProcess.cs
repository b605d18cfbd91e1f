using System.Diagnostics;

namespace Perspective.Testing;

/// <summary>Runs the machine's server binaries for tests: as another user when needed, with output to a log file.</summary>
internal static class ExternalProcess
{
    public static bool IsRoot => Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";

    /// <summary>Runs a command to completion; throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(
        string file, IEnumerable<string> args, IDictionary<string, string>? env = null, string? asUser = null, TimeSpan? timeout = null)
    {
        var startInfo = StartInfo(file, args, env, asUser);
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time");
        }
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {output}");
        }
        return output;
    }

    /// <summary>Starts a long-running server with its output appended to <paramref name="logFile"/>.</summary>
    public static Process StartDetached(string file, IEnumerable<string> args, string logFile, IDictionary<string, string>? env = null, string? asUser = null)
    {
        // exec through sh so the log redirection needs no pipe that could fill up and block the server.
        var command = string.Join(' ', new[] { file }.Concat(args).Select(Quote));
        var startInfo = StartInfo("/bin/sh", ["-c", $"exec {command} >> {Quote(logFile)} 2>&1"], env, asUser);
        return Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {file}");
    }

    private static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, IDictionary<string, string>? env, string? asUser)
    {
        var startInfo = new ProcessStartInfo { UseShellExecute = false };
        if (asUser is not null)
        {
            startInfo.FileName = "runuser";
            startInfo.ArgumentList.Add("-u");
            startInfo.ArgumentList.Add(asUser);
            startInfo.ArgumentList.Add("--");
            startInfo.ArgumentList.Add(file);
        }
        else
        {
            startInfo.FileName = file;
        }
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }
        return startInfo;
    }

    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The first existing file among the candidates, or the name found on PATH.</summary>
    public static string? Find(IEnumerable<string> candidates, string nameOnPath)
    {
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, nameOnPath);
            if (File.Exists(path))
            {
                return path;
            }
        }
        return null;
    }
}
