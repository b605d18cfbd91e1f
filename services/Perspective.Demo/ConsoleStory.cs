using System.Diagnostics;
using Spectre.Console;

namespace Perspective.Demo;

/// <summary>The story on a console: rules for chapters, tables, plain text when the output is not a terminal.</summary>
public sealed class ConsoleStoryOutput(IAnsiConsole console) : IStoryOutput
{
    public void Chapter(int number, string title)
    {
        console.WriteLine();
        console.Write(new Rule($"[bold]{number}. {Markup.Escape(title)}[/]") { Justification = Justify.Left });
    }

    public void Say(string text) => console.MarkupLine(Markup.Escape(text));

    public void Table(StoryTable table)
    {
        var rendered = new Table { Title = new TableTitle(Markup.Escape(table.Title)), Border = TableBorder.Rounded };
        foreach (var column in table.Columns)
        {
            rendered.AddColumn(new TableColumn(Markup.Escape(column)));
        }
        foreach (var row in table.Rows)
        {
            rendered.AddRow(row.Select(cell => new Text(cell)).ToArray());
        }
        console.Write(rendered);
    }
}

/// <summary>
/// Real time: polls every 250 ms and shows what it waits for (the proposal's state and the seconds until its next step)
/// as a spinner on a terminal, or one line when done otherwise.
/// </summary>
public sealed class LiveStoryClock(IAnsiConsole console) : IStoryClock
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public DateTimeOffset UtcNow => DateTimeOffset.UtcNow;

    public async Task<T> WaitAsync<T>(StoryWait<T> wait, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        T value;
        if (console.Profile.Capabilities.Interactive)
        {
            value = await console.Status().Spinner(Spinner.Known.Dots).StartAsync(Markup.Escape($"waiting for {wait.What}"),
                ctx => PollAsync(wait, watch, text => ctx.Status(Markup.Escape($"waiting for {wait.What}: {text}")), ct));
        }
        else
        {
            value = await PollAsync(wait, watch, _ => { }, ct);
        }
        console.MarkupLine(Markup.Escape($"  … waited {watch.Elapsed.TotalSeconds:0.0} s for {wait.What}: {wait.Describe(value)}"));
        return value;
    }

    private async Task<T> PollAsync<T>(StoryWait<T> wait, Stopwatch watch, Action<string> show, CancellationToken ct)
    {
        while (true)
        {
            var value = await wait.Poll(ct);
            if (wait.Done(value))
            {
                return value;
            }
            var due = wait.DueAt(value);
            var left = due is { } at ? at - UtcNow : TimeSpan.Zero;
            show(left > TimeSpan.Zero ? $"{wait.Describe(value)}, next step in {left.TotalSeconds:0} s" : wait.Describe(value));
            if (watch.Elapsed > wait.Timeout)
            {
                throw new TimeoutException($"gave up waiting for {wait.What} after {wait.Timeout.TotalSeconds:0} s (last seen: {wait.Describe(value)})");
            }
            await Task.Delay(PollInterval, ct);
        }
    }
}
