using Grpc.Core;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.Client.Tests;

/// <summary>
/// A test of the client against the shared <see cref="Platform"/>: a provider and a payer of its own (the payer funded
/// with <see cref="PayerFunds"/> POV base units from alice), and a <see cref="FaultyNetwork"/> between the client under
/// test and the gateway.
/// </summary>
[Collection(nameof(PlatformCollection))]
public abstract class ClientTestBase(Platform platform) : IAsyncLifetime
{
    public const long PayerFunds = 1_000_000;
    public const long Price = 10;

    protected Platform Platform { get; } = platform;

    /// <summary>This test's provider account.</summary>
    protected string Provider { get; } = "provider-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>This test's payer, holding <see cref="PayerFunds"/>.</summary>
    protected string Payer { get; } = "payer-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Between the client under test and the gateway.</summary>
    protected FaultyNetwork Network { get; } = new();

    protected UsageGatewayService.UsageGatewayServiceClient GatewayDirect => new(Platform.Gateway.Channel);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected string ProviderToken => TestTokens.Create(Provider, [Roles.Provider]);

    public async ValueTask InitializeAsync() =>
        await new LedgerService.LedgerServiceClient(Platform.Ledger.Channel).TransferAsync(new TransferRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = "alice",
            ToAccount = Payer,
            Asset = "POV",
            Amount = PayerFunds,
        }, TestTokens.Bearer("alice"), cancellationToken: Ct);

    public ValueTask DisposeAsync()
    {
        Network.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>The client under test as this test's provider, through <see cref="Network"/>, retrying at once (no back-off wait) unless <paramref name="configure"/> says otherwise.</summary>
    protected PerspectiveProviderClient NewClient(Action<PerspectiveProviderOptions>? configure = null)
    {
        var options = new PerspectiveProviderOptions
        {
            Endpoint = new Uri(Platform.Gateway.Address),
            Token = ProviderToken,
            HttpHandler = Network,
            RetryBackoff = TimeSpan.Zero,
        };
        configure?.Invoke(options);
        return new PerspectiveProviderClient(options);
    }

    /// <summary>Registers a listed model charged <paramref name="price"/> POV base units per request, provided by <paramref name="provider"/> (this test's by default).</summary>
    protected async Task<Model> RegisterModelAsync(long price = Price, string? provider = null)
    {
        var symbol = "M" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        return (await new ModelRegistryService.ModelRegistryServiceClient(Platform.Registry.Channel).RegisterModelAsync(new RegisterModelRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Name = $"model {symbol}",
            Description = "a model for client tests",
            ProviderAccount = provider ?? Provider,
            Token = new TokenSpec { Symbol = symbol, Name = $"{symbol} token", Decimals = 6, TotalSupply = 1_000_000 },
            Price = new Price { AmountPerUnit = price, Unit = UsageUnit.Request },
        }, TestTokens.Bearer("carol"), cancellationToken: Ct)).Model;
    }

    /// <summary>A listed model of this test's provider with an allowance of <paramref name="cap"/> from the payer.</summary>
    protected async Task<Model> ModelAllowedAsync(long cap = 1_000)
    {
        var model = await RegisterModelAsync();
        await AllowAsync(Payer, model.ModelId, cap);
        return model;
    }

    protected async Task AllowAsync(string payer, string modelId, long cap) =>
        await GatewayDirect.SetAllowanceAsync(new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = modelId, CapAmount = cap },
            TestTokens.Bearer(payer), cancellationToken: Ct);

    protected async Task<long> BalanceAsync(string account) =>
        (await new LedgerService.LedgerServiceClient(Platform.Ledger.Channel).GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = "POV" },
            TestTokens.Bearer("anyone"), cancellationToken: Ct)).Balance.Total;

    protected async Task<IReadOnlyList<Payment>> PaymentsOfAsync(string payer) =>
        (await GatewayDirect.ListPaymentsAsync(new ListPaymentsRequest { PayerAccount = payer, PageSize = 1_000 }, TestTokens.Bearer(payer),
            cancellationToken: Ct)).Payments;

    protected static string Treasury(string modelId) => $"treasury:{modelId}";

    protected Metadata AsProvider => TestTokens.Bearer(Provider, Roles.Provider);
}
