using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.Treasury.V1;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.Treasury.Api;

/// <summary>
/// gRPC endpoints of <c>perspective.treasury.v1.TreasuryService</c>: map proto to domain and back, nothing else.
/// RPCs not overridden here answer UNIMPLEMENTED until their issue lands.
/// </summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class TreasuryApi : TreasuryService.TreasuryServiceBase
{
}
