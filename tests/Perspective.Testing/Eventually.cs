namespace Perspective.Testing;

/// <summary>Waits for something that happens asynchronously (an event delivered over the broker), up to a deadline.</summary>
public static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds:0} s (last value: {value})");
            }
            await Task.Delay(50, TestContext.Current?.CancellationToken ?? CancellationToken.None);
        }
    }
}
