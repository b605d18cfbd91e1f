namespace Perspective.ModelRegistry;

/// <summary>Configuration section <c>Registry</c>.</summary>
public sealed class RegistryOptions
{
    public const string Section = "Registry";

    /// <summary>
    /// Whether a new model waits for a platform ListModel decision (<c>PendingListing</c>) instead of opening
    /// <c>Listed</c>. The platform parameter <c>listing_requires_approval</c>, once a PlatformParameterChanged event has
    /// set it, overrides this value.
    /// </summary>
    public bool ListingRequiresApproval { get; set; }
}
