using System.Collections.Concurrent;
using Grpc.Core;

namespace Perspective.Reliability.Tests.Load;

/// <summary>What a call finally got: its response, or the definitive refusal (a status a client does not retry).</summary>
public sealed record Answer<T>(T? Response, RpcException? Refusal, int Attempts) where T : class;

/// <summary>
/// Calls as a real provider does: the same request (same request id) again on UNAVAILABLE, DEADLINE_EXCEEDED, a cut
/// connection, and also on INTERNAL / UNKNOWN / ABORTED / RESOURCE_EXHAUSTED (a 5xx: the outcome is unknown, and the
/// request id makes a second send safe), with back-off, until an answer or the give-up time. Counts every status seen.
/// </summary>
public sealed class Retrying(TimeSpan giveUpAfter)
{
    private static readonly HashSet<StatusCode> Retryable =
    [
        StatusCode.Unavailable, StatusCode.DeadlineExceeded, StatusCode.Internal, StatusCode.Unknown, StatusCode.Aborted,
        StatusCode.ResourceExhausted, StatusCode.Cancelled,
    ];

    /// <summary>(operation, status) → count of attempts that ended with that retryable status.</summary>
    public ConcurrentDictionary<(string Operation, StatusCode Status), int> RetriedStatuses { get; } = new();

    /// <summary>Requests that got no answer before the give-up time (a finding: the system never recovered for them).</summary>
    public ConcurrentBag<string> Unanswered { get; } = [];

    public async Task<Answer<T>> CallAsync<T>(string operation, string requestId, Func<DateTime, Task<T>> call, CancellationToken ct) where T : class
    {
        var giveUp = DateTime.UtcNow + giveUpAfter;
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new Answer<T>(await call(DateTime.UtcNow.AddSeconds(10)), null, attempt);
            }
            catch (RpcException ex) when (Retryable.Contains(ex.StatusCode))
            {
                RetriedStatuses.AddOrUpdate((operation, ex.StatusCode), 1, (_, n) => n + 1);
            }
            catch (RpcException ex)
            {
                return new Answer<T>(null, ex, attempt);
            }
            if (DateTime.UtcNow > giveUp)
            {
                Unanswered.Add($"{operation} {requestId}");
                return new Answer<T>(null, null, attempt);
            }
            await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 100)), ct);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }
}
