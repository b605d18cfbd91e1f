using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Perspective.ServiceDefaults.Data;

/// <summary>
/// Applies the versioned SQL scripts embedded as <c>migrations/*.sql</c>: first the shared ones of this library
/// (outbox, inbox), then the service's own, each once, in file-name order, each in its own transaction.
/// A session advisory lock makes replicas that start together take turns; the second finds nothing to do.
/// An applied script whose text has since changed stops the start: history is never rewritten.
/// </summary>
public sealed partial class Migrator(NpgsqlDataSource dataSource, ServiceInfo service, TimeProvider time, ILogger<Migrator> logger)
{
    /// <summary>Advisory lock key, the same in every service (each has its own database).</summary>
    public const long LockKey = 0x5045_5253_4D49_4752; // "PERSMIGR"

    public sealed record Script(string Id, string Sql, string Checksum);

    /// <summary>Applies what is missing and returns the ids of the scripts it applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                create table if not exists schema_migrations (
                    id text primary key,
                    checksum text not null,
                    applied_at timestamptz not null
                )
                """, cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<(string Id, string Checksum)>(
                    new CommandDefinition("select id, checksum from schema_migrations", cancellationToken: cancellationToken)))
                .ToDictionary(row => row.Id, row => row.Checksum, StringComparer.Ordinal);

            var newlyApplied = new List<string>();
            foreach (var script in Scripts(service))
            {
                if (applied.TryGetValue(script.Id, out var checksum))
                {
                    if (checksum != script.Checksum)
                    {
                        throw new InvalidOperationException($"Migration {script.Id} changed after it was applied; add a new migration instead.");
                    }
                    continue;
                }
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                // No command timeout: a migration takes as long as it takes; the deployment's start-up probe bounds it.
                await connection.ExecuteAsync(new CommandDefinition(script.Sql, transaction: transaction, commandTimeout: 0, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    "insert into schema_migrations (id, checksum, applied_at) values (@Id, @Checksum, @AppliedAt)",
                    new { script.Id, script.Checksum, AppliedAt = time.GetUtcNow() }, transaction, cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);
                LogApplied(logger, script.Id);
                newlyApplied.Add(script.Id);
            }
            return newlyApplied;
        }
        finally
        {
            await connection.ExecuteAsync("select pg_advisory_unlock(@LockKey)", new { LockKey });
        }
    }

    /// <summary>The scripts in the order they apply: this library's, then the service's.</summary>
    public static IReadOnlyList<Script> Scripts(ServiceInfo service) =>
        [.. ScriptsIn(typeof(Migrator).Assembly, "shared"), .. ScriptsIn(service.Assembly, service.Name)];

    private static IEnumerable<Script> ScriptsIn(Assembly assembly, string prefix)
    {
        foreach (var name in assembly.GetManifestResourceNames()
                     .Where(n => n.StartsWith("migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = reader.ReadToEnd();
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));
            yield return new Script($"{prefix}/{Path.GetFileNameWithoutExtension(name["migrations/".Length..])}", sql, checksum);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Id}")]
    private static partial void LogApplied(ILogger logger, string id);
}
