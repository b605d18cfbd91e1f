using Perspective.Contracts.Ledger.V1;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Tests;

/// <summary>
/// A Ledger in front of the real one that passes every call through; the test Ledgers override only the calls they
/// interfere with (stop, lose an answer, commit late, misreport).
/// </summary>
public abstract class DelegatingLedger(ITreasuryLedger inner) : ITreasuryLedger
{
    protected ITreasuryLedger Inner => inner;

    public virtual Task<Balance> BalanceAsync(string account, string asset, CancellationToken ct) => inner.BalanceAsync(account, asset, ct);

    public virtual Task<ListHoldersResponse> HoldersAsync(string asset, long sequence, string pageToken, int pageSize, CancellationToken ct) =>
        inner.HoldersAsync(asset, sequence, pageToken, pageSize, ct);

    public virtual Task<Transfer> TransferAsync(TransferRequest request, CancellationToken ct) => inner.TransferAsync(request, ct);

    public virtual Task<Transfer?> FindTransferAsync(string transferId, CancellationToken ct) => inner.FindTransferAsync(transferId, ct);

    public virtual Task<TransferBatchResponse> TransferBatchAsync(TransferBatchRequest request, CancellationToken ct) => inner.TransferBatchAsync(request, ct);

    public virtual Task<long> HeadAsync(CancellationToken ct) => inner.HeadAsync(ct);

    public virtual Task<ListTransfersResponse> TransfersAsync(ListTransfersRequest request, CancellationToken ct) => inner.TransfersAsync(request, ct);
}
