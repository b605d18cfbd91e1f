using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Governance.Domain;

namespace Perspective.SubDaoGovernance.Data;

/// <summary>The platform parameters and bans this service keeps (Migrations/0002_subdao.sql).</summary>
public sealed class SubDaoStore(NpgsqlDataSource dataSource, IOptions<SubDaoOptions> options)
{
    public const string MaxUsageFeeKey = "max_usage_fee_per_unit";
    public const string DefaultPrefix = "subdao_default_";

    /// <summary>Applies a parameter unless a newer value of it is already stored; true when applied.</summary>
    public async Task<bool> SetParameterAsync(NpgsqlTransaction tx, string key, string value, string proposalId, DateTimeOffset occurredAt,
        CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into platform_parameters (key, value, proposal_id, occurred_at) values (@key, @value, @proposalId, @occurredAt)
            on conflict (key) do update set value = excluded.value, proposal_id = excluded.proposal_id, occurred_at = excluded.occurred_at
            where platform_parameters.occurred_at < excluded.occurred_at
            """, new { key, value, proposalId, occurredAt }, tx, cancellationToken: ct)) == 1;

    public async Task<IReadOnlyDictionary<string, string>> ParametersAsync(NpgsqlConnection db, NpgsqlTransaction? tx, CancellationToken ct) =>
        (await db.QueryAsync<(string Key, string Value)>(new CommandDefinition("select key, value from platform_parameters", transaction: tx,
            cancellationToken: ct))).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);

    /// <summary>The POV fee limit per unit (0 = none), as the platform DAO last set it.</summary>
    public async Task<long> MaxUsageFeeAsync(CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        var parameters = await ParametersAsync(db, null, ct);
        return parameters.TryGetValue(MaxUsageFeeKey, out var text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var max)
            ? max
            : 0;
    }

    /// <summary>
    /// The settings a new sub-DAO gets: configuration, overridden field by field by the platform's subdao_default_*
    /// parameters. A combination that breaks a rule (the platform validates it, so only by a bug) falls back to configuration.
    /// </summary>
    public async Task<Settings> DefaultSettingsAsync(NpgsqlConnection db, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var configured = options.Value.ToSettings();
        var parameters = await ParametersAsync(db, tx, ct);
        var settings = configured;
        foreach (var field in Settings.FieldNames)
        {
            if (parameters.TryGetValue(DefaultPrefix + field, out var text)
                && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                settings = settings.With(field, value);
            }
        }
        try
        {
            return settings.Validate("settings.");
        }
        catch (Perspective.ServiceDefaults.Errors.DomainException)
        {
            return configured;
        }
    }

    public Task BanAsync(NpgsqlTransaction tx, string modelId, DateTimeOffset at, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            "insert into banned_models (model_id, banned_at) values (@modelId, @at) on conflict do nothing", new { modelId, at }, tx,
            cancellationToken: ct));

    public Task<bool> IsBannedAsync(NpgsqlTransaction tx, string modelId, CancellationToken ct) =>
        tx.Connection!.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from banned_models where model_id = @modelId)", new { modelId }, tx, cancellationToken: ct));
}
