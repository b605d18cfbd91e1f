using System.Diagnostics;
using Grpc.Core;
using Perspective.Contracts.Events.Registry.V1;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

public sealed class ModelCacheTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
    // Only a delisting has a promised bound (2 s, asserted by the tests that measure it). A price or provider change
    // just has to arrive: a loaded CI machine once took longer than 2 s to deliver one (the suite runs in parallel).
    private static readonly TimeSpan EventDelivery = TimeSpan.FromSeconds(15);

    /// <summary>Charges until one is refused; returns the refusal and how long it took from <paramref name="since"/>.</summary>
    private async Task<(RpcException Error, TimeSpan After)> FirstRefusalAsync(string modelId, Stopwatch since, UsageGateway.Tests.GatewayClient? client = null)
    {
        while (since.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                await (client?.ChargeAsync(Charge(modelId, "alice", 1)) ?? ChargeAsync(Charge(modelId, "alice", 1)));
            }
            catch (RpcException ex)
            {
                return (ex, since.Elapsed);
            }
            await Task.Delay(20, Ct);
        }
        throw new TimeoutException("charges were still accepted 10 s after the delisting event");
    }

    [Fact]
    public async Task After_a_delisting_event_is_published_charges_are_refused_within_2_seconds()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        await ChargeAsync(Charge(model.ModelId, "alice", 1)); // the model is now in the cache as Listed

        var clock = Stopwatch.StartNew();
        await Bus.PublishAsync(new ModelStatusChanged(model.ModelId, ModelStatus.Listed, ModelStatus.Delisted, Guid.NewGuid().ToString(), "platform vote", DateTimeOffset.UtcNow));
        var (error, after) = await FirstRefusalAsync(model.ModelId, clock);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("Delisted", error.Status.Detail);
        Assert.True(after < TimeSpan.FromSeconds(2), $"refused only after {after.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Every_replica_sees_a_delisting_not_only_the_one_that_would_share_a_queue()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        await using var replica = await StartGatewayAsync();
        var second = new GatewayClient(replica);
        await ChargeAsync(Charge(model.ModelId, "alice", 1));
        await second.ChargeAsync(Charge(model.ModelId, "alice", 1));

        var clock = Stopwatch.StartNew();
        await Bus.PublishAsync(new ModelStatusChanged(model.ModelId, ModelStatus.Listed, ModelStatus.Banned, Guid.NewGuid().ToString(), "platform vote", DateTimeOffset.UtcNow));
        var first = await FirstRefusalAsync(model.ModelId, clock);
        var other = await FirstRefusalAsync(model.ModelId, clock, second);

        Assert.Contains("Banned", first.Error.Status.Detail);
        Assert.Contains("Banned", other.Error.Status.Detail);
        Assert.True(other.After < TimeSpan.FromSeconds(2), $"the second replica refused only after {other.After.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_price_change_applies_to_charges_after_the_event()
    {
        var model = await RegisterModelAsync(price: 10);
        await AllowAsync("alice", model.ModelId, 10_000);
        Assert.Equal(30, (await ChargeAsync(Charge(model.ModelId, "alice", 3))).Payment.Amount);

        await Bus.PublishAsync(new ModelPricingChanged(model.ModelId, 10, 25, PriceUnit.Request, Guid.NewGuid().ToString(), DateTimeOffset.UtcNow));
        var repriced = await Eventually.WaitAsync(async () => (await ChargeAsync(Charge(model.ModelId, "alice", 3))).Payment,
            payment => payment.AmountPerUnit != 10, EventDelivery, "a charge at the new price");

        Assert.Equal((25L, 75L), (repriced.AmountPerUnit, repriced.Amount));
        var quote = await Client.GetModelQuoteAsync(new Contracts.Gateway.V1.GetModelQuoteRequest { ModelId = model.ModelId, Units = 4 }, As("alice"), cancellationToken: Ct);
        Assert.Equal((25L, 100L), (quote.AmountPerUnit, quote.Amount));
    }

    [Fact]
    public async Task A_new_provider_account_set_in_the_registry_takes_over_charging_through_its_event()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        await ChargeAsync(Charge(model.ModelId, "alice", 1));
        var newProvider = TestTokens.Bearer("provider-2", ServiceDefaults.Auth.Roles.Provider);

        await Models.UpdateModelMetadataAsync(new Contracts.Registry.V1.UpdateModelMetadataRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = model.ModelId,
            ProviderAccount = "provider-2",
        }, As("carol"), cancellationToken: Ct);
        var charged = await Eventually.WaitAsync(async () =>
        {
            try
            {
                return (await Client.ChargeUsageAsync(Charge(model.ModelId, "alice", 1), newProvider, cancellationToken: Ct)).Payment;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied)
            {
                return null;
            }
        }, payment => payment is not null, EventDelivery, "the new provider charging");
        var old = await RejectedAsync(ChargeAsync(Charge(model.ModelId, "alice", 1)));

        Assert.Equal("provider-2", charged!.ProviderAccount);
        Assert.Equal(StatusCode.PermissionDenied, old.StatusCode);
    }

    [Fact]
    public async Task A_cached_model_is_trusted_until_its_entry_expires_then_read_again_from_the_registry()
    {
        var model = await RegisterModelAsync();
        var quote = new Contracts.Gateway.V1.GetModelQuoteRequest { ModelId = model.ModelId, Units = 1 };
        var first = await Client.GetModelQuoteAsync(quote, As("alice"), cancellationToken: Ct);

        Clock.Advance(TimeSpan.FromMilliseconds(new GatewayOptions().ModelCacheTtlMs - 1));
        var cached = await Client.GetModelQuoteAsync(quote, As("alice"), cancellationToken: Ct);
        Clock.Advance(TimeSpan.FromMilliseconds(2));
        var reread = await Client.GetModelQuoteAsync(quote, As("alice"), cancellationToken: Ct);

        Assert.Equal(first.AsOf, cached.AsOf);
        Assert.Equal(Clock.GetUtcNow(), reread.AsOf.ToDateTimeOffset());
    }
}

/// <summary>A second gateway replica, called as the provider.</summary>
public sealed class GatewayClient(ServiceUnderTest gateway)
{
    private readonly Contracts.Gateway.V1.UsageGatewayService.UsageGatewayServiceClient client = new(gateway.Channel);

    public Task<Contracts.Gateway.V1.ChargeUsageResponse> ChargeAsync(Contracts.Gateway.V1.ChargeUsageRequest request) =>
        client.ChargeUsageAsync(request, TestTokens.Bearer(GatewayTestBase.Provider, ServiceDefaults.Auth.Roles.Provider), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync;
}
