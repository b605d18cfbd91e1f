using Dapper;
using Grpc.Core;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.Testing;

namespace Perspective.Ledger.Tests;

public sealed class JournalAndSnapshotTests(TestInfrastructure infrastructure) : LedgerTestBase(infrastructure)
{
    [Fact]
    public async Task Snapshot_queries_return_the_past_values_after_later_transfers()
    {
        await Client.TransferAsync(Pay("alice", "carol", 300), As("alice"), cancellationToken: Ct);
        var snapshot = await HeadAsync();
        await Client.TransferAsync(Pay("carol", "dave", 100), As("carol"), cancellationToken: Ct);
        await Client.TransferAsync(Pay("alice", "dave", 50), As("alice"), cancellationToken: Ct);

        async Task<long> At(string account) => (await Client.GetBalanceAtAsync(
            new GetBalanceAtRequest { Account = account, Asset = "POV", Sequence = snapshot }, As("x"), cancellationToken: Ct)).Total;

        Assert.Equal(AliceGenesis - 300, await At("alice"));
        Assert.Equal(300, await At("carol"));
        Assert.Equal(0, await At("dave"));
        Assert.Equal(150, await BalanceAsync("dave"));
        var supply = await Client.GetSupplyAtAsync(new GetSupplyAtRequest { Asset = "POV", Sequence = snapshot }, As("x"), cancellationToken: Ct);
        Assert.Equal(AliceGenesis + BobGenesis, supply.Supply);

        var holders = await Client.ListHoldersAsync(new ListHoldersRequest { Asset = "POV", Sequence = snapshot }, As("x"), cancellationToken: Ct);
        Assert.Equal(
            [("alice", AliceGenesis - 300), ("bob", BobGenesis), ("carol", 300L)],
            holders.Holders.Select(h => (h.Account, h.Balance)).ToList());
        Assert.Equal("", holders.NextPageToken);
    }

    [Fact]
    public async Task Holders_are_paged_in_account_order()
    {
        await Client.TransferAsync(Pay("alice", "carol", 1), As("alice"), cancellationToken: Ct);
        var head = await HeadAsync();

        var first = await Client.ListHoldersAsync(new ListHoldersRequest { Asset = "POV", Sequence = head, PageSize = 2 }, As("x"), cancellationToken: Ct);
        var second = await Client.ListHoldersAsync(
            new ListHoldersRequest { Asset = "POV", Sequence = head, PageSize = 2, PageToken = first.NextPageToken }, As("x"), cancellationToken: Ct);

        Assert.Equal(["alice", "bob"], first.Holders.Select(h => h.Account));
        Assert.Equal(["carol"], second.Holders.Select(h => h.Account));
        Assert.Equal("", second.NextPageToken);
    }

    [Fact]
    public async Task Holders_are_paged_in_ordinal_order_on_a_database_whose_collation_orders_otherwise()
    {
        // A Ledger on a database collated en-US (ICU): case and punctuation sort otherwise than their bytes.
        var name = $"ledger_en_us_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(Ledger.DatabaseConnectionString))
        {
            await admin.ExecuteAsync($"create database \"{name}\" template template0 locale_provider icu icu_locale 'en-US'");
        }
        var database = new NpgsqlConnectionStringBuilder(Ledger.DatabaseConnectionString) { Database = name }.ConnectionString;
        await using (var db = new NpgsqlConnection(database))
        {
            Assert.Equal(["a-x", "B-x", "x_1", "x-2", "x.0", "Z"],
                await db.QueryAsync<string>("select a from unnest(array['B-x', 'a-x', 'x_1', 'Z', 'x-2', 'x.0']) a order by a"));
        }
        var ledger = await StartLedgerAsync(database);
        try
        {
            var client = new LedgerService.LedgerServiceClient(ledger.Channel);
            await Eventually.WaitAsync(async () => (await client.GetHeadAsync(new GetHeadRequest(), As("x"), cancellationToken: Ct)).Sequence,
                sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
            foreach (var account in new[] { "B-x", "a-x", "x_1", "Z", "x-2", "x.0" })
            {
                await client.TransferAsync(Pay("alice", account, 10), As("alice"), cancellationToken: Ct);
            }
            var head = (await client.GetHeadAsync(new GetHeadRequest(), As("x"), cancellationToken: Ct)).Sequence;

            var accounts = new List<string>();
            var token = "";
            do
            {
                var page = await client.ListHoldersAsync(new ListHoldersRequest { Asset = "POV", Sequence = head, PageSize = 2, PageToken = token }, As("x"),
                    cancellationToken: Ct);
                accounts.AddRange(page.Holders.Select(h => h.Account));
                token = page.NextPageToken;
            }
            while (token.Length > 0);

            Assert.Equal(["B-x", "Z", "a-x", "alice", "bob", "x-2", "x.0", "x_1"], accounts);
            Assert.Equal(accounts.Order(StringComparer.Ordinal), accounts);
        }
        finally
        {
            await ledger.DisposeAsync();
            await AssertConservedAsync(database);
        }
    }

    [Fact]
    public async Task A_snapshot_beyond_the_head_is_an_invalid_argument()
    {
        var error = await RejectedAsync(Client.GetBalanceAtAsync(
            new GetBalanceAtRequest { Account = "alice", Asset = "POV", Sequence = 99 }, As("x"), cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("sequence:", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_journal_verifies_and_links_each_entry_to_the_one_before()
    {
        for (var i = 0; i < 5; i++)
        {
            await Client.TransferAsync(Pay("alice", "carol", 10 + i), As("alice"), cancellationToken: Ct);
        }

        var result = await Client.VerifyJournalAsync(new VerifyJournalRequest(), As("auditor"), cancellationToken: Ct);

        Assert.True(result.Valid);
        Assert.Equal(6, result.EntriesChecked);
        Assert.Equal(1, result.FromSequence);
        Assert.Equal(6, result.ToSequence);
        Assert.Null(result.FirstMismatch);
    }

    [Fact]
    public async Task VerifyJournal_detects_a_row_altered_directly_in_the_database()
    {
        await Client.TransferAsync(Pay("alice", "carol", 10), As("alice"), cancellationToken: Ct);
        var tampered = (await Client.TransferAsync(Pay("alice", "carol", 20), As("alice"), cancellationToken: Ct)).Transfer.Receipt;
        await Client.TransferAsync(Pay("alice", "carol", 30), As("alice"), cancellationToken: Ct);
        await using (var db = new NpgsqlConnection(Ledger.DatabaseConnectionString))
        {
            // Someone with database access credits carol 1,000 more in the record of the second payment.
            await db.ExecuteAsync("update postings set amount = amount + 1000 where sequence = @s and amount > 0", new { s = tampered.Sequence });
            await db.ExecuteAsync("update postings set amount = amount - 1000 where sequence = @s and amount < 0", new { s = tampered.Sequence });
        }

        var result = await Client.VerifyJournalAsync(new VerifyJournalRequest(), As("auditor"), cancellationToken: Ct);

        Assert.False(result.Valid);
        Assert.Equal(tampered.Sequence, result.FirstMismatch.Sequence);
        Assert.Equal(tampered.Hash, result.FirstMismatch.StoredHash);
        Assert.NotEqual(result.FirstMismatch.StoredHash, result.FirstMismatch.ExpectedHash);
        Assert.Equal("hash differs from the entry's content", result.FirstMismatch.Reason);
    }

    [Fact]
    public async Task A_service_creates_an_asset_with_its_whole_supply_held_by_the_creator()
    {
        var request = new CreateAssetRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Code = "GPTX",
            Name = "GPT-X token",
            Decimals = 2,
            TotalSupply = 10_000_000,
            InitialHolderAccount = "creator-1",
        };

        var created = await Client.CreateAssetAsync(request, TestTokens.Bearer("svc-registry", "service"), cancellationToken: Ct);
        var replay = await Client.CreateAssetAsync(request, TestTokens.Bearer("svc-registry", "service"), cancellationToken: Ct);

        Assert.Equal(created, replay);
        Assert.Equal("GPTX", created.Asset.Code);
        Assert.Equal(10_000_000, await BalanceAsync("creator-1", "GPTX"));
        Assert.Equal(-10_000_000, await BalanceAsync("issuance:GPTX", "GPTX"));
        var again = await RejectedAsync(Client.CreateAssetAsync(
            new CreateAssetRequest(request) { RequestId = Guid.NewGuid().ToString() }, TestTokens.Bearer("svc-registry", "service"), cancellationToken: Ct));
        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);
        Assert.StartsWith("code:", again.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_a_service_or_admin_creates_assets()
    {
        var error = await RejectedAsync(Client.CreateAssetAsync(new CreateAssetRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Code = "MINE",
            Name = "Mine",
            Decimals = 0,
            TotalSupply = 1,
            InitialHolderAccount = "alice",
        }, As("alice"), cancellationToken: Ct));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Theory]
    [InlineData("X", "Name", 2, 100, "code")]
    [InlineData("GOOD", "", 2, 100, "name")]
    [InlineData("GOOD", "Name", 10, 100, "decimals")]
    [InlineData("GOOD", "Name", 2, 0, "total_supply")]
    public async Task Malformed_assets_are_invalid_arguments_naming_the_field(string code, string name, int decimals, long supply, string field)
    {
        var head = await HeadAsync();

        var error = await RejectedAsync(Client.CreateAssetAsync(new CreateAssetRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Code = code,
            Name = name,
            Decimals = decimals,
            TotalSupply = supply,
            InitialHolderAccount = "creator-1",
        }, TestTokens.Bearer("svc-registry", "service"), cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field + ":", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(head, await HeadAsync());
    }

    [Fact]
    public async Task The_journal_lists_every_entry_with_its_postings_and_transfers_page_by_sequence()
    {
        var first = (await Client.TransferAsync(Pay("alice", "carol", 10), As("alice"), cancellationToken: Ct)).Transfer;
        await Client.TransferAsync(Pay("bob", "dave", 20), As("bob"), cancellationToken: Ct);
        var third = (await Client.TransferAsync(Pay("carol", "alice", 3), As("carol"), cancellationToken: Ct)).Transfer;

        var entry = (await Client.GetJournalEntryAsync(new GetJournalEntryRequest { Sequence = first.Receipt.Sequence }, As("x"), cancellationToken: Ct)).Entry;
        Assert.Equal(JournalEntryKind.Transfer, entry.Kind);
        Assert.Equal(first.Receipt.Hash, entry.Hash);
        Assert.Equal([("alice", -10L), ("carol", 10L)], entry.Postings.Select(p => (p.Account, p.Amount)));

        var page1 = await Client.ListJournalAsync(new ListJournalRequest { PageSize = 2 }, As("x"), cancellationToken: Ct);
        var page2 = await Client.ListJournalAsync(new ListJournalRequest { PageSize = 2, PageToken = page1.NextPageToken }, As("x"), cancellationToken: Ct);
        Assert.Equal([1L, 2L, 3L, 4L], page1.Entries.Concat(page2.Entries).Select(e => e.Sequence));
        Assert.Equal(page1.Entries[1].Hash, page2.Entries[0].PreviousHash);

        var carols = await Client.ListTransfersAsync(new ListTransfersRequest { Account = "carol", PageSize = 1 }, As("x"), cancellationToken: Ct);
        var carols2 = await Client.ListTransfersAsync(new ListTransfersRequest { Account = "carol", PageSize = 1, PageToken = carols.NextPageToken }, As("x"), cancellationToken: Ct);
        Assert.Equal([first.TransferId, third.TransferId], carols.Transfers.Concat(carols2.Transfers).Select(t => t.TransferId));
        Assert.Equal(third, carols2.Transfers[0]);

        var missing = await RejectedAsync(Client.GetJournalEntryAsync(new GetJournalEntryRequest { Sequence = 99 }, As("x"), cancellationToken: Ct));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var unfiltered = await RejectedAsync(Client.ListTransfersAsync(new ListTransfersRequest(), As("x"), cancellationToken: Ct));
        Assert.Equal(StatusCode.InvalidArgument, unfiltered.StatusCode);
    }
}
