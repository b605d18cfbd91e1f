using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.Registry.V1;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.ModelRegistry.Api;

/// <summary>
/// gRPC endpoints of <c>perspective.registry.v1.ModelRegistryService</c>: map proto to domain and back, nothing else.
/// RPCs not overridden here answer UNIMPLEMENTED until their issue lands.
/// </summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class ModelRegistryApi : ModelRegistryService.ModelRegistryServiceBase
{
}
