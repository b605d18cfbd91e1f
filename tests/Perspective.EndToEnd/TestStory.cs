using Microsoft.Extensions.Time.Testing;
using Perspective.Demo;

namespace Perspective.EndToEnd;

/// <summary>
/// The story's clock in the test: the FakeTimeProvider every in-process service runs on. A wait moves it straight to
/// what the state says is due next (voting start, voting end, executable time) and otherwise polls in real time for
/// the asynchronous part (scheduler passes, events), so days of governance take seconds and nothing sleeps for time.
/// </summary>
public sealed class FakeStoryClock(FakeTimeProvider time) : IStoryClock
{
    public DateTimeOffset UtcNow => time.GetUtcNow();

    /// <summary>How far the story moved the clock, all waits together.</summary>
    public TimeSpan Advanced { get; private set; }

    public async Task<T> WaitAsync<T>(StoryWait<T> wait, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + wait.Timeout;
        while (true)
        {
            var value = await wait.Poll(ct);
            if (wait.Done(value))
            {
                return value;
            }
            if (wait.DueAt(value) is { } due && due > time.GetUtcNow())
            {
                Advanced += due - time.GetUtcNow();
                time.SetUtcNow(due);
                continue;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{wait.What} did not happen within {wait.Timeout.TotalSeconds:0} s (last seen: {wait.Describe(value)})");
            }
            await Task.Delay(50, ct);
        }
    }
}

/// <summary>The story's text, kept for the test output (shown when the test fails).</summary>
public sealed class RecordingStoryOutput : IStoryOutput
{
    private readonly List<string> lines = [];

    public IReadOnlyList<string> Lines => lines;

    public void Chapter(int number, string title) => Add($"== {number}. {title}");

    public void Say(string text) => Add(text);

    public void Table(StoryTable table)
    {
        Add($"[{table.Title}] {string.Join(" | ", table.Columns)}");
        foreach (var row in table.Rows)
        {
            Add("  " + string.Join(" | ", row));
        }
    }

    private void Add(string line)
    {
        lock (lines)
        {
            lines.Add(line);
        }
        TestContext.Current.TestOutputHelper?.WriteLine(line);
    }
}
