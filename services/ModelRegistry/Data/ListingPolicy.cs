using Microsoft.Extensions.Options;
using Perspective.Contracts.Events.Registry.V1;

namespace Perspective.ModelRegistry.Data;

/// <summary>Whether a new model opens Listed or waits for approval: the platform parameter if set, else configuration.</summary>
public sealed class ListingPolicy(GovernanceStore governance, IOptions<RegistryOptions> options)
{
    public const string Parameter = "listing_requires_approval";

    public async Task<ModelStatus> InitialStatusAsync(CancellationToken ct)
    {
        var stored = await governance.ParameterAsync(Parameter, ct);
        var requiresApproval = stored is not null && bool.TryParse(stored, out var value) ? value : options.Value.ListingRequiresApproval;
        return requiresApproval ? ModelStatus.PendingListing : ModelStatus.Listed;
    }
}
