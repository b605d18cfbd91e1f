using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Perspective.Contracts.Ledger.V1;

namespace Perspective.Treasury.Data;

/// <summary>
/// The Ledger calls the treasury makes, behind one interface so tests can put a Ledger in between that stops halfway.
/// Every call carries the service's own token (AddServiceClient); changes carry ids derived from the job.
/// </summary>
public interface ITreasuryLedger
{
    Task<Balance> BalanceAsync(string account, string asset, CancellationToken ct);

    Task<ListHoldersResponse> HoldersAsync(string asset, long sequence, string pageToken, int pageSize, CancellationToken ct);

    Task<Transfer> TransferAsync(TransferRequest request, CancellationToken ct);

    /// <summary>The transfer with this id, or null if the Ledger has none.</summary>
    Task<Transfer?> FindTransferAsync(string transferId, CancellationToken ct);

    Task<TransferBatchResponse> TransferBatchAsync(TransferBatchRequest request, CancellationToken ct);

    Task<long> HeadAsync(CancellationToken ct);

    Task<ListTransfersResponse> TransfersAsync(ListTransfersRequest request, CancellationToken ct);
}

/// <summary>
/// The real Ledger, through its gRPC client, resolved per call (a typed client is transient; the factory keeps the channel)
/// so that a host without <c>Services:Ledger</c> still starts and answers what needs no Ledger.
/// </summary>
public sealed class TreasuryLedger(IServiceProvider services) : ITreasuryLedger
{
    private LedgerService.LedgerServiceClient Client => services.GetRequiredService<LedgerService.LedgerServiceClient>();

    public async Task<Balance> BalanceAsync(string account, string asset, CancellationToken ct) =>
        (await Client.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = asset }, cancellationToken: ct)).Balance;

    public async Task<ListHoldersResponse> HoldersAsync(string asset, long sequence, string pageToken, int pageSize, CancellationToken ct) =>
        await Client.ListHoldersAsync(new ListHoldersRequest { Asset = asset, Sequence = sequence, PageToken = pageToken, PageSize = pageSize },
            cancellationToken: ct);

    public async Task<Transfer> TransferAsync(TransferRequest request, CancellationToken ct) =>
        (await Client.TransferAsync(request, cancellationToken: ct)).Transfer;

    public async Task<Transfer?> FindTransferAsync(string transferId, CancellationToken ct)
    {
        try
        {
            return (await Client.GetTransferAsync(new GetTransferRequest { TransferId = transferId }, cancellationToken: ct)).Transfer;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<TransferBatchResponse> TransferBatchAsync(TransferBatchRequest request, CancellationToken ct) =>
        await Client.TransferBatchAsync(request, cancellationToken: ct);

    public async Task<long> HeadAsync(CancellationToken ct) =>
        (await Client.GetHeadAsync(new GetHeadRequest(), cancellationToken: ct)).Sequence;

    public async Task<ListTransfersResponse> TransfersAsync(ListTransfersRequest request, CancellationToken ct) =>
        await Client.ListTransfersAsync(request, cancellationToken: ct);
}
