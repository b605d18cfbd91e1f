using Perspective.Contracts.Ledger.V1;

namespace Perspective.ModelRegistry.Data;

/// <summary>The registry's one call to the Ledger: create a model's AI token with the whole supply to its creator.</summary>
public sealed class LedgerAssets(IServiceProvider services)
{
    /// <summary>
    /// Creates the asset with the request id derived from the model, so a retry replays the creation. Returns the
    /// journal sequence of the mint. Throws the Ledger's RpcException (UNAVAILABLE when it did not answer).
    /// </summary>
    public async Task<long> CreateAsync(ModelRow model, Guid ledgerRequestId, CancellationToken ct)
    {
        // Resolved per call, not injected: a registry without Services:Ledger still serves every read.
        var client = services.GetRequiredService<LedgerService.LedgerServiceClient>();
        var response = await client.CreateAssetAsync(new CreateAssetRequest
        {
            RequestId = ledgerRequestId.ToString("D"),
            Code = model.TokenSymbol,
            Name = model.TokenName,
            Decimals = model.TokenDecimals,
            TotalSupply = model.TokenTotalSupply,
            InitialHolderAccount = model.CreatorAccount,
        }, cancellationToken: ct);
        var asset = response.Asset;
        // The other side of the boundary: what the Ledger says it created must be what we asked for.
        if (asset.Code != model.TokenSymbol || asset.TotalSupply != model.TokenTotalSupply || asset.InitialHolderAccount != model.CreatorAccount
            || asset.Decimals != model.TokenDecimals || response.Receipt.Sequence <= 0)
        {
            throw new InvalidOperationException($"the Ledger answered CreateAsset for model {model.ModelId} with asset {asset.Code} that differs from the request");
        }
        return response.Receipt.Sequence;
    }
}
