using Spectre.Console;

namespace Perspective.Cli.Infrastructure;

/// <summary>
/// What a run of <c>pov</c> talks to: the console for results, a writer for errors and request ids, the environment
/// and the clock. The process builds one from the real console; tests build one over a TestConsole.
/// </summary>
public sealed class CliContext(IAnsiConsole console, TextWriter error, Func<string, string?> environment, bool plain, TimeProvider? clock = null)
{
    public IAnsiConsole Console { get; } = console;

    /// <summary>Errors, and the request id of a mutating command when stdout carries JSON.</summary>
    public TextWriter Error { get; } = error;

    /// <summary>Plain output: tab-separated tables, no colours, no live displays (stdout is a file or a pipe).</summary>
    public bool Plain { get; } = plain;

    public TimeProvider Clock { get; } = clock ?? TimeProvider.System;

    public string? Env(string name) => environment(name) is { Length: > 0 } value ? value : null;

    /// <summary>
    /// The process's own console: plain when stdout is redirected or the terminal cannot do ANSI, unless
    /// <c>POV_OUTPUT</c> says <c>rich</c> or <c>plain</c>.
    /// </summary>
    public static CliContext FromProcess()
    {
        var console = AnsiConsole.Console;
        var plain = Environment.GetEnvironmentVariable("POV_OUTPUT") switch
        {
            "plain" => true,
            "rich" => false,
            _ => System.Console.IsOutputRedirected || !console.Profile.Capabilities.Ansi,
        };
        // A pipe has no width: COLUMNS (when exported) sets the width of rich output written to one.
        if (System.Console.IsOutputRedirected && int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 20)
        {
            console.Profile.Width = columns;
        }
        return new CliContext(console, System.Console.Error, Environment.GetEnvironmentVariable, plain);
    }
}
