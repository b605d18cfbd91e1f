using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Perspective.Contracts.Events.Registry.V1;

namespace Perspective.ModelRegistry.Domain;

/// <summary>A registration as asked for; <see cref="TokenSymbol"/> as typed (it is stored upper-case).</summary>
public sealed record NewModel(
    Guid RequestId,
    string CreatorAccount,
    string Name,
    string Description,
    string ProviderAccount,
    string TokenSymbol,
    string TokenName,
    int TokenDecimals,
    long TokenTotalSupply,
    long PricePerUnit,
    int PriceUnit)
{
    public string Symbol => TokenSymbol.ToUpperInvariant();

    /// <summary>
    /// The request's content, caller included: the same request id with another hash is a different request.
    /// Lengths prefix every field so no two contents encode alike.
    /// </summary>
    public string ContentHash() => Hash(CreatorAccount, Name, Description, ProviderAccount, TokenSymbol, TokenName,
        TokenDecimals.ToString(CultureInfo.InvariantCulture), TokenTotalSupply.ToString(CultureInfo.InvariantCulture),
        PricePerUnit.ToString(CultureInfo.InvariantCulture), PriceUnit.ToString(CultureInfo.InvariantCulture));

    public static string Hash(params string?[] fields)
    {
        var text = new StringBuilder();
        foreach (var field in fields)
        {
            var value = field ?? "\u0000null";
            text.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append(';');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}

/// <summary>What a history entry records (the proto's ModelChangeKind values).</summary>
public enum ChangeKind : short
{
    Registered = 1,
    StatusChanged = 2,
    PriceChanged = 3,
    MetadataUpdated = 4,
}

/// <summary>Who made a change (the proto's ModelChangeSource values).</summary>
public enum ChangeSource : short
{
    Creator = 1,
    PlatformDao = 2,
    SubDao = 3,
}

/// <summary>One recorded change: who decided (proposal or creator), old → new.</summary>
public sealed record Change(
    ChangeKind Kind,
    ChangeSource Source,
    string ProposalId,
    string ActorAccount,
    ModelStatus? OldStatus,
    ModelStatus NewStatus,
    long? OldPrice,
    PriceUnit? OldPriceUnit,
    long NewPrice,
    PriceUnit NewPriceUnit,
    string Reason);
