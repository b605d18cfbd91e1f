using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;
using Perspective.Treasury.Domain;
using Perspective.Treasury.Events;

namespace Perspective.Treasury.Tests;

public sealed class RevenueTests(TestInfrastructure infrastructure) : TreasuryTestBase(infrastructure)
{
    private static readonly DateTimeOffset Midnight = new(2031, 3, 2, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Revenue_is_counted_per_utc_day_across_midnight_with_zero_days_included()
    {
        var model = await NewModelAsync([]);
        Clock.SetUtcNow(Midnight.AddDays(2).AddHours(9));
        await Bus.PublishAsync(Paid(model, 70, Midnight.AddSeconds(-1)));
        await Bus.PublishAsync(Paid(model, 30, Midnight.AddSeconds(-30)));
        await Bus.PublishAsync(Paid(model, 5, Midnight));
        await Bus.PublishAsync(Paid(model, 1, Midnight.AddDays(1).AddTicks(-10)));
        // Another model's revenue stays its own.
        var other = await NewModelAsync([]);
        await Bus.PublishAsync(Paid(other, 1_000, Midnight));
        await WaitConsumedAsync<UsagePaidConsumer>(5);

        var response = await Client.ListRevenueAsync(new ListRevenueRequest
        {
            ModelId = model.ModelId,
            FromDay = Timestamp.FromDateTimeOffset(Midnight.AddDays(-2).AddHours(13)),
            ToDay = Timestamp.FromDateTimeOffset(Midnight.AddDays(2)),
        }, As("anyone"), cancellationToken: Ct);

        Assert.Equal(
            [(Midnight.AddDays(-2), 0L, 0L), (Midnight.AddDays(-1), 100L, 2L), (Midnight, 6L, 2L), (Midnight.AddDays(1), 0L, 0L), (Midnight.AddDays(2), 0L, 0L)],
            response.Days.Select(d => (d.Day.ToDateTimeOffset(), d.Amount, d.PaymentCount)));
        Assert.Equal(106, response.TotalAmount);
        Assert.Equal("", response.NextPageToken);

        var treasury = (await Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Treasury;
        Assert.Equal(106, treasury.LifetimeRevenue);
        Assert.Equal(4, treasury.PaymentCount);
        Assert.Equal(Midnight.AddDays(1).AddTicks(-10), treasury.LastRevenueAt.ToDateTimeOffset());
        Assert.Equal(model.TreasuryAccount, treasury.TreasuryAccount);
    }

    [Fact]
    public async Task Revenue_pages_over_days_and_defaults_to_the_opening_day_until_today()
    {
        var model = await NewModelAsync([]);
        await Bus.PublishAsync(Paid(model, 9, Start.AddDays(3)));
        await WaitConsumedAsync<UsagePaidConsumer>(1);
        Clock.SetUtcNow(Start.AddDays(4));

        var first = await Client.ListRevenueAsync(new ListRevenueRequest { ModelId = model.ModelId, PageSize = 3 }, As("anyone"), cancellationToken: Ct);
        var second = await Client.ListRevenueAsync(new ListRevenueRequest { ModelId = model.ModelId, PageSize = 3, PageToken = first.NextPageToken },
            As("anyone"), cancellationToken: Ct);

        var day0 = new DateTimeOffset(Start.Date, TimeSpan.Zero);
        Assert.Equal([day0, day0.AddDays(1), day0.AddDays(2)], first.Days.Select(d => d.Day.ToDateTimeOffset()));
        Assert.Equal([(day0.AddDays(3), 9L), (day0.AddDays(4), 0L)], second.Days.Select(d => (d.Day.ToDateTimeOffset(), d.Amount)));
        Assert.Equal("", second.NextPageToken);
        Assert.Equal(9, first.TotalAmount);
        Assert.Equal(9, second.TotalAmount);
    }

    [Fact]
    public async Task The_same_payment_published_twice_under_two_message_ids_counts_once()
    {
        var model = await NewModelAsync([]);
        var payment = Paid(model, 250, Start);

        await Bus.PublishAsync(payment);
        await Bus.PublishAsync(payment);
        await WaitConsumedAsync<UsagePaidConsumer>(2);

        var treasury = (await Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Treasury;
        Assert.Equal(250, treasury.LifetimeRevenue);
        Assert.Equal(1, treasury.PaymentCount);
        Assert.Equal(1, await TreasuryScalarAsync<int>("select count(*)::int from counted_payments where payment_id = @id", new { id = payment.PaymentId }));
    }

    [Fact]
    public async Task A_payment_that_arrives_before_the_registration_is_counted_and_the_registration_completes_the_record()
    {
        var model = new TestModel(Guid.NewGuid(), "TEARLY", "creator-early");
        await Bus.PublishAsync(Paid(model, 40, Start.AddMinutes(5)));
        await WaitConsumedAsync<UsagePaidConsumer>(1);
        var before = (await Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Treasury;

        await RegisterAsync(model);

        var after = (await Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Treasury;
        Assert.Equal(40, before.LifetimeRevenue);
        Assert.Equal(40, after.LifetimeRevenue);
        Assert.Equal(Start, after.OpenedAt.ToDateTimeOffset());
        // The creator is known now: they may reconcile.
        var reconciled = await Client.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = model.ModelId }, As(model.Creator), cancellationToken: Ct);
        Assert.Equal(model.ModelId, reconciled.ModelId);
    }

    [Fact]
    public async Task Payments_counted_out_of_order_open_the_treasury_at_the_earliest_so_the_default_range_shows_every_day()
    {
        var model = new TestModel(Guid.NewGuid(), "TLATE", "creator-late");
        await Bus.PublishAsync(Paid(model, 20, Start.AddDays(1)));
        await WaitConsumedAsync<UsagePaidConsumer>(1);
        await Bus.PublishAsync(Paid(model, 10, Start));
        await WaitConsumedAsync<UsagePaidConsumer>(2);
        Clock.SetUtcNow(Start.AddDays(1));

        var response = await Client.ListRevenueAsync(new ListRevenueRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct);

        var day0 = new DateTimeOffset(Start.Date, TimeSpan.Zero);
        Assert.Equal([(day0, 10L), (day0.AddDays(1), 20L)], response.Days.Select(d => (d.Day.ToDateTimeOffset(), d.Amount)));
        Assert.Equal(30, response.TotalAmount);
        var treasury = (await Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Treasury;
        Assert.Equal(Start, treasury.OpenedAt.ToDateTimeOffset());
    }

    [Fact]
    public async Task Revenue_without_days_is_clamped_to_the_longest_range_and_a_foreign_page_token_is_invalid_naming_page_token()
    {
        var model = new TestModel(Guid.NewGuid(), "TOLD", "creator-old");
        // Opened twenty years before "today": the default range is clamped, not refused.
        await Bus.PublishAsync(Paid(model, 5, Start.AddYears(-20)));
        await WaitConsumedAsync<UsagePaidConsumer>(1);

        var clamped = await Client.ListRevenueAsync(new ListRevenueRequest { ModelId = model.ModelId, PageSize = 1 }, As("anyone"), cancellationToken: Ct);
        var error = await RejectedAsync(Client.ListRevenueAsync(new ListRevenueRequest
        {
            ModelId = model.ModelId,
            PageToken = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("9999-12-31")),
        }, As("anyone"), cancellationToken: Ct));

        var today = new DateTimeOffset(Start.Date, TimeSpan.Zero);
        Assert.Equal(today.AddDays(1 - TreasuryRules.RevenueRangeDaysMax), Assert.Single(clamped.Days).Day.ToDateTimeOffset());
        Assert.Equal(0, clamped.TotalAmount);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("page_token:", error.Status.Detail);
    }

    [Fact]
    public async Task A_model_without_registration_or_payment_has_no_treasury()
    {
        var error = await RejectedAsync(Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = Guid.NewGuid().ToString() }, As("anyone"), cancellationToken: Ct));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task A_range_that_runs_backwards_is_invalid_naming_from_day()
    {
        var model = await NewModelAsync([]);

        var error = await RejectedAsync(Client.ListRevenueAsync(new ListRevenueRequest
        {
            ModelId = model.ModelId,
            FromDay = Timestamp.FromDateTimeOffset(Start.AddDays(2)),
            ToDay = Timestamp.FromDateTimeOffset(Start),
        }, As("anyone"), cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("from_day:", error.Status.Detail);
    }
}
