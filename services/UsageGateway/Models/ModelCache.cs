using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Perspective.Contracts.Events.Registry.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.ServiceDefaults.Errors;
using Perspective.UsageGateway.Domain;
using ModelStatus = Perspective.Contracts.Events.Registry.V1.ModelStatus;

namespace Perspective.UsageGateway.Models;

/// <summary>
/// Model status, provider and price, read from the registry over gRPC on first use and kept fresh by the registry's
/// events (<see cref="ModelEventSubscription"/>). An entry is trusted for <see cref="GatewayOptions.ModelCacheTtlMs"/>,
/// the safety net if an event is lost. Each event bumps the model's generation, and a registry answer is stored only
/// if no event came in while it was being fetched, so a slow read from before a delisting never overwrites it.
/// </summary>
public sealed class ModelCache(ModelRegistryService.ModelRegistryServiceClient registry, TimeProvider time, IOptions<GatewayOptions> options)
{
    private sealed record Entry(ModelInfo Model, long Generation);

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> generations = new(StringComparer.Ordinal);
    // Storing a registry answer and applying an event must not interleave (check generation, then store).
    private readonly Lock gate = new();

    public async Task<ModelInfo> GetAsync(string modelId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var generation = generations.GetValueOrDefault(modelId);
        if (entries.TryGetValue(modelId, out var cached) && cached.Generation == generation
            && now - cached.Model.AsOf < TimeSpan.FromMilliseconds(options.Value.ModelCacheTtlMs))
        {
            return cached.Model;
        }
        var model = await FetchAsync(modelId, now, cancellationToken);
        lock (gate)
        {
            if (entries.Count >= options.Value.ModelCacheMax)
            {
                entries.Clear();
            }
            if (generations.GetValueOrDefault(modelId) == generation)
            {
                entries[modelId] = new Entry(model, generation);
            }
            else if (entries.TryGetValue(modelId, out var newer))
            {
                // An event arrived during the read: what it says is newer than the registry's answer.
                return newer.Model;
            }
        }
        return model;
    }

    /// <summary>Applies a status change now (no round trip), and makes every read in flight stale.</summary>
    public void OnStatusChanged(ModelStatusChanged change) =>
        Apply(change.ModelId, model => model with { Status = change.NewStatus });

    /// <summary>Applies a price change now: charges after the event pay the new price.</summary>
    public void OnPricingChanged(ModelPricingChanged change) =>
        Apply(change.ModelId, model => model with { AmountPerUnit = change.NewPricePerUnitBaseUnits, Unit = change.PriceUnit });

    /// <summary>
    /// Applies a new provider account. Unlike status and price, the event carries the model's version: events may
    /// arrive out of order, so an older change never overwrites a newer one.
    /// </summary>
    public void OnProviderChanged(ModelProviderChanged change) =>
        Apply(change.ModelId, model => model.Version < change.ModelVersion
            ? model with { ProviderAccount = change.NewProviderAccount, Version = change.ModelVersion }
            : model);

    private void Apply(string modelId, Func<ModelInfo, ModelInfo> change)
    {
        lock (gate)
        {
            var generation = generations.AddOrUpdate(modelId, 1, (_, g) => g + 1);
            // The event carries the new value itself: apply it to what we hold. A model not held is read on first use.
            if (entries.TryGetValue(modelId, out var cached))
            {
                entries[modelId] = new Entry(change(cached.Model), generation);
            }
        }
    }

    private async Task<ModelInfo> FetchAsync(string modelId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Model model;
        try
        {
            model = (await registry.GetModelAsync(new GetModelRequest { ModelId = modelId }, cancellationToken: cancellationToken)).Model;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            throw DomainException.NotFound($"model {modelId} not found");
        }
        return new ModelInfo(model.ModelId, (ModelStatus)model.Status, model.ProviderAccount, model.Price?.AmountPerUnit ?? 0,
            (PriceUnit)(model.Price?.Unit ?? UsageUnit.Unspecified), model.Version, now);
    }

    /// <summary>When this model was last read from the registry, for GetModelQuote's as_of.</summary>
    public static Timestamp AsOf(ModelInfo model) => Timestamp.FromDateTimeOffset(model.AsOf);
}
