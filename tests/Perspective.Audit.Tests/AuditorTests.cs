using Dapper;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Perspective.Testing;

namespace Perspective.Audit.Tests;

/// <summary>
/// The auditor over a small, correct platform (<see cref="AuditWorld"/>): every check passes; then one kind of wrong
/// record at a time is written straight into a service's database, exactly the check for that rule fails with a detail
/// naming the offender, and once the record is put back every check passes again. The tests of this class share the
/// platform (one collection) and run one after another; each puts back what it changed.
/// </summary>
[Collection(AuditWorld.Collection)]
public sealed class AuditorTests(AuditWorld world)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_correct_platform_passes_every_check_with_its_figures()
    {
        var report = await AuditAssert.CleanAsync(world.Targets, cancellationToken: Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());

        Assert.Equal(AuditCheckNames.All, report.Checks.Select(c => c.Name));
        var head = await world.HeadAsync();
        Assert.Contains($"for 2 asset(s)", report.Check(AuditCheckNames.Balances).Detail);
        Assert.Contains($"{head} entries verified, sequences 1..{head}", report.Check(AuditCheckNames.Journal).Detail);
        Assert.Contains("4 payment(s) of 1 model(s), 4 Ledger usage credit(s)", report.Check(AuditCheckNames.Payments).Detail);
        Assert.Contains("4 matched", report.Check(AuditCheckNames.Payments).Detail);
        Assert.Contains($"revenue {AuditWorld.Revenue} POV base units, Ledger usage credits {AuditWorld.Revenue} POV base units", report.Check(AuditCheckNames.Revenue).Detail);
        Assert.Contains("1 completed (2 lines), 0 failed, 0 in progress", report.Check(AuditCheckNames.Distributions).Detail);
        Assert.Contains("platform 0 unsent", report.Check(AuditCheckNames.Outbox).Detail);
    }

    [Fact]
    public async Task A_balance_that_breaks_conservation_fails_the_balances_check_naming_the_asset()
    {
        await using var _ = await ChangeAsync(world.Ledger.DatabaseConnectionString,
            "update balance_history set total = total + 7 where asset = @asset and account = 'dave'",
            "update balance_history set total = total - 7 where asset = @asset and account = 'dave'", new { asset = world.TokenSymbol });

        var check = await AuditAssert.OnlyFailsAsync(world.Targets, AuditCheckNames.Balances, cancellationToken: Ct);

        Assert.Contains($"{world.TokenSymbol}: Σ = 7 (holders {AuditWorld.TokenSupply + 7}, issuance:{world.TokenSymbol} -{AuditWorld.TokenSupply})", check.Detail);
    }

    [Fact]
    public async Task A_tampered_journal_entry_fails_the_journal_check_naming_its_sequence()
    {
        var sequence = await ScalarAsync<long>(world.Ledger.DatabaseConnectionString, "select sequence from transfers where memo = 'a quarter for dave'");
        await using var _ = await ChangeAsync(world.Ledger.DatabaseConnectionString,
            "update journal set memo = 'a third for dave' where sequence = @sequence",
            "update journal set memo = 'a quarter for dave' where sequence = @sequence", new { sequence });

        var check = await AuditAssert.OnlyFailsAsync(world.Targets, AuditCheckNames.Journal, cancellationToken: Ct);

        Assert.StartsWith($"entry {sequence}: ", check.Detail);
    }

    [Fact]
    public async Task A_gateway_payment_without_a_Ledger_transfer_fails_the_payments_check_naming_it()
    {
        var ghost = Guid.NewGuid();
        var transfer = Guid.NewGuid().ToString();
        await using var _ = await ChangeAsync(world.Gateway.DatabaseConnectionString,
            $"""
            insert into payments ({PaymentColumns})
            select @ghost, gen_random_uuid(), content_hash, kind, status, model_id, payer_account, provider_account, units, unit, amount_per_unit, amount,
                   authorization_id, @transfer, ledger_sequence, ledger_hash, created_at, response
              from payments where payment_id = @existing
            """,
            "delete from payments where payment_id = @ghost", new { ghost, transfer, existing = Guid.Parse(world.Payments[0].PaymentId) });

        var check = await AuditAssert.OnlyFailsAsync(world.Targets, AuditCheckNames.Payments, cancellationToken: Ct);

        Assert.StartsWith($"1 difference(s): payment {ghost} ({AuditWorld.Charge} POV base units, model {world.ModelId}) has no Ledger transfer: no usage credit {transfer}", check.Detail);
    }

    [Fact]
    public async Task Two_gateway_payments_naming_one_Ledger_transfer_fail_the_payments_check_naming_both()
    {
        var copy = Guid.NewGuid();
        var original = world.Payments[1];
        await using var _ = await ChangeAsync(world.Gateway.DatabaseConnectionString,
            $"""
            insert into payments ({PaymentColumns})
            select @copy, gen_random_uuid(), content_hash, kind, status, model_id, payer_account, provider_account, units, unit, amount_per_unit, amount,
                   authorization_id, ledger_transfer_id, ledger_sequence, ledger_hash, created_at + interval '1 second', response
              from payments where payment_id = @existing
            """,
            "delete from payments where payment_id = @copy", new { copy, existing = Guid.Parse(original.PaymentId) });

        var check = await AuditAssert.OnlyFailsAsync(world.Targets, AuditCheckNames.Payments, cancellationToken: Ct);

        Assert.StartsWith($"1 difference(s): payments {original.PaymentId} and {copy} both name Ledger transfer {original.LedgerTransferId}", check.Detail);
    }

    [Fact]
    public async Task A_Ledger_usage_credit_without_a_gateway_payment_fails_the_payments_check_naming_the_transfer()
    {
        var payment = world.Payments[2];
        // The payment moves to a model nobody lists: the Ledger's credit to this model's treasury is left without it.
        await using var _ = await ChangeAsync(world.Gateway.DatabaseConnectionString,
            "update payments set model_id = 'elsewhere' where payment_id = @id",
            "update payments set model_id = @model where payment_id = @id", new { id = Guid.Parse(payment.PaymentId), model = world.ModelId });

        var check = await AuditAssert.OnlyFailsAsync(world.Targets, AuditCheckNames.Payments, cancellationToken: Ct);

        Assert.StartsWith($"1 difference(s): Ledger transfer {payment.LedgerTransferId} ({AuditWorld.Charge} POV base units to treasury:{world.ModelId}, sequence {payment.LedgerSequence}) has no gateway payment",
            check.Detail);
    }

    [Fact]
    public async Task A_payment_counted_twice_by_the_treasury_fails_the_revenue_check_naming_the_model()
    {
        await using var _ = await ChangeAsync(world.Treasury.DatabaseConnectionString,
            "update revenue_days set amount = amount + @charge, payment_count = payment_count + 1 where model_id = @model",
            "update revenue_days set amount = amount - @charge, payment_count = payment_count - 1 where model_id = @model",
            new { model = Guid.Parse(world.ModelId), charge = AuditWorld.Charge });

        var check = await AuditAssert.OnlyFailsAsync(world.Targets, AuditCheckNames.Revenue, cancellationToken: Ct);

        Assert.Contains($"model {world.ModelId}: treasury revenue {AuditWorld.Revenue + AuditWorld.Charge} POV base units, Ledger usage credits {AuditWorld.Revenue} POV base units", check.Detail);
        Assert.Contains($"model {world.ModelId}: treasury counted 5 payment(s), the Ledger has 4 usage credit(s)", check.Detail);
    }

    [Fact]
    public async Task A_payment_the_treasury_lost_fails_the_revenue_check_and_reconciliation_names_the_transfer()
    {
        var payment = world.Payments[0];
        await using var _ = await ChangeAsync(world.Treasury.DatabaseConnectionString,
            """
            create table lost_payment as select * from counted_payments where payment_id = @id;
            delete from counted_payments where payment_id = @id;
            update revenue_days set amount = amount - @charge, payment_count = payment_count - 1 where model_id = @model;
            """,
            """
            insert into counted_payments select * from lost_payment;
            drop table lost_payment;
            update revenue_days set amount = amount + @charge, payment_count = payment_count + 1 where model_id = @model;
            """,
            new { id = payment.PaymentId, model = Guid.Parse(world.ModelId), charge = AuditWorld.Charge });

        var check = await AuditAssert.OnlyFailsAsync(world.Targets, AuditCheckNames.Revenue, cancellationToken: Ct);

        Assert.Contains($"treasury revenue {AuditWorld.Revenue - AuditWorld.Charge} POV base units, Ledger usage credits {AuditWorld.Revenue} POV base units", check.Detail);
        Assert.Contains($"ReconcileTreasury found 1 difference(s), treasury {AuditWorld.Revenue - AuditWorld.Charge} vs Ledger {AuditWorld.Revenue}: missing in treasury payment ? transfer {payment.LedgerTransferId}",
            check.Detail);
    }

    [Fact]
    public async Task A_distribution_line_with_a_wrong_amount_fails_the_distributions_check_naming_the_line()
    {
        var id = world.Distribution.DistributionId;
        await using var _ = await ChangeAsync(world.Treasury.DatabaseConnectionString,
            "update distribution_lines set share = share + 1 where distribution_id = @id and holder_account = 'dave'",
            "update distribution_lines set share = share - 1 where distribution_id = @id and holder_account = 'dave'", new { id = Guid.Parse(id) });

        var check = await AuditAssert.OnlyFailsAsync(world.Targets, AuditCheckNames.Distributions, cancellationToken: Ct);

        // dave holds a quarter of the tokens: 50 of the 200 POV.
        Assert.Contains($"distribution {id}: lines sum to {AuditWorld.Distributed + 1}, amount {AuditWorld.Distributed}", check.Detail);
        Assert.Contains($"distribution {id}: lines digest {world.Distribution.LinesDigest}, recomputed from the lines ", check.Detail);
        Assert.Contains($"distribution {id} line dave: share 51 POV base units, Ledger transfer ", check.Detail);
        Assert.Contains(" moved 50 POV base units from treasury:", check.Detail);
    }

    [Fact]
    public async Task An_outbox_row_unsent_for_over_a_minute_fails_the_outbox_check_naming_it_and_a_newer_one_does_not()
    {
        var now = new DateTimeOffset(DateTime.UtcNow.Ticks / 10 * 10, TimeSpan.Zero);
        var (newer, older) = (Guid.NewGuid(), Guid.NewGuid());
        await using var _ = await ChangeAsync(world.IdleDatabase,
            """
            insert into outbox_messages (id, message_type, payload, created_at)
            values (@newer, 'Perspective.Contracts.Events.Test.V1.Stuck', '{}', @newerAt), (@older, 'Perspective.Contracts.Events.Test.V1.Stuck', '{}', @olderAt)
            """,
            "delete from outbox_messages where id in (@newer, @older)",
            new { newer, older, newerAt = now.AddSeconds(-59), olderAt = now.AddSeconds(-61) });

        // A minute after the older row was written, neither is late yet.
        await AuditAssert.CleanAsync(world.Targets, new FakeTimeProvider(now.AddSeconds(-1)), Ct);
        var check = await AuditAssert.OnlyFailsAsync(world.Targets, AuditCheckNames.Outbox, new FakeTimeProvider(now), Ct);

        Assert.StartsWith($"1 row(s) unsent for over 60 s or parked: platform: Stuck {older} unsent since ", check.Detail);
        Assert.Contains("platform 2 unsent", check.Detail);
    }

    [Fact]
    public async Task A_parked_outbox_row_fails_the_outbox_check_with_its_error()
    {
        var id = Guid.NewGuid();
        await using var _ = await ChangeAsync(world.Gateway.DatabaseConnectionString,
            """
            insert into outbox_messages (id, message_type, payload, created_at, parked_at, attempts, last_error)
            values (@id, 'Perspective.Contracts.Events.Test.V1.Unknown', '{}', now(), now(), 1, 'unknown message type')
            """,
            "delete from outbox_messages where id = @id", new { id });

        var check = await AuditAssert.OnlyFailsAsync(world.Targets, AuditCheckNames.Outbox, cancellationToken: Ct);

        Assert.StartsWith($"1 row(s) unsent for over 60 s or parked: gateway: Unknown {id} parked (unknown message type)", check.Detail);
    }

    [Fact]
    public async Task A_service_that_cannot_be_reached_fails_the_checks_that_need_it_and_no_other()
    {
        var targets = world.Targets with { GatewayAddress = $"http://127.0.0.1:{FreePort.Next()}" };

        var report = await new Auditor(targets).RunAsync(Ct);

        Assert.Equal([AuditCheckNames.Payments, AuditCheckNames.Revenue], report.Failed.Select(c => c.Name));
        Assert.StartsWith($"could not check: gateway ListPayments {world.ModelId}: Unavailable", report.Check(AuditCheckNames.Payments).Detail);
    }

    private const string PaymentColumns = "payment_id, request_id, content_hash, kind, status, model_id, payer_account, provider_account, units, unit, "
        + "amount_per_unit, amount, authorization_id, ledger_transfer_id, ledger_sequence, ledger_hash, created_at, response";

    private static async Task<T> ScalarAsync<T>(string database, string sql, object? parameters = null)
    {
        await using var db = new NpgsqlConnection(database);
        return (await db.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    /// <summary>Applies <paramref name="change"/>; disposing puts it back with <paramref name="undo"/> and checks the books are clean again.</summary>
    private async Task<Undo> ChangeAsync(string database, string change, string undo, object parameters)
    {
        await using var db = new NpgsqlConnection(database);
        Assert.True(await db.ExecuteAsync(change, parameters) >= 1, $"the change changed nothing: {change}");
        return new Undo(world, database, undo, parameters);
    }

    private sealed class Undo(AuditWorld world, string database, string sql, object parameters) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var db = new NpgsqlConnection(database))
            {
                await db.ExecuteAsync(sql, parameters);
            }
            await AuditAssert.CleanAsync(world.Targets, cancellationToken: Ct);
        }
    }
}
