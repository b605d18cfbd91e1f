using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.Gateway.V1;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.UsageGateway.Api;

/// <summary>
/// gRPC endpoints of <c>perspective.gateway.v1.UsageGatewayService</c>: map proto to domain and back, nothing else.
/// RPCs not overridden here answer UNIMPLEMENTED until their issue lands.
/// </summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class UsageGatewayApi : UsageGatewayService.UsageGatewayServiceBase
{
}
