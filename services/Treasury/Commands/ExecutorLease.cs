using Dapper;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Commands;

/// <summary>The executor no longer holds its lock: stop the pass and compete again.</summary>
public sealed class ExecutorLeaseLostException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The executor's hold on its session-level advisory lock. The lock lives on a dedicated connection outside the pool
/// (<c>Pooling=false</c>): a pooled one could be reset or handed to other code, and a broken one must end the lease, not
/// return to the pool. The same connection LISTENs for new jobs. Used by the executor loop only, never concurrently.
/// </summary>
public sealed class ExecutorLease(IConfiguration configuration) : IAsyncDisposable
{
    /// <summary>Advisory lock key of the executor ("TREASEXE"), distinct from the migrator's.</summary>
    public const long LockKey = 0x5452_4541_5345_5845;

    private NpgsqlConnection? connection;

    /// <summary>Takes the lock if no one holds it; true while this lease holds it.</summary>
    public async Task<bool> TryTakeAsync(CancellationToken ct)
    {
        await ReleaseAsync();
        var builder = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString("Database")) { Pooling = false };
        var candidate = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await candidate.OpenAsync(ct);
            if (!await candidate.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: ct)))
            {
                await candidate.DisposeAsync();
                return false;
            }
            await candidate.ExecuteAsync(new CommandDefinition($"listen {PayoutStore.JobsChannel}", cancellationToken: ct));
        }
        catch
        {
            await candidate.DisposeAsync();
            throw;
        }
        connection = candidate;
        return true;
    }

    /// <summary>
    /// Throws <see cref="ExecutorLeaseLostException"/> unless the lock connection is alive and its session still holds the
    /// lock (a bigint advisory key shows in pg_locks as classid = high 32 bits, objid = low 32 bits, objsubid = 1).
    /// </summary>
    public async Task EnsureHeldAsync(CancellationToken ct)
    {
        if (connection is null)
        {
            throw new ExecutorLeaseLostException("the treasury executor does not hold its lock");
        }
        bool held;
        try
        {
            held = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                """
                select exists(select 1 from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and granted
                              and classid = @high::bigint::oid and objid = @low::bigint::oid and objsubid = 1)
                """, new { high = LockKey >>> 32, low = LockKey & 0xFFFF_FFFF }, cancellationToken: ct));
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            throw new ExecutorLeaseLostException("the treasury executor's lock connection broke", ex);
        }
        if (!held)
        {
            throw new ExecutorLeaseLostException("the treasury executor's session no longer holds its lock");
        }
    }

    /// <summary>Waits for a NOTIFY of a new job on the lock connection, at most <paramref name="timeout"/>.</summary>
    public Task WaitForJobsAsync(TimeSpan timeout, CancellationToken ct) =>
        (connection ?? throw new ExecutorLeaseLostException("the treasury executor does not hold its lock")).WaitAsync(timeout, ct);

    /// <summary>Closes the lock connection; the lock goes with the session.</summary>
    public async Task ReleaseAsync()
    {
        if (connection is { } held)
        {
            connection = null;
            await held.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await ReleaseAsync();
}
