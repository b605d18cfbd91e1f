using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Perspective.Client.Tests;

/// <summary>The gateway's rate limit, the caller's cancellation, the container registration and the options' checks.</summary>
public sealed class RetryTests(Platform platform) : ClientTestBase(platform)
{
    [Fact]
    public async Task Over_the_rate_limit_the_client_waits_the_gateways_retry_after_on_its_clock_then_charges_once()
    {
        var model = await ModelAllowedAsync(cap: 1_000);
        var clock = new WatchedClock(Platform.Clock);
        using var client = NewClient(o => o.TimeProvider = clock);
        using var impatient = NewClient(o => o.RetryOnRateLimit = false);
        for (var i = 0; i < Platform.RateLimitBurst; i++)
        {
            await client.ChargeUsageAsync(model.ModelId, Payer, 1, cancellationToken: Ct);
        }

        var limited = await Assert.ThrowsAsync<PerspectiveException>(() => impatient.ChargeUsageAsync(model.ModelId, Payer, 1, cancellationToken: Ct));
        var waiting = client.ChargeUsageAsync(model.ModelId, Payer, 1, cancellationToken: Ct);
        var wait = await clock.NextTimer.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.False(waiting.IsCompleted);
        Platform.Clock.Advance(wait);
        var charge = await waiting;

        Assert.Equal((StatusCode.ResourceExhausted, true, 1, TimeSpan.FromSeconds(1)), (limited.StatusCode, limited.IsRetryable, limited.Attempts, limited.RetryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(1_000 / Platform.RateLimitPerSecond), wait);
        Assert.Equal(Platform.RateLimitBurst + 1, (await PaymentsOfAsync(Payer)).Count);
        Assert.Equal(charge.RequestId, (await PaymentsOfAsync(Payer))[^1].RequestId);
        Assert.Equal(PayerFunds - (Platform.RateLimitBurst + 1) * Price, await BalanceAsync(Payer));
    }

    [Fact]
    public async Task A_call_the_caller_cancels_ends_as_canceled_without_retries()
    {
        var model = await ModelAllowedAsync();
        using var client = NewClient();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Network.Next(Fault.Hang);

        var call = client.GetModelQuoteAsync(model.ModelId, 1, cancel.Token);
        await Perspective.Testing.Eventually.WaitAsync(() => Task.FromResult(Network.Requests), n => n == 1, TimeSpan.FromSeconds(10), "the attempt");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(1, Network.Requests);
    }

    [Fact]
    public async Task AddPerspectiveProvider_registers_one_client_over_the_grpc_client_factory_that_retries_under_the_same_request_id()
    {
        var model = await ModelAllowedAsync();
        var services = new ServiceCollection();
        services.AddPerspectiveProvider(o =>
            {
                o.Endpoint = new Uri(Platform.Gateway.Address);
                o.TokenProvider = _ => ValueTask.FromResult(ProviderToken);
                o.RetryBackoff = TimeSpan.Zero;
            })
            .ConfigurePrimaryHttpMessageHandler(() => Network);
        await using var container = services.BuildServiceProvider();
        var client = container.GetRequiredService<PerspectiveProviderClient>();
        Network.Next(Fault.LoseAnswer);

        var charge = await client.ChargeUsageAsync(model.ModelId, Payer, 3, cancellationToken: Ct);

        Assert.Same(client, container.GetRequiredService<PerspectiveProviderClient>());
        Assert.Equal(2, Network.Requests);
        Assert.Equal(charge.Payment.PaymentId, Assert.Single(await PaymentsOfAsync(Payer)).PaymentId);
        Assert.Equal(PayerFunds - 30, await BalanceAsync(Payer));
    }

    [Fact]
    public void Options_that_cannot_work_are_refused_naming_the_option()
    {
        Assert.Contains("Endpoint", Refused(new PerspectiveProviderOptions { Token = "t" }), StringComparison.Ordinal);
        Assert.Contains("Token or TokenProvider", Refused(new PerspectiveProviderOptions { Endpoint = new Uri("https://gateway.example") }), StringComparison.Ordinal);
        Assert.Contains("AllowTokenOverCleartext",
            Refused(new PerspectiveProviderOptions { Endpoint = new Uri("http://gateway.example:8080"), Token = "t" }), StringComparison.Ordinal);
        Assert.Contains("MaxRetries",
            Refused(new PerspectiveProviderOptions { Endpoint = new Uri("https://gateway.example"), Token = "t", MaxRetries = -1 }), StringComparison.Ordinal);
        using var loopback = new PerspectiveProviderClient(new PerspectiveProviderOptions { Endpoint = new Uri("http://127.0.0.1:5103"), Token = "t" });
        using var trusted = new PerspectiveProviderClient(new PerspectiveProviderOptions
        {
            Endpoint = new Uri("http://gateway:8080"),
            Token = "t",
            AllowTokenOverCleartext = true,
        });
    }

    private static string Refused(PerspectiveProviderOptions options) =>
        Assert.Throws<InvalidOperationException>(() => new PerspectiveProviderClient(options)).Message;

    /// <summary>The test's fake clock, telling when the client starts waiting on it and for how long.</summary>
    private sealed class WatchedClock(FakeTimeProvider clock) : TimeProvider
    {
        private readonly TaskCompletionSource<TimeSpan> timer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<TimeSpan> NextTimer => timer.Task;

        public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

        public override long GetTimestamp() => clock.GetTimestamp();

        public override long TimestampFrequency => clock.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var created = clock.CreateTimer(callback, state, dueTime, period);
            timer.TrySetResult(dueTime);
            return created;
        }
    }
}
