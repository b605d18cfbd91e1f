using Dapper;
using Npgsql;

namespace Perspective.ModelRegistry.Data;

/// <summary>SQL of governance bookkeeping: actions already answered and the platform parameters the registry obeys.</summary>
public sealed class GovernanceStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Claims one action of one proposal; false when it was answered before (the same decision delivered again, even
    /// under a new message id). The claim commits with the action's effect and answer.
    /// </summary>
    public async Task<bool> TryClaimActionAsync(NpgsqlTransaction tx, string daoId, string proposalId, int actionIndex, DateTimeOffset now,
        CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into governance_actions (dao_id, proposal_id, action_index, succeeded, detail, handled_at)
            values (@daoId, @proposalId, @actionIndex, false, '', @now)
            on conflict do nothing
            """, new { daoId, proposalId, actionIndex, now }, tx, cancellationToken: ct)) == 1;

    public Task RecordOutcomeAsync(NpgsqlTransaction tx, string daoId, string proposalId, int actionIndex, bool succeeded, string detail,
        CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update governance_actions set succeeded = @succeeded, detail = @detail
            where dao_id = @daoId and proposal_id = @proposalId and action_index = @actionIndex
            """, new { daoId, proposalId, actionIndex, succeeded, detail }, tx, cancellationToken: ct));

    public async Task<string?> ParameterAsync(string key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "select value from platform_parameters where key = @key", new { key }, cancellationToken: ct));
    }

    /// <summary>Stores a parameter unless a later change is already stored (events may arrive out of order).</summary>
    public Task SetParameterAsync(NpgsqlTransaction tx, string key, string value, string proposalId, DateTimeOffset changedAt, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into platform_parameters (key, value, proposal_id, changed_at) values (@key, @value, @proposalId, @changedAt)
            on conflict (key) do update set value = excluded.value, proposal_id = excluded.proposal_id, changed_at = excluded.changed_at
            where platform_parameters.changed_at < excluded.changed_at
            """, new { key, value, proposalId, changedAt }, tx, cancellationToken: ct));
}
