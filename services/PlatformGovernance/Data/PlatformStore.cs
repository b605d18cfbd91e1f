using Dapper;
using Npgsql;

namespace Perspective.PlatformGovernance.Data;

public sealed record ParameterRow(string Key, string Value, Guid UpdatedByProposalId, DateTime UpdatedAt);

public sealed record StandardRow(long Position, Guid StandardId, string Title, string Version, string Text, string TextDigest, Guid ProposalId,
    DateTime PublishedAt);

/// <summary>Parameters and standards (Migrations/0002_platform.sql).</summary>
public sealed class PlatformStore(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyDictionary<string, ParameterRow>> ParametersAsync(NpgsqlConnection? db, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var own = db is null ? await dataSource.OpenConnectionAsync(ct) : null;
        var connection = db ?? own!;
        return (await connection.QueryAsync<ParameterRow>(new CommandDefinition(
                "select key, value, updated_by_proposal_id, updated_at from parameters", transaction: tx, cancellationToken: ct)))
            .ToDictionary(r => r.Key, StringComparer.Ordinal);
    }

    public Task SetParameterAsync(NpgsqlTransaction tx, string key, string value, Guid proposalId, DateTimeOffset now, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into parameters (key, value, updated_by_proposal_id, updated_at) values (@key, @value, @proposalId, @now)
            on conflict (key) do update set value = excluded.value, updated_by_proposal_id = excluded.updated_by_proposal_id,
                                            updated_at = excluded.updated_at
            """, new { key, value, proposalId, now }, tx, cancellationToken: ct));

    /// <summary>Inserts a standard; false when (title, version) is already published (nothing written).</summary>
    public async Task<bool> TryPublishAsync(NpgsqlTransaction tx, StandardRow s, CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into standards (standard_id, title, version, text, text_digest, proposal_id, published_at)
            values (@StandardId, @Title, @Version, @Text, @TextDigest, @ProposalId, @PublishedAt)
            on conflict (title, version) do nothing
            """, s, tx, cancellationToken: ct)) == 1;

    public async Task<StandardRow?> GetStandardAsync(Guid standardId, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return await db.QuerySingleOrDefaultAsync<StandardRow>(new CommandDefinition(
            "select position, standard_id, title, version, text, text_digest, proposal_id, published_at from standards where standard_id = @standardId",
            new { standardId }, cancellationToken: ct));
    }

    /// <summary>Newest first; the text is left out (a page stays small).</summary>
    public async Task<IReadOnlyList<StandardRow>> ListStandardsAsync(string? title, long? beforePosition, int size, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        return [.. await db.QueryAsync<StandardRow>(new CommandDefinition(
            """
            select position, standard_id, title, version, '' as text, text_digest, proposal_id, published_at from standards
            where (@title::text is null or title = @title) and (@beforePosition::bigint is null or position < @beforePosition)
            order by position desc limit @size
            """, new { title, beforePosition, size }, cancellationToken: ct))];
    }
}
