using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Perspective.Contracts.Ledger.V1;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.Governance.Engine;

/// <summary>
/// The Ledger reads governance needs, all "as of a sequence" so they are exact: the head (the snapshot), a balance
/// at a sequence (threshold, vote weight) and the supply at a sequence (quorum).
/// </summary>
public sealed class LedgerSnapshots(IServiceProvider services)
{
    // Resolved on first use: a read-only endpoint must not fail because the Ledger's address is missing.
    private LedgerService.LedgerServiceClient Ledger => field ??= services.GetRequiredService<LedgerService.LedgerServiceClient>();

    public async Task<long> HeadAsync(CancellationToken ct) =>
        (await Call(() => Ledger.GetHeadAsync(new GetHeadRequest(), cancellationToken: ct).ResponseAsync)).Sequence;

    public async Task<long> BalanceAtAsync(string account, string asset, long sequence, CancellationToken ct) =>
        (await Call(() => Ledger.GetBalanceAtAsync(new GetBalanceAtRequest { Account = account, Asset = asset, Sequence = sequence },
            cancellationToken: ct).ResponseAsync)).Total;

    public async Task<long> SupplyAtAsync(string asset, long sequence, CancellationToken ct) =>
        (await Call(() => Ledger.GetSupplyAtAsync(new GetSupplyAtRequest { Asset = asset, Sequence = sequence }, cancellationToken: ct)
            .ResponseAsync)).Supply;

    /// <summary>A Ledger that cannot answer makes the request retryable (nothing was changed here); a refusal is a broken precondition.</summary>
    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            throw new DomainException(DomainErrorKind.Unavailable, "the ledger is unavailable; nothing was changed, retry the request");
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
        {
            throw DomainException.FailedPrecondition($"the ledger refused the snapshot read: {ex.Status.Detail}");
        }
    }
}
