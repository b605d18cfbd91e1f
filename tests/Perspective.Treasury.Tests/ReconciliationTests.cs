using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;
using Perspective.Treasury.Events;

namespace Perspective.Treasury.Tests;

public sealed class ReconciliationTests(TestInfrastructure infrastructure) : TreasuryTestBase(infrastructure)
{
    private sealed record Charge(string PaymentId, string TransferId, long Amount, long Sequence);

    /// <summary>
    /// Pays the model's treasury as the gateway does (services/UsageGateway/Payments): two ChargeUsage legs (TransferBatch,
    /// memo "usage charge …") and one metered settle (a hold with memo "usage authorization …", posted), plus a donation and
    /// a zero-amount payment; the matching UsagePaid events are published and counted.
    /// </summary>
    private async Task<IReadOnlyList<Charge>> ChargeAsync(TestModel model)
    {
        var charges = new List<Charge>();
        var batch = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
        foreach (var amount in new long[] { 25, 75 })
        {
            batch.Legs.Add(new TransferLeg
            {
                TransferId = Guid.NewGuid().ToString(),
                FromAccount = "alice",
                ToAccount = model.TreasuryAccount,
                Asset = "POV",
                Amount = amount,
                Memo = $"usage charge {Guid.NewGuid()}",
            });
        }
        var committed = await Ledger.TransferBatchAsync(batch, As("alice"), cancellationToken: Ct);
        charges.AddRange(committed.Transfers.Select(t => new Charge(Guid.NewGuid().ToString(), t.TransferId, t.Amount, t.Receipt.Sequence)));

        var hold = (await Ledger.CreateHoldAsync(new CreateHoldRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = "alice",
            ToAccount = model.TreasuryAccount,
            Asset = "POV",
            Amount = 500,
            ExpiresAt = Timestamp.FromDateTime(DateTime.UtcNow.AddHours(1)),
            Memo = $"usage authorization {Guid.NewGuid()}",
        }, As("alice"), cancellationToken: Ct)).Hold;
        var posted = (await Ledger.PostHoldAsync(new PostHoldRequest { RequestId = Guid.NewGuid().ToString(), HoldId = hold.HoldId, Amount = 320 },
            As("alice"), cancellationToken: Ct)).Transfer;
        charges.Add(new Charge(Guid.NewGuid().ToString(), posted.TransferId, posted.Amount, posted.Receipt.Sequence));

        await FundTreasuryAsync(model, 1_000);
        foreach (var charge in charges)
        {
            await Bus.PublishAsync(Paid(model, charge.Amount, Start, charge.PaymentId, charge.TransferId, charge.Sequence));
        }
        await Bus.PublishAsync(Paid(model, 0, Start));
        await WaitConsumedAsync<UsagePaidConsumer>(charges.Count + 1);
        return charges;
    }

    [Fact]
    public async Task A_clean_treasury_reconciles_as_matched_and_donations_are_not_revenue()
    {
        var model = await NewModelAsync([]);
        await ChargeAsync(model);
        var head = await HeadAsync();

        var result = await Client.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = model.ModelId }, As(model.Creator), cancellationToken: Ct);

        Assert.True(result.Matched);
        Assert.Equal((420L, 420L, 0L, 3L, 3L, 0L), (result.TreasuryRevenue, result.LedgerRevenue, result.Difference, result.TreasuryPaymentCount,
            result.LedgerPaymentCount, result.DifferenceCount));
        Assert.Empty(result.Differences);
        Assert.Equal(head, result.LedgerSequence);
        Assert.Equal(Start, result.CheckedAt.ToDateTimeOffset());
        var treasury = (await Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Treasury;
        Assert.Equal((420L, 4L, 1_420L), (treasury.LifetimeRevenue, treasury.PaymentCount, treasury.Balance));
    }

    [Fact]
    public async Task Differences_injected_in_the_database_are_reported()
    {
        var model = await NewModelAsync([]);
        var charges = await ChargeAsync(model);
        await TreasuryExecuteAsync("update counted_payments set amount = amount + 1 where payment_id = @id", new { id = charges[0].PaymentId });
        await TreasuryExecuteAsync("delete from counted_payments where payment_id = @id", new { id = charges[2].PaymentId });
        await TreasuryExecuteAsync(
            """
            insert into counted_payments (payment_id, model_id, amount, ledger_transfer_id, ledger_sequence, paid_at, day, counted_at)
            values ('ghost-payment', @model, 9, @transfer, 1, now(), current_date, now())
            """, new { model = model.Id, transfer = Guid.NewGuid().ToString() });

        var result = await Client.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = model.ModelId }, As("auditor", Roles.Service), cancellationToken: Ct);

        Assert.False(result.Matched);
        Assert.Equal(3, result.DifferenceCount);
        Assert.Equal([
            (ReconciliationDifferenceKind.MissingInLedger, "ghost-payment", 9L, 0L),
            (ReconciliationDifferenceKind.AmountMismatch, charges[0].PaymentId, 26L, 25L),
            (ReconciliationDifferenceKind.MissingInTreasury, "", 0L, 320L),
        ], result.Differences.Select(d => (d.Kind, d.PaymentId, d.TreasuryAmount, d.LedgerAmount)));
        Assert.Equal(charges[2].TransferId, result.Differences[2].LedgerTransferId);
        Assert.Equal((26L + 75 + 9, 420L), (result.TreasuryRevenue, result.LedgerRevenue));
        Assert.Equal(result.TreasuryRevenue - result.LedgerRevenue, result.Difference);
        Assert.Equal((3L, 3L), (result.TreasuryPaymentCount, result.LedgerPaymentCount));
    }

    [Fact]
    public async Task A_second_counted_payment_naming_an_already_matched_transfer_is_a_difference()
    {
        var model = await NewModelAsync([]);
        var charges = await ChargeAsync(model);
        // Counted after the genuine one (the test clock is years ahead of the database's).
        await TreasuryExecuteAsync(
            """
            insert into counted_payments (payment_id, model_id, amount, ledger_transfer_id, ledger_sequence, paid_at, day, counted_at)
            values ('duplicate-payment', @model, @amount, @transfer, @sequence, now(), current_date, '2040-01-01')
            """, new { model = model.Id, amount = charges[1].Amount, transfer = charges[1].TransferId, sequence = charges[1].Sequence });

        var result = await Client.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = model.ModelId }, AsService, cancellationToken: Ct);

        Assert.False(result.Matched);
        Assert.Equal(1, result.DifferenceCount);
        var difference = Assert.Single(result.Differences);
        Assert.Equal((ReconciliationDifferenceKind.MissingInLedger, "duplicate-payment", charges[1].TransferId, 75L, 0L),
            (difference.Kind, difference.PaymentId, difference.LedgerTransferId, difference.TreasuryAmount, difference.LedgerAmount));
        Assert.Equal((495L, 420L, 75L), (result.TreasuryRevenue, result.LedgerRevenue, result.Difference));
        Assert.Equal((4L, 3L), (result.TreasuryPaymentCount, result.LedgerPaymentCount));
    }

    [Fact]
    public async Task A_ledger_credit_younger_than_the_grace_period_is_in_flight_not_a_difference()
    {
        // A clock near the Ledger's (real) commit times, so the grace period can be crossed.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await TreasuryService.DisposeAsync();
        await StartTreasuryAsync(builder => builder.Services.AddSingleton<TimeProvider>(clock));
        var model = await NewModelAsync([]);
        // A gateway credit whose UsagePaid has not been counted yet.
        await Ledger.TransferAsync(new TransferRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = "alice",
            ToAccount = model.TreasuryAccount,
            Asset = "POV",
            Amount = 40,
            Memo = $"usage charge {Guid.NewGuid()}",
        }, As("alice"), cancellationToken: Ct);

        var young = await Client.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = model.ModelId }, AsService, cancellationToken: Ct);
        clock.Advance(TimeSpan.FromMinutes(5));
        var old = await Client.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = model.ModelId }, AsService, cancellationToken: Ct);

        Assert.True(young.Matched);
        Assert.Equal((0L, 0L, 0L, 0L), (young.LedgerRevenue, young.LedgerPaymentCount, young.Difference, young.DifferenceCount));
        Assert.False(old.Matched);
        Assert.Equal((40L, 1L, -40L), (old.LedgerRevenue, old.LedgerPaymentCount, old.Difference));
        Assert.Equal(ReconciliationDifferenceKind.MissingInTreasury, Assert.Single(old.Differences).Kind);
    }

    [Fact]
    public async Task Only_service_admin_or_the_creator_may_reconcile()
    {
        var model = await NewModelAsync([]);

        var denied = await RejectedAsync(Client.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = model.ModelId }, As("mallory"), cancellationToken: Ct));
        var admin = await Client.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = model.ModelId }, As("root", Roles.Admin), cancellationToken: Ct);
        var unknown = await RejectedAsync(Client.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = Guid.NewGuid().ToString() }, As("root", Roles.Admin),
            cancellationToken: Ct));

        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.True(admin.Matched);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }
}
