using System.Globalization;
using Grpc.Core;
using Perspective.Testing;
using Perspective.UsageGateway.Payments;

namespace Perspective.UsageGateway.Tests;

public sealed class RateLimitTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
    protected override Dictionary<string, string?> GatewaySettings => new()
    {
        ["Gateway:RateLimitPerSecond"] = "2",
        ["Gateway:RateLimitBurst"] = "3",
    };

    [Fact]
    public async Task A_provider_over_its_rate_is_resource_exhausted_with_retry_after_and_charged_nothing_until_tokens_refill()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000);
        for (var i = 0; i < 3; i++)
        {
            await ChargeAsync(Charge(model.ModelId, "alice", 1));
        }

        var error = await RejectedAsync(ChargeAsync(Charge(model.ModelId, "alice", 1)));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        var retryAfterMs = long.Parse(error.Trailers.GetValue(ProviderRateLimiter.RetryAfterTrailer)!, CultureInfo.InvariantCulture);
        Assert.Equal(500, retryAfterMs); // one token at 2 per second
        Assert.Equal(AliceGenesis - 30, (await BalanceAsync("alice")).Total);

        Clock.Advance(TimeSpan.FromMilliseconds(retryAfterMs));
        await ChargeAsync(Charge(model.ModelId, "alice", 1));
        Assert.Equal(AliceGenesis - 40, (await BalanceAsync("alice")).Total);
    }

    [Fact]
    public async Task Each_provider_has_its_own_bucket()
    {
        var mine = await RegisterModelAsync();
        var theirs = await RegisterModelAsync(provider: "provider-2");
        await AllowAsync("alice", mine.ModelId, 1_000);
        await AllowAsync("alice", theirs.ModelId, 1_000);
        for (var i = 0; i < 3; i++)
        {
            await ChargeAsync(Charge(mine.ModelId, "alice", 1));
        }

        await RejectedAsync(ChargeAsync(Charge(mine.ModelId, "alice", 1)));
        var other = await Client.ChargeUsageAsync(Charge(theirs.ModelId, "alice", 1),
            TestTokens.Bearer("provider-2", ServiceDefaults.Auth.Roles.Provider), cancellationToken: Ct);

        Assert.Equal(10, other.Payment.Amount);
    }
}
