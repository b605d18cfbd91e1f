using Perspective.Contracts.Ledger.V1;

namespace Perspective.Cli.Infrastructure;

/// <summary>
/// Amounts shown to people in whole units of their asset (<c>0.0015 POV</c> for 1,500 base units of a 6-decimal POV),
/// from the decimals of the assets loaded for one command run (<see cref="Clients.MoneyAsync"/>).
/// </summary>
public sealed class Money(IReadOnlyDictionary<string, int> decimals)
{
    /// <summary>The platform currency: prices, payments and treasuries are in POV.</summary>
    public const string Pov = "POV";

    /// <summary>The amount with the asset's code: <c>0.0015 POV</c>.</summary>
    public string Of(long amount, string asset) => $"{Bare(amount, asset)} {asset}";

    /// <summary>The amount without the code, for a table column next to an asset column.</summary>
    public string Bare(long amount, string asset) => Show.Units(amount, Decimals(asset));

    public int Decimals(string asset) =>
        decimals.TryGetValue(asset, out var d) ? d : throw new InvalidOperationException($"decimals of {asset} were not loaded");
}

/// <summary>The decimals of each asset, asked of the Ledger once per asset per command run.</summary>
public sealed class AssetDecimals(Clients clients)
{
    private readonly Dictionary<string, int> known = new(StringComparer.Ordinal);

    public async Task<Money> LoadAsync(IEnumerable<string> assets, CancellationToken ct)
    {
        foreach (var asset in assets.Where(a => a.Length > 0).Distinct(StringComparer.Ordinal))
        {
            if (!known.ContainsKey(asset))
            {
                known[asset] = (await clients.Ledger.GetAssetAsync(new GetAssetRequest { Code = asset }, clients.Call(ct))).Asset.Decimals;
            }
        }
        return new Money(known);
    }
}
