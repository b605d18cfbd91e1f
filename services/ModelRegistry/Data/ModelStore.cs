using System.Text.Json;
using Dapper;
using Npgsql;
using Perspective.Contracts.Events.Registry.V1;
using Perspective.ModelRegistry.Domain;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.ModelRegistry.Data;

/// <summary>A model as stored; <see cref="Registration"/> is pending, complete or rejected (only complete rows are shown).</summary>
public sealed record ModelRow(
    long Position,
    Guid ModelId,
    Guid RequestId,
    string RequestHash,
    string Registration,
    string Name,
    string Description,
    string CreatorAccount,
    string ProviderAccount,
    string TokenSymbol,
    string TokenName,
    int TokenDecimals,
    long TokenTotalSupply,
    long PricePerUnit,
    short PriceUnit,
    short Status,
    long? LedgerSequence,
    long Version,
    DateTime CreatedAt,
    DateTime UpdatedAt)
{
    public const string Pending = "pending";
    public const string Complete = "complete";
    public const string Rejected = "rejected";

    public ModelStatus ModelStatus => (ModelStatus)Status;

    public PriceUnit Unit => (PriceUnit)PriceUnit;
}

/// <summary>One history entry as stored.</summary>
public sealed record HistoryRow(
    long Version,
    short Kind,
    short Source,
    string ProposalId,
    string ActorAccount,
    short OldStatus,
    short NewStatus,
    long? OldPrice,
    short? OldPriceUnit,
    long NewPrice,
    short NewPriceUnit,
    string Reason,
    DateTime ChangedAt);

/// <summary>SQL of the models, their history and the idempotency log of creator requests.</summary>
public sealed class ModelStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "position as Position, model_id as ModelId, request_id as RequestId, request_hash as RequestHash, registration as Registration, " +
        "name as Name, description as Description, creator_account as CreatorAccount, provider_account as ProviderAccount, " +
        "token_symbol as TokenSymbol, token_name as TokenName, token_decimals as TokenDecimals, token_total_supply as TokenTotalSupply, " +
        "price_per_unit as PricePerUnit, price_unit as PriceUnit, status as Status, ledger_sequence as LedgerSequence, version as Version, " +
        "created_at as CreatedAt, updated_at as UpdatedAt";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<ModelRow?> ByRequestAsync(Guid requestId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ModelRow>(new CommandDefinition(
            $"select {Columns} from models where request_id = @requestId", new { requestId }, cancellationToken: ct));
    }

    /// <summary>
    /// Inserts the registration as pending and returns it, or returns the row an earlier attempt of the same request
    /// inserted. A name or symbol another registration holds is ALREADY_EXISTS naming the field.
    /// </summary>
    public async Task<ModelRow> InsertPendingAsync(NewModel model, Guid modelId, ModelStatus status, string requestHash, DateTimeOffset now,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into models (model_id, request_id, request_hash, registration, name, description, creator_account, provider_account,
                                    token_symbol, token_name, token_decimals, token_total_supply, price_per_unit, price_unit, status,
                                    version, created_at, updated_at)
                values (@ModelId, @RequestId, @RequestHash, 'pending', @Name, @Description, @CreatorAccount, @ProviderAccount,
                        @Symbol, @TokenName, @TokenDecimals, @TokenTotalSupply, @PricePerUnit, @PriceUnit, @Status,
                        0, @Now, @Now)
                on conflict (request_id) do nothing
                """,
                new
                {
                    ModelId = modelId,
                    model.RequestId,
                    RequestHash = requestHash,
                    model.Name,
                    model.Description,
                    model.CreatorAccount,
                    model.ProviderAccount,
                    model.Symbol,
                    model.TokenName,
                    model.TokenDecimals,
                    model.TokenTotalSupply,
                    model.PricePerUnit,
                    PriceUnit = (short)model.PriceUnit,
                    Status = (short)status,
                    Now = now,
                }, cancellationToken: ct));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // A concurrent copy of this same request may have won the race on the name index before the request-id
            // check saw it: that is a resume, not a clash.
            if (await ByRequestAsync(model.RequestId, ct) is { } same)
            {
                return same;
            }
            if (ex.ConstraintName == "models_name")
            {
                throw DomainException.AlreadyExists($"name: a model named {model.Name} already exists");
            }
            if (ex.ConstraintName == "models_symbol")
            {
                throw DomainException.AlreadyExists($"token.symbol: {model.Symbol} is already taken (symbols are case-insensitive)");
            }
            throw;
        }
        return await ByRequestAsync(model.RequestId, ct) ?? throw new InvalidOperationException("the registration row vanished after insert");
    }

    /// <summary>Marks a pending registration complete; false when another attempt of the same request already did.</summary>
    public async Task<bool> CompleteAsync(NpgsqlTransaction tx, Guid modelId, long ledgerSequence, DateTimeOffset now, CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update models set registration = 'complete', ledger_sequence = @ledgerSequence, version = 1, updated_at = @now
            where model_id = @modelId and registration = 'pending'
            """, new { modelId, ledgerSequence, now }, tx, cancellationToken: ct)) == 1;

    public async Task RejectAsync(Guid modelId, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update models set registration = 'rejected', updated_at = @now where model_id = @modelId and registration = 'pending'",
            new { modelId, now }, cancellationToken: ct));
    }

    /// <summary>A registered model (pending and rejected registrations do not exist for readers).</summary>
    public async Task<ModelRow?> GetAsync(Guid modelId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ModelRow>(new CommandDefinition(
            $"select {Columns} from models where model_id = @modelId and registration = 'complete'", new { modelId }, cancellationToken: ct));
    }

    /// <summary>A registered model, locked until <paramref name="tx"/> ends, so changes to one model take turns.</summary>
    public Task<ModelRow?> LockAsync(NpgsqlTransaction tx, Guid modelId, CancellationToken ct) =>
        tx.Connection!.QuerySingleOrDefaultAsync<ModelRow>(new CommandDefinition(
            $"select {Columns} from models where model_id = @modelId and registration = 'complete' for update",
            new { modelId }, tx, cancellationToken: ct));

    public Task<ModelRow> ReadAsync(NpgsqlTransaction tx, Guid modelId, CancellationToken ct) =>
        tx.Connection!.QuerySingleAsync<ModelRow>(new CommandDefinition(
            $"select {Columns} from models where model_id = @modelId", new { modelId }, tx, cancellationToken: ct));

    public async Task<IReadOnlyList<ModelRow>> ListAsync(ModelStatus? status, string? creator, string? provider, long? afterPosition, int limit,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ModelRow>(new CommandDefinition(
            $"""
            select {Columns} from models
            where registration = 'complete'
              and (@status::smallint is null or status = @status)
              and (@creator::text is null or creator_account = @creator)
              and (@provider::text is null or provider_account = @provider)
              and (@afterPosition::bigint is null or position > @afterPosition)
            order by position
            limit @limit
            """, new { status = (short?)status, creator, provider, afterPosition, limit }, cancellationToken: ct))).ToList();
    }

    /// <summary>Sets the model's fields to <paramref name="model"/>'s and bumps its version; returns the new version.</summary>
    public Task<long> UpdateAsync(NpgsqlTransaction tx, ModelRow model, DateTimeOffset now, CancellationToken ct) =>
        tx.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            update models set description = @Description, provider_account = @ProviderAccount, status = @Status,
                              price_per_unit = @PricePerUnit, version = version + 1, updated_at = @now
            where model_id = @ModelId and registration = 'complete'
            returning version
            """, new { model.Description, model.ProviderAccount, model.Status, model.PricePerUnit, model.ModelId, now }, tx, cancellationToken: ct));

    public Task AppendHistoryAsync(NpgsqlTransaction tx, Guid modelId, long version, Change change, DateTimeOffset at, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into model_history (model_id, version, kind, source, proposal_id, actor_account, old_status, new_status,
                                       old_price, old_price_unit, new_price, new_price_unit, reason, changed_at)
            values (@modelId, @version, @Kind, @Source, @ProposalId, @ActorAccount, @OldStatus, @NewStatus,
                    @OldPrice, @OldPriceUnit, @NewPrice, @NewPriceUnit, @Reason, @at)
            """,
            new
            {
                modelId,
                version,
                Kind = (short)change.Kind,
                Source = (short)change.Source,
                change.ProposalId,
                change.ActorAccount,
                OldStatus = (short)(change.OldStatus ?? 0),
                NewStatus = (short)change.NewStatus,
                change.OldPrice,
                OldPriceUnit = (short?)change.OldPriceUnit,
                change.NewPrice,
                NewPriceUnit = (short)change.NewPriceUnit,
                change.Reason,
                at,
            }, tx, cancellationToken: ct));

    public async Task<IReadOnlyList<HistoryRow>> HistoryAsync(Guid modelId, long? afterVersion, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<HistoryRow>(new CommandDefinition(
            """
            select version as Version, kind as Kind, source as Source, proposal_id as ProposalId, actor_account as ActorAccount,
                   old_status as OldStatus, new_status as NewStatus, old_price as OldPrice, old_price_unit as OldPriceUnit,
                   new_price as NewPrice, new_price_unit as NewPriceUnit, reason as Reason, changed_at as ChangedAt
            from model_history
            where model_id = @modelId and (@afterVersion::bigint is null or version > @afterVersion)
            order by version
            limit @limit
            """, new { modelId, afterVersion, limit }, cancellationToken: ct))).ToList();
    }

    /// <summary>
    /// Claims <paramref name="requestId"/> for this request inside <paramref name="tx"/>. False when it is taken: a
    /// concurrent copy waits here until the first commits, then sees its row.
    /// </summary>
    public async Task<bool> TryBeginRequestAsync(NpgsqlTransaction tx, Guid requestId, string rpc, string requestHash, DateTimeOffset now,
        CancellationToken ct) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into model_requests (request_id, rpc, request_hash, created_at) values (@requestId, @rpc, @requestHash, @now)
            on conflict do nothing
            """, new { requestId, rpc, requestHash, now }, tx, cancellationToken: ct)) == 1;

    public Task FinishRequestAsync(NpgsqlTransaction tx, Guid requestId, ModelRow result, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            "update model_requests set response = @response::jsonb where request_id = @requestId",
            new { requestId, response = JsonSerializer.Serialize(result, Json) }, tx, cancellationToken: ct));

    /// <summary>The earlier request with this id: which RPC, its content hash and the model it returned.</summary>
    public async Task<(string Rpc, string RequestHash, ModelRow Response)?> RequestAsync(Guid requestId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Rpc, string RequestHash, string Response)>(new CommandDefinition(
            "select rpc, request_hash, response::text from model_requests where request_id = @requestId and response is not null",
            new { requestId }, cancellationToken: ct));
        return row.Rpc is null
            ? null
            : (row.Rpc, row.RequestHash, JsonSerializer.Deserialize<ModelRow>(row.Response, Json) ?? throw new InvalidOperationException("empty stored response"));
    }
}
