using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.Platform.V1;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.PlatformGovernance.Api;

/// <summary>
/// gRPC endpoints of <c>perspective.platform.v1.PlatformGovernanceService</c>: map proto to domain and back, nothing else.
/// RPCs not overridden here answer UNIMPLEMENTED until their issue lands.
/// </summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class PlatformGovernanceApi : PlatformGovernanceService.PlatformGovernanceServiceBase
{
}
