using Grpc.Core;
using Grpc.Net.Client;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.Treasury.V1;

namespace Perspective.Audit;

/// <summary>A read of a service failed; the check that needed it reports this message.</summary>
public sealed class AuditReadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What the treasury says about one model, read before the Ledger head (see <see cref="Auditor"/>).</summary>
internal sealed record TreasuryView(
    string ModelId,
    ModelTreasury? Treasury,
    long RevenueTotal,
    Int128 RevenueDaysSum,
    Int128 RevenueDaysCount,
    ReconcileTreasuryResponse? Reconciliation,
    IReadOnlyList<DistributionView> Distributions);

internal sealed record DistributionView(Distribution Distribution, IReadOnlyList<DistributionLine> Lines);

/// <summary>Every POV transfer touching <c>treasury:&lt;model&gt;</c> up to the head, and those the gateway made (usage credits).</summary>
internal sealed record TreasuryTransfers(string ModelId, string Account, IReadOnlyList<Transfer> All)
{
    /// <summary>
    /// The gateway's payments to this treasury, recognised as the Treasury's reconciliation does (docs/treasury.md,
    /// TreasuryRules.IsUsagePayment): a TRANSFER with memo <c>usage charge …</c> (ChargeUsage leg) or a HOLD_POST of a hold
    /// with memo <c>usage authorization …</c> (SettleUsage).
    /// </summary>
    public IReadOnlyList<Transfer> UsageCredits { get; } = [.. All.Where(t => t.ToAccount == Account && t.Asset == Ledgers.Pov && Ledgers.IsUsagePayment(t))];

    public IReadOnlyDictionary<string, Transfer> ById { get; } = All.GroupBy(t => t.TransferId, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
}

/// <summary>Account names and the gateway's memo rule (the same words as services/Treasury/Domain/TreasuryRules.cs).</summary>
internal static class Ledgers
{
    public const string Pov = "POV";
    public const string ChargeMemoPrefix = "usage charge ";
    public const string AuthorizationMemoPrefix = "usage authorization ";

    public static string TreasuryAccount(string modelId) => $"treasury:{modelId}";

    public static string IssuanceAccount(string asset) => $"issuance:{asset}";

    public static bool IsUsagePayment(Transfer transfer) => transfer.Kind == TransferKind.HoldPost
        ? transfer.Memo.StartsWith(AuthorizationMemoPrefix, StringComparison.Ordinal)
        : transfer.Kind == TransferKind.Transfer && transfer.Memo.StartsWith(ChargeMemoPrefix, StringComparison.Ordinal);
}

/// <summary>The gRPC reads of one audit run: every list read to its last page, each call with the targets' token and deadline.</summary>
internal sealed class AuditReader : IDisposable
{
    private const int PageSize = 1000;

    private readonly GrpcChannel ledgerChannel;
    private readonly GrpcChannel registryChannel;
    private readonly GrpcChannel gatewayChannel;
    private readonly GrpcChannel treasuryChannel;
    private readonly Metadata headers;
    private readonly TimeSpan timeout;
    private readonly CancellationToken ct;

    public AuditReader(AuditTargets targets, CancellationToken ct)
    {
        ledgerChannel = GrpcChannel.ForAddress(Address(targets.LedgerAddress));
        registryChannel = GrpcChannel.ForAddress(Address(targets.RegistryAddress));
        gatewayChannel = GrpcChannel.ForAddress(Address(targets.GatewayAddress));
        treasuryChannel = GrpcChannel.ForAddress(Address(targets.TreasuryAddress));
        headers = new Metadata { { "Authorization", $"Bearer {targets.BearerToken}" } };
        timeout = targets.CallTimeout;
        this.ct = ct;
        Ledger = new LedgerService.LedgerServiceClient(ledgerChannel);
        Registry = new ModelRegistryService.ModelRegistryServiceClient(registryChannel);
        Gateway = new UsageGatewayService.UsageGatewayServiceClient(gatewayChannel);
        Treasury = new TreasuryService.TreasuryServiceClient(treasuryChannel);
    }

    public LedgerService.LedgerServiceClient Ledger { get; }

    public ModelRegistryService.ModelRegistryServiceClient Registry { get; }

    public UsageGatewayService.UsageGatewayServiceClient Gateway { get; }

    public TreasuryService.TreasuryServiceClient Treasury { get; }

    // "127.0.0.1:5101" as the local endpoints are printed: plain HTTP/2.
    private static string Address(string address) => address.Contains("://", StringComparison.Ordinal) ? address : $"http://{address}";

    private CallOptions Options => new(headers, DateTime.UtcNow.Add(timeout), ct);

    /// <summary>One call; a gRPC failure becomes an <see cref="AuditReadException"/> naming the call.</summary>
    public async Task<T> CallAsync<T>(string what, Func<CallOptions, AsyncUnaryCall<T>> call)
    {
        try
        {
            return await call(Options).ResponseAsync;
        }
        catch (RpcException ex) when (!ct.IsCancellationRequested)
        {
            throw new AuditReadException($"{what}: {ex.StatusCode} {ex.Status.Detail}", ex);
        }
    }

    /// <summary>Every page of a list: <paramref name="page"/> takes the page token and returns the items and the next token.</summary>
    public async Task<List<T>> AllAsync<T>(string what, Func<string, CallOptions, Task<(IEnumerable<T> Items, string Next)>> page)
    {
        var all = new List<T>();
        var token = "";
        do
        {
            (IEnumerable<T> Items, string Next) result;
            try
            {
                result = await page(token, Options);
            }
            catch (RpcException ex) when (!ct.IsCancellationRequested)
            {
                throw new AuditReadException($"{what}: {ex.StatusCode} {ex.Status.Detail}", ex);
            }
            all.AddRange(result.Items);
            token = result.Next;
        }
        while (token.Length > 0);
        return all;
    }

    public Task<List<Model>> ModelsAsync() => AllAsync<Model>("registry ListModels", async (token, o) =>
    {
        var r = await Registry.ListModelsAsync(new ListModelsRequest { PageSize = PageSize, PageToken = token }, o);
        return (r.Models, r.NextPageToken);
    });

    public async Task<long> HeadAsync() => (await CallAsync("ledger GetHead", o => Ledger.GetHeadAsync(new GetHeadRequest(), o))).Sequence;

    /// <summary>The treasury's records of a model; no treasury (NOT_FOUND) is a view without one.</summary>
    public async Task<TreasuryView> TreasuryAsync(string modelId)
    {
        ModelTreasury treasury;
        try
        {
            treasury = (await Treasury.GetTreasuryAsync(new GetTreasuryRequest { ModelId = modelId }, Options)).Treasury;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return new TreasuryView(modelId, null, 0, 0, 0, null, []);
        }
        catch (RpcException ex) when (!ct.IsCancellationRequested)
        {
            throw new AuditReadException($"treasury GetTreasury {modelId}: {ex.StatusCode} {ex.Status.Detail}", ex);
        }

        long total = 0;
        Int128 daysSum = 0;
        Int128 daysCount = 0;
        await AllAsync<RevenueDay>($"treasury ListRevenue {modelId}", async (token, o) =>
        {
            var r = await Treasury.ListRevenueAsync(new ListRevenueRequest { ModelId = modelId, PageSize = PageSize, PageToken = token }, o);
            total = r.TotalAmount;
            foreach (var day in r.Days)
            {
                daysSum += day.Amount;
                daysCount += day.PaymentCount;
            }
            return ([], r.NextPageToken);
        });

        var reconciliation = await CallAsync($"treasury ReconcileTreasury {modelId}",
            o => Treasury.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = modelId }, o));

        var distributions = await AllAsync<Distribution>($"treasury ListDistributions {modelId}", async (token, o) =>
        {
            var r = await Treasury.ListDistributionsAsync(new ListDistributionsRequest { ModelId = modelId, PageSize = PageSize, PageToken = token }, o);
            return (r.Distributions, r.NextPageToken);
        });
        var views = new List<DistributionView>(distributions.Count);
        foreach (var distribution in distributions)
        {
            // Only a completed distribution's lines are compared; the others are reported by status.
            var lines = distribution.Status == DistributionStatus.Completed ? await LinesAsync(distribution.DistributionId) : [];
            views.Add(new DistributionView(distribution, lines));
        }
        return new TreasuryView(modelId, treasury, total, daysSum, daysCount, reconciliation, views);
    }

    private Task<List<DistributionLine>> LinesAsync(string distributionId) => AllAsync<DistributionLine>($"treasury ListDistributionLines {distributionId}", async (token, o) =>
    {
        var r = await Treasury.ListDistributionLinesAsync(new ListDistributionLinesRequest { DistributionId = distributionId, PageSize = PageSize, PageToken = token }, o);
        return (r.Lines, r.NextPageToken);
    });

    /// <summary>Every POV transfer touching the model's treasury account up to <paramref name="head"/>.</summary>
    public async Task<TreasuryTransfers> TreasuryTransfersAsync(string modelId, long head)
    {
        var account = Ledgers.TreasuryAccount(modelId);
        var transfers = await AllAsync<Transfer>($"ledger ListTransfers {account}", async (token, o) =>
        {
            var r = await Ledger.ListTransfersAsync(new ListTransfersRequest
            {
                Account = account,
                Asset = Ledgers.Pov,
                ToSequence = head,
                PageSize = PageSize,
                PageToken = token,
            }, o);
            return (r.Transfers, r.NextPageToken);
        });
        return new TreasuryTransfers(modelId, account, transfers);
    }

    /// <summary>Every payment the gateway lists for a model (paid ones: a pending payment is not listed).</summary>
    public Task<List<Payment>> PaymentsAsync(string modelId) => AllAsync<Payment>($"gateway ListPayments {modelId}", async (token, o) =>
    {
        var r = await Gateway.ListPaymentsAsync(new ListPaymentsRequest { ModelId = modelId, PageSize = PageSize, PageToken = token }, o);
        return (r.Payments, r.NextPageToken);
    });

    /// <summary>One Ledger transfer, or null when the Ledger has none with that id.</summary>
    public async Task<Transfer?> TransferAsync(string transferId)
    {
        try
        {
            return (await Ledger.GetTransferAsync(new GetTransferRequest { TransferId = transferId }, Options)).Transfer;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            return null;
        }
        catch (RpcException ex) when (!ct.IsCancellationRequested)
        {
            throw new AuditReadException($"ledger GetTransfer {transferId}: {ex.StatusCode} {ex.Status.Detail}", ex);
        }
    }

    public void Dispose()
    {
        ledgerChannel.Dispose();
        registryChannel.Dispose();
        gatewayChannel.Dispose();
        treasuryChannel.Dispose();
    }
}
