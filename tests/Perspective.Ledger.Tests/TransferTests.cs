using Grpc.Core;
using Perspective.Contracts.Ledger.V1;
using Perspective.Testing;

namespace Perspective.Ledger.Tests;

public sealed class TransferTests(TestInfrastructure infrastructure) : LedgerTestBase(infrastructure)
{
    [Fact]
    public async Task Genesis_mints_the_pov_supply_to_the_allocated_accounts_once()
    {
        var pov = (await Client.GetAssetAsync(new GetAssetRequest { Code = "POV" }, As("alice"), cancellationToken: Ct)).Asset;

        Assert.Equal(AliceGenesis + BobGenesis, pov.TotalSupply);
        Assert.Equal(6, pov.Decimals);
        Assert.Equal(AliceGenesis, await BalanceAsync("alice"));
        Assert.Equal(BobGenesis, await BalanceAsync("bob"));
        Assert.Equal(-(AliceGenesis + BobGenesis), await BalanceAsync("issuance:POV"));
        Assert.Equal(1, await HeadAsync());

        // A second process on the same database (a restart, or a replica) does not mint again.
        var database = Ledger.DatabaseConnectionString;
        await Ledger.DisposeAsync();
        await using var restarted = await StartLedgerAsync(database);
        var client = new LedgerService.LedgerServiceClient(restarted.Channel);
        var head = await client.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct);
        Assert.Equal(1, head.Sequence);
        Assert.Equal(AliceGenesis, (await client.GetBalanceAsync(new GetBalanceRequest { Account = "alice", Asset = "POV" }, As("alice"), cancellationToken: Ct)).Balance.Total);
    }

    [Fact]
    public async Task A_transfer_moves_value_and_returns_its_receipt()
    {
        var response = await Client.TransferAsync(Pay("alice", "carol", 250, memo: "thanks"), As("alice"), cancellationToken: Ct);

        Assert.Equal(AliceGenesis - 250, await BalanceAsync("alice"));
        Assert.Equal(250, await BalanceAsync("carol"));
        var head = await Client.GetHeadAsync(new GetHeadRequest(), As("alice"), cancellationToken: Ct);
        Assert.Equal(head.Sequence, response.Transfer.Receipt.Sequence);
        Assert.Equal(head.Hash, response.Transfer.Receipt.Hash);
        var stored = (await Client.GetTransferAsync(new GetTransferRequest { TransferId = response.Transfer.TransferId }, As("carol"), cancellationToken: Ct)).Transfer;
        Assert.Equal(response.Transfer, stored);
        Assert.Equal("thanks", stored.Memo);
    }

    [Fact]
    public async Task A_retried_transfer_returns_the_original_receipt_and_moves_value_once()
    {
        var request = Pay("alice", "carol", 40);

        var first = await Client.TransferAsync(request, As("alice"), cancellationToken: Ct);
        var again = await Client.TransferAsync(request, As("alice"), cancellationToken: Ct);

        Assert.Equal(first, again);
        Assert.Equal(40, await BalanceAsync("carol"));
    }

    [Fact]
    public async Task Transfer_with_reused_request_id_and_other_amount_is_rejected()
    {
        var request = Pay("alice", "carol", 40);
        await Client.TransferAsync(request, As("alice"), cancellationToken: Ct);
        var head = await HeadAsync();

        var error = await RejectedAsync(Client.TransferAsync(Pay("alice", "carol", 41, request.RequestId), As("alice"), cancellationToken: Ct));

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.StartsWith("request_id:", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(40, await BalanceAsync("carol"));
        Assert.Equal(head, await HeadAsync());
    }

    [Fact]
    public async Task Another_caller_reusing_a_request_id_gets_no_replay_of_the_original()
    {
        var request = Pay("alice", "carol", 40);
        await Client.TransferAsync(request, As("alice"), cancellationToken: Ct);

        var error = await RejectedAsync(Client.TransferAsync(request, AsService, cancellationToken: Ct));

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.DoesNotContain("carol", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(40, await BalanceAsync("carol"));
    }

    [Fact]
    public async Task Insufficient_available_balance_is_a_failed_precondition_and_changes_nothing()
    {
        var head = await HeadAsync();

        var error = await RejectedAsync(Client.TransferAsync(Pay("bob", "carol", BobGenesis + 1), As("bob"), cancellationToken: Ct));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("insufficient available balance in bob", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(BobGenesis, await BalanceAsync("bob"));
        Assert.Equal(head, await HeadAsync());
    }

    [Theory]
    [InlineData("not-a-uuid", "alice", "carol", "POV", 10, "request_id")]
    [InlineData(null, "alice", "carol", "POV", 0, "amount")]
    [InlineData(null, "alice", "carol", "POV", -5, "amount")]
    [InlineData(null, "alice", "alice", "POV", 10, "to_account")]
    [InlineData(null, "alice", "carol", "NOPE", 10, "asset")]
    [InlineData(null, "alice", "carol", "pov", 10, "asset")]
    [InlineData(null, "alice", "issuance:POV", "POV", 10, "to_account")]
    [InlineData(null, "alice", "", "POV", 10, "to_account")]
    [InlineData(null, "alice", "carol dave", "POV", 10, "to_account")]
    public async Task Malformed_transfers_are_invalid_arguments_naming_the_field_and_change_nothing(
        string? requestId, string from, string to, string asset, long amount, string field)
    {
        var head = await HeadAsync();

        var error = await RejectedAsync(Client.TransferAsync(Pay(from, to, amount, requestId, asset), As(from), cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field + ":", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(head, await HeadAsync());
        Assert.Equal(AliceGenesis, await BalanceAsync("alice"));
    }

    [Fact]
    public async Task An_overlong_memo_is_an_invalid_argument()
    {
        var error = await RejectedAsync(Client.TransferAsync(Pay("alice", "carol", 1, memo: new string('m', 257)), As("alice"), cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("memo:", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_may_not_debit_another_account_but_a_service_may()
    {
        var error = await RejectedAsync(Client.TransferAsync(Pay("alice", "mallory", 10), As("mallory"), cancellationToken: Ct));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(AliceGenesis, await BalanceAsync("alice"));

        await Client.TransferAsync(Pay("alice", "treasury:m-1", 10), AsService, cancellationToken: Ct);
        Assert.Equal(10, await BalanceAsync("treasury:m-1"));
    }

    [Fact]
    public async Task A_batch_with_one_bad_leg_changes_nothing()
    {
        var head = await HeadAsync();
        var batch = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
        batch.Legs.Add(new TransferLeg { TransferId = Guid.NewGuid().ToString(), FromAccount = "alice", ToAccount = "carol", Asset = "POV", Amount = 100 });
        batch.Legs.Add(new TransferLeg { TransferId = Guid.NewGuid().ToString(), FromAccount = "alice", ToAccount = "dave", Asset = "POV", Amount = AliceGenesis });

        var error = await RejectedAsync(Client.TransferBatchAsync(batch, As("alice"), cancellationToken: Ct));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.StartsWith("legs[1].amount:", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await BalanceAsync("carol"));
        Assert.Equal(head, await HeadAsync());
    }

    [Fact]
    public async Task A_batch_applies_every_leg_in_one_journal_entry()
    {
        var batch = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
        foreach (var (to, amount) in new[] { ("carol", 10L), ("dave", 20L), ("erin", 30L) })
        {
            batch.Legs.Add(new TransferLeg { TransferId = Guid.NewGuid().ToString(), FromAccount = "alice", ToAccount = to, Asset = "POV", Amount = amount });
        }

        var response = await Client.TransferBatchAsync(batch, As("alice"), cancellationToken: Ct);

        Assert.Equal(3, response.Transfers.Count);
        Assert.All(response.Transfers, t => Assert.Equal(response.Receipt, t.Receipt));
        Assert.Equal(AliceGenesis - 60, await BalanceAsync("alice"));
        Assert.Equal(30, await BalanceAsync("erin"));
        Assert.Equal(2, await HeadAsync());
    }

    [Fact]
    public async Task A_thousand_concurrent_payments_into_one_hot_account_give_exact_balances()
    {
        // 100 payers funded in one batch, then 1,000 concurrent payments of 1..10 into one treasury.
        var fund = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
        for (var i = 0; i < 100; i++)
        {
            fund.Legs.Add(new TransferLeg { TransferId = Guid.NewGuid().ToString(), FromAccount = "alice", ToAccount = $"payer-{i}", Asset = "POV", Amount = 1_000 });
        }
        await Client.TransferBatchAsync(fund, As("alice"), cancellationToken: Ct);

        var payments = Enumerable.Range(0, 1_000).Select(i => (Payer: $"payer-{i % 100}", Amount: 1L + (i % 10))).ToList();
        await Task.WhenAll(payments.Select(p =>
            Client.TransferAsync(Pay(p.Payer, "treasury:hot", p.Amount), TestTokens.Bearer(p.Payer, "user"), cancellationToken: Ct).ResponseAsync));

        Assert.Equal(payments.Sum(p => p.Amount), await BalanceAsync("treasury:hot"));
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(1_000 - payments.Where(p => p.Payer == $"payer-{i}").Sum(p => p.Amount), await BalanceAsync($"payer-{i}"));
        }
        Assert.Equal(2 + 1_000, await HeadAsync());
    }

    [Fact]
    public async Task The_same_request_sent_fifty_times_at_once_moves_value_once()
    {
        var request = Pay("alice", "carol", 7);

        var receipts = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Client.TransferAsync(request, As("alice"), cancellationToken: Ct).ResponseAsync));

        Assert.Single(receipts.Select(r => r.Transfer.Receipt.Sequence).Distinct());
        Assert.Equal(7, await BalanceAsync("carol"));
        Assert.Equal(2, await HeadAsync());
    }

    [Fact]
    public async Task A_standby_replica_is_not_ready_until_the_writer_stops_then_takes_over_at_the_same_head()
    {
        await Client.TransferAsync(Pay("alice", "carol", 5), As("alice"), cancellationToken: Ct);
        var database = Ledger.DatabaseConnectionString;

        await using var standby = await ServiceUnderTest.StartAsync(LedgerHost.Build, Infrastructure, database, settings: GenesisSettings, waitUntilReady: false);
        var health = new Grpc.Health.V1.Health.HealthClient(standby.Channel);
        var status = await Eventually.WaitAsync(
            async () => (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct)).Status,
            s => s != Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Unknown, TimeSpan.FromSeconds(30), "the standby's first answer");
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing, status);

        await Ledger.DisposeAsync(); // the writer's process ends; its lock goes with its connection

        await Eventually.WaitAsync(
            async () => (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct)).Status,
            s => s == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, TimeSpan.FromSeconds(30), "the standby taking over");
        var client = new LedgerService.LedgerServiceClient(standby.Channel);
        var receipt = (await client.TransferAsync(Pay("alice", "carol", 6), As("alice"), cancellationToken: Ct)).Transfer.Receipt;
        Assert.Equal(3, receipt.Sequence);
        Assert.True((await client.VerifyJournalAsync(new VerifyJournalRequest(), As("auditor"), cancellationToken: Ct)).Valid);
        Assert.Equal(11, (await client.GetBalanceAsync(new GetBalanceRequest { Account = "carol", Asset = "POV" }, As("carol"), cancellationToken: Ct)).Balance.Total);
    }

    [Fact]
    public async Task A_writer_whose_lock_session_died_while_a_standby_took_over_commits_nothing_and_steps_down()
    {
        await Client.TransferAsync(Pay("alice", "carol", 5), As("alice"), cancellationToken: Ct);
        var database = Ledger.DatabaseConnectionString;

        // The writer's lock session dies while its process lives on (a network cut, an administrator's kill).
        await using (var admin = new Npgsql.NpgsqlConnection(database))
        {
            await admin.OpenAsync(Ct);
            await using var kill = new Npgsql.NpgsqlCommand(
                "select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and granted and database = " +
                "(select oid from pg_database where datname = current_database())", admin);
            Assert.True((bool)(await kill.ExecuteScalarAsync(Ct))!);
        }
        await using var successor = await ServiceUnderTest.StartAsync(LedgerHost.Build, Infrastructure, database, settings: GenesisSettings);
        var successorClient = new LedgerService.LedgerServiceClient(successor.Channel);

        // The old writer still takes requests, but its fencing token is stale: it commits nothing and stops writing.
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            Client.TransferAsync(Pay("alice", "carol", 7), As("alice"), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        var health = new Grpc.Health.V1.Health.HealthClient(Ledger.Channel);
        await Eventually.WaitAsync(
            async () => (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct)).Status,
            s => s == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing, TimeSpan.FromSeconds(30), "the old writer stepping down");

        var receipt = (await successorClient.TransferAsync(Pay("alice", "carol", 6), As("alice"), cancellationToken: Ct)).Transfer.Receipt;
        Assert.Equal(3, receipt.Sequence);
        Assert.Equal(11, (await successorClient.GetBalanceAsync(new GetBalanceRequest { Account = "carol", Asset = "POV" }, As("carol"), cancellationToken: Ct)).Balance.Total);
        Assert.True((await successorClient.VerifyJournalAsync(new VerifyJournalRequest(), As("auditor"), cancellationToken: Ct)).Valid);
    }

    [Fact]
    public async Task A_writer_whose_fence_another_writer_raised_commits_nothing_then_takes_the_lock_and_a_new_epoch_again()
    {
        await Client.TransferAsync(Pay("alice", "carol", 5), As("alice"), cancellationToken: Ct);
        var head = await HeadAsync();
        async Task<long> EpochAsync(Npgsql.NpgsqlConnection connection)
        {
            await using var read = new Npgsql.NpgsqlCommand("select epoch from writer_fence", connection);
            return (long)(await read.ExecuteScalarAsync(Ct))!;
        }

        // Another writer raised the fence while this one's lock session lives on (as after a lock it believed lost).
        await using var admin = new Npgsql.NpgsqlConnection(Ledger.DatabaseConnectionString);
        await admin.OpenAsync(Ct);
        await using (var raise = new Npgsql.NpgsqlCommand("update writer_fence set epoch = epoch + 1", admin))
        {
            await raise.ExecuteNonQueryAsync(Ct);
        }
        var raised = await EpochAsync(admin);

        // Its next batch stops at the fence check, before the COMMIT that travels with it: nothing is written.
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            Client.TransferAsync(Pay("alice", "carol", 7), As("alice"), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(head, await HeadAsync());
        Assert.Equal(5, await BalanceAsync("carol"));

        // Knowing it was fenced out, it stepped down, let go of its lock and took it again with a new epoch: it writes again.
        // (A writer that took the failure for a passing error would keep its stale epoch and never write again.)
        var retry = Pay("alice", "carol", 6);
        var receipt = await Eventually.WaitAsync(async () =>
        {
            try
            {
                return (await Client.TransferAsync(retry, As("alice"), cancellationToken: Ct)).Transfer.Receipt;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
            {
                return null;
            }
        }, r => r is not null, TimeSpan.FromSeconds(30), "the writer writing again under a new epoch");
        Assert.Equal(head + 1, receipt!.Sequence);
        Assert.Equal(11, await BalanceAsync("carol"));
        Assert.Equal(raised + 1, await EpochAsync(admin));
        Assert.True((await Client.VerifyJournalAsync(new VerifyJournalRequest(), As("auditor"), cancellationToken: Ct)).Valid);
    }

    [Fact]
    public async Task A_resumed_batch_skips_legs_already_committed_and_pays_only_the_rest()
    {
        TransferLeg Leg(string id, string to, long amount) => new() { TransferId = id, FromAccount = "alice", ToAccount = to, Asset = "POV", Amount = amount };
        var (l1, l2, l3) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        var first = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString(), Legs = { Leg(l1, "carol", 10), Leg(l2, "dave", 20) } };
        var committed = await Client.TransferBatchAsync(first, As("alice"), cancellationToken: Ct);

        // A payer that crashed does not know what went through: it regroups and sends again under a new request id.
        var resumed = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString(), Legs = { Leg(l1, "carol", 10), Leg(l3, "erin", 30) } };
        var response = await Client.TransferBatchAsync(resumed, As("alice"), cancellationToken: Ct);

        Assert.Equal(committed.Transfers[0], response.Transfers[0]);
        Assert.Equal(response.Receipt, response.Transfers[1].Receipt);
        Assert.NotEqual(committed.Receipt.Sequence, response.Receipt.Sequence);
        Assert.Equal(10, await BalanceAsync("carol"));
        Assert.Equal(30, await BalanceAsync("erin"));
        Assert.Equal(AliceGenesis - 60, await BalanceAsync("alice"));

        var allDone = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString(), Legs = { Leg(l1, "carol", 10), Leg(l2, "dave", 20) } };
        var nothingNew = await Client.TransferBatchAsync(allDone, As("alice"), cancellationToken: Ct);
        Assert.Null(nothingNew.Receipt);
        Assert.Equal(committed.Transfers, nothingNew.Transfers);
        Assert.Equal(response.Receipt.Sequence, await HeadAsync());

        // Even a request that wrote nothing new keeps its id: the same id with other legs is refused.
        var reused = new TransferBatchRequest { RequestId = allDone.RequestId, Legs = { Leg(l1, "carol", 10), Leg(Guid.NewGuid().ToString(), "frank", 5) } };
        var reuseError = await RejectedAsync(Client.TransferBatchAsync(reused, As("alice"), cancellationToken: Ct));
        Assert.Equal(StatusCode.AlreadyExists, reuseError.StatusCode);
        Assert.Equal(0, await BalanceAsync("frank"));

        var altered = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString(), Legs = { Leg(l3, "erin", 31) } };
        var error = await RejectedAsync(Client.TransferBatchAsync(altered, As("alice"), cancellationToken: Ct));
        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.StartsWith("legs[0].transfer_id:", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_leg_sent_in_fifty_batches_at_once_is_paid_once_and_every_batch_returns_its_one_record()
    {
        // Fifty batches under their own request ids, all carrying one leg (a payer resuming while its first attempt is
        // still being committed): the copies meet in one group commit or in the one committing before it.
        var legId = Guid.NewGuid().ToString();
        TransferBatchRequest Batch() => new()
        {
            RequestId = Guid.NewGuid().ToString(),
            Legs = { new TransferLeg { TransferId = legId, FromAccount = "alice", ToAccount = "carol", Asset = "POV", Amount = 9, Memo = "once" } },
        };

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Client.TransferBatchAsync(Batch(), As("alice"), cancellationToken: Ct).ResponseAsync));

        Assert.Single(responses.Select(r => r.Transfers.Single()).Distinct());
        Assert.Equal(9, await BalanceAsync("carol"));
        Assert.Equal(AliceGenesis - 9, await BalanceAsync("alice"));
        Assert.Equal(2, await HeadAsync());
        var stored = (await Client.GetTransferAsync(new GetTransferRequest { TransferId = legId }, As("alice"), cancellationToken: Ct)).Transfer;
        Assert.Equal(responses[0].Transfers[0], stored);
    }
}
