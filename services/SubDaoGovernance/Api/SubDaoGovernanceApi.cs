using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.SubDao.V1;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.SubDaoGovernance.Api;

/// <summary>
/// gRPC endpoints of <c>perspective.subdao.v1.SubDaoGovernanceService</c>: map proto to domain and back, nothing else.
/// RPCs not overridden here answer UNIMPLEMENTED until their issue lands.
/// </summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class SubDaoGovernanceApi : SubDaoGovernanceService.SubDaoGovernanceServiceBase
{
}
