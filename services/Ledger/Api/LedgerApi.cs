using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.Ledger.V1;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.Ledger.Api;

/// <summary>
/// gRPC endpoints of <c>perspective.ledger.v1.LedgerService</c>: map proto to domain and back, nothing else.
/// RPCs not overridden here answer UNIMPLEMENTED until their issue lands.
/// </summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class LedgerApi : LedgerService.LedgerServiceBase
{
}
