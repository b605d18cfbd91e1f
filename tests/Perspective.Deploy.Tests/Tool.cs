using System.Diagnostics;

namespace Perspective.Deploy.Tests;

/// <summary>Runs a command-line tool the checks need (kubectl, yamllint, helm), or says how to install it.</summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>The tool's full path on PATH, or null.</summary>
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>The tool's path; fails the test with how to install it when it is missing.</summary>
    public static string Require(string name, string howToInstall) =>
        Find(name) ?? throw new Xunit.Sdk.XunitException($"{name} is not installed, and this check needs it. {howToInstall}");

    public static async Task<Result> RunAsync(string path, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {path}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // never leave a hung tool behind
            throw new TimeoutException($"{path} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}");
        }
        return new Result(process.ExitCode, await output, await error);
    }
}
