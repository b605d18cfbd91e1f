using Npgsql;

namespace Perspective.ServiceDefaults.Data;

/// <summary>Tells a database that did not answer from a statement that failed.</summary>
public static class DatabaseFailures
{
    /// <summary>
    /// A failure of the connection rather than of the statement: the server unreachable, restarting or shutting down
    /// (SQLSTATE classes 08 and 57P), a broken stream, or what Npgsql itself calls transient (serialization failures,
    /// deadlocks, resource limits: the transaction was rolled back). The same work may simply be done again later.
    /// </summary>
    public static bool IsUnavailable(NpgsqlException ex) =>
        ex.IsTransient || ex.SqlState is { } state && (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal));
}
