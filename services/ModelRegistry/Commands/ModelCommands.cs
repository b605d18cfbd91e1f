using Grpc.Core;
using Npgsql;
using Perspective.Contracts.Events.Registry.V1;
using Perspective.ModelRegistry.Data;
using Perspective.ModelRegistry.Domain;
using Perspective.ServiceDefaults.Errors;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.ModelRegistry.Commands;

/// <summary>What a model's creator can do: register it, change its metadata, retire it.</summary>
public sealed class ModelCommands(
    NpgsqlDataSource dataSource,
    ModelStore store,
    LedgerAssets ledger,
    ListingPolicy listing,
    IOutbox outbox,
    TimeProvider time)
{
    /// <summary>
    /// Three steps, each safe to repeat: (1) the pending row, keyed by request id; (2) the asset on the Ledger, with a
    /// request id derived from the model id; (3) complete + history + ModelRegistered in one transaction. A retry
    /// (or a concurrent copy) of the same request resumes at whatever step is missing, so it ends in one model and
    /// one asset; until step 3 commits the model is invisible.
    /// </summary>
    public async Task<ModelRow> RegisterAsync(NewModel model, CancellationToken ct)
    {
        ModelRules.Registration(model);
        var requestHash = model.ContentHash();
        var row = await store.ByRequestAsync(model.RequestId, ct)
                  ?? await store.InsertPendingAsync(model, Guid.CreateVersion7(time.GetUtcNow()), await listing.InitialStatusAsync(ct),
                      requestHash, time.GetUtcNow(), ct);
        if (row.RequestHash != requestHash)
        {
            throw DomainException.AlreadyExists("request_id: already used for a registration with other content");
        }
        switch (row.Registration)
        {
            case ModelRow.Complete:
                return row;
            case ModelRow.Rejected:
                throw SymbolTakenOnLedger(row);
        }

        long ledgerSequence;
        try
        {
            ledgerSequence = await ledger.CreateAsync(row, DerivedIds.LedgerAssetRequest(row.ModelId), ct);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
        {
            // Our request id is derived from this model and its content never changes, so the Ledger refusing it means
            // the code belongs to an asset someone else created there. Free the name and symbol; retries get this answer.
            await store.RejectAsync(row.ModelId, time.GetUtcNow(), ct);
            throw SymbolTakenOnLedger(row);
        }
        return await CompleteAsync(row, ledgerSequence, ct);
    }

    private async Task<ModelRow> CompleteAsync(ModelRow row, long ledgerSequence, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Only the first attempt to get here writes the history and the event; copies find the row complete.
        if (await store.CompleteAsync(tx, row.ModelId, ledgerSequence, now, ct))
        {
            await store.AppendHistoryAsync(tx, row.ModelId, 1, new Change(ChangeKind.Registered, ChangeSource.Creator, "", row.CreatorAccount,
                null, row.ModelStatus, null, null, row.PricePerUnit, row.Unit, ""), now, ct);
            await outbox.EnqueueAsync(tx, new ModelRegistered(row.ModelId.ToString("D"), row.Name, row.CreatorAccount, row.ProviderAccount,
                row.TokenSymbol, row.TokenDecimals, row.TokenTotalSupply, row.PricePerUnit, row.Unit, row.ModelStatus, now), ct);
        }
        var completed = await store.ReadAsync(tx, row.ModelId, ct);
        await tx.CommitAsync(ct);
        return completed;
    }

    private static DomainException SymbolTakenOnLedger(ModelRow row) =>
        DomainException.AlreadyExists($"token.symbol: {row.TokenSymbol} already exists as an asset on the Ledger");

    /// <summary>The creator changes the description and/or the provider account.</summary>
    public Task<ModelRow> UpdateMetadataAsync(string caller, Guid requestId, Guid modelId, string? description, string? providerAccount,
        CancellationToken ct)
    {
        if (description is null && providerAccount is null)
        {
            throw DomainException.InvalidArgument("description", "nothing to update: set description and/or provider_account");
        }
        if (description is not null)
        {
            ModelRules.Description("description", description);
        }
        if (providerAccount is not null)
        {
            ModelRules.Account("provider_account", providerAccount);
        }
        var hash = NewModel.Hash("UpdateModelMetadata", caller, modelId.ToString("D"), description, providerAccount);
        return IdempotentAsync("UpdateModelMetadata", requestId, hash, caller, modelId, async (tx, model, now) =>
        {
            if (model.ModelStatus == ModelStatus.Banned)
            {
                throw DomainException.FailedPrecondition("model is banned; its metadata no longer changes");
            }
            var updated = model with
            {
                Description = description ?? model.Description,
                ProviderAccount = providerAccount ?? model.ProviderAccount,
            };
            var changes = new List<string>();
            if (updated.Description != model.Description)
            {
                changes.Add("description");
            }
            if (updated.ProviderAccount != model.ProviderAccount)
            {
                changes.Add($"provider_account {model.ProviderAccount} → {updated.ProviderAccount}");
            }
            if (changes.Count == 0)
            {
                throw DomainException.FailedPrecondition("nothing changes: the model already has this metadata");
            }
            var version = await store.UpdateAsync(tx, updated, now, ct);
            await store.AppendHistoryAsync(tx, model.ModelId, version, new Change(ChangeKind.MetadataUpdated, ChangeSource.Creator, "", caller,
                model.ModelStatus, model.ModelStatus, model.PricePerUnit, model.Unit, model.PricePerUnit, model.Unit, string.Join("; ", changes)), now, ct);
            if (updated.ProviderAccount != model.ProviderAccount)
            {
                await outbox.EnqueueAsync(tx, new ModelProviderChanged(model.ModelId.ToString("D"), model.ProviderAccount, updated.ProviderAccount,
                    version, now), ct);
            }
        }, ct);
    }

    /// <summary>The creator withdraws the model: Delisted, and only platform governance can list it again.</summary>
    public Task<ModelRow> RetireAsync(string caller, Guid requestId, Guid modelId, string reason, CancellationToken ct)
    {
        ModelRules.Reason("reason", reason);
        var hash = NewModel.Hash("RetireModel", caller, modelId.ToString("D"), reason);
        return IdempotentAsync("RetireModel", requestId, hash, caller, modelId, async (tx, model, now) =>
        {
            var next = ModelTransitions.Next(model.ModelStatus, StatusAction.Retire);
            var version = await store.UpdateAsync(tx, model with { Status = (short)next }, now, ct);
            await store.AppendHistoryAsync(tx, model.ModelId, version, new Change(ChangeKind.StatusChanged, ChangeSource.Creator, "", caller,
                model.ModelStatus, next, model.PricePerUnit, model.Unit, model.PricePerUnit, model.Unit, reason), now, ct);
            await outbox.EnqueueAsync(tx, new ModelStatusChanged(model.ModelId.ToString("D"), model.ModelStatus, next, null, reason, now), ct);
        }, ct);
    }

    /// <summary>
    /// A creator request under its request id: the first one locks the model, checks the caller is the creator, applies
    /// <paramref name="apply"/> and stores the result in the same transaction; a repeat returns that result, and the
    /// same id with other content is ALREADY_EXISTS.
    /// </summary>
    private async Task<ModelRow> IdempotentAsync(string rpc, Guid requestId, string hash, string caller, Guid modelId,
        Func<NpgsqlTransaction, ModelRow, DateTimeOffset, Task> apply, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await store.TryBeginRequestAsync(tx, requestId, rpc, hash, now, ct))
        {
            await tx.RollbackAsync(ct);
            var earlier = await store.RequestAsync(requestId, ct)
                          ?? throw new InvalidOperationException($"request {requestId} is claimed but has no stored answer");
            if (earlier.Rpc != rpc || earlier.RequestHash != hash)
            {
                throw DomainException.AlreadyExists("request_id: already used for a request with other content");
            }
            return earlier.Response;
        }
        var model = await store.LockAsync(tx, modelId, ct) ?? throw DomainException.NotFound($"model {modelId} not found");
        if (model.CreatorAccount != caller)
        {
            throw DomainException.PermissionDenied($"only the model's creator may change it; caller {caller} is not");
        }
        await apply(tx, model, now);
        var result = await store.ReadAsync(tx, modelId, ct);
        await store.FinishRequestAsync(tx, requestId, result, ct);
        await tx.CommitAsync(ct);
        return result;
    }
}
