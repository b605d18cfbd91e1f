namespace Perspective.Demo;

/// <summary>
/// One thing the story waits for: <see cref="Poll"/> reads the state until <see cref="Done"/> accepts it.
/// <see cref="DueAt"/> is the service-clock time the next step of that state is due (a proposal's voting start, end or
/// executable time), or null when only asynchronous work (events, the scheduler's next pass) is missing.
/// </summary>
public sealed record StoryWait<T>(
    string What,
    Func<CancellationToken, Task<T>> Poll,
    Func<T, bool> Done,
    Func<T, DateTimeOffset?> DueAt,
    Func<T, string> Describe,
    TimeSpan Timeout);

/// <summary>
/// The story's time. Against the live stack it is the real clock and waiting is polling with a progress display; in the
/// end-to-end test it is the FakeTimeProvider the in-process services share, moved forward to whatever is due.
/// </summary>
public interface IStoryClock
{
    DateTimeOffset UtcNow { get; }

    /// <summary>Polls until the state is done; throws <see cref="TimeoutException"/> naming the last state after the timeout.</summary>
    Task<T> WaitAsync<T>(StoryWait<T> wait, CancellationToken ct);
}

/// <summary>A table of the story: a title, column headers, rows of text (numbers already formatted).</summary>
public sealed record StoryTable(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>Where the story is told: a terminal (Spectre.Console) for make demo, the test output in the end-to-end test.</summary>
public interface IStoryOutput
{
    void Chapter(int number, string title);

    void Say(string text);

    void Table(StoryTable table);
}
