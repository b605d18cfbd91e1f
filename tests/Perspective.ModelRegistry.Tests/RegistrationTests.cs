using Dapper;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.ModelRegistry.Domain;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;
using ModelRegistered = Perspective.Contracts.Events.Registry.V1.ModelRegistered;

namespace Perspective.ModelRegistry.Tests;

public sealed class RegistrationTests(TestInfrastructure infrastructure) : RegistryTestBase(infrastructure)
{
    [Fact]
    public async Task Register_lists_the_model_mints_the_whole_supply_to_the_creator_and_publishes_ModelRegistered()
    {
        var registered = await Bus.ObserveAsync<ModelRegistered>();

        var model = await RegisterAsync(NewModel("Sage", "sage", supply: 21_000_000, price: 40, unit: UsageUnit.ThousandOutputTokens), creator: "carol");

        Assert.Equal(("Sage", "carol", "provider-1", "SAGE", 21_000_000L), (model.Name, model.CreatorAccount, model.ProviderAccount, model.Token.Symbol, model.Token.TotalSupply));
        Assert.Equal(new Price { AmountPerUnit = 40, Unit = UsageUnit.ThousandOutputTokens }, model.Price);
        Assert.Equal(ModelStatus.Listed, model.Status);
        Assert.Equal($"treasury:{model.ModelId}", model.TreasuryAccount);
        Assert.Equal(1, model.Version);
        Assert.Equal(Timestamp.FromDateTimeOffset(Start), model.CreatedAt);
        Assert.Equal(model, await GetAsync(model.ModelId));
        Assert.Equal(21_000_000, await LedgerBalanceAsync("carol", "SAGE"));
        var asset = (await Ledger.GetAssetAsync(new GetAssetRequest { Code = "SAGE" }, As("anyone"), cancellationToken: Ct)).Asset;
        Assert.Equal(("carol", 21_000_000L, 6), (asset.InitialHolderAccount, asset.TotalSupply, asset.Decimals));
        var published = await registered.WaitForAsync(e => e.ModelId == model.ModelId);
        Assert.Equal(new ModelRegistered(model.ModelId, "Sage", "carol", "provider-1", "SAGE", 6, 21_000_000, 40,
            Contracts.Events.Registry.V1.PriceUnit.ThousandOutputTokens, Contracts.Events.Registry.V1.ModelStatus.Listed, Start), published);
        var history = Assert.Single(await HistoryAsync(model.ModelId));
        Assert.Equal((1L, ModelChangeKind.Registered, ModelChangeSource.Creator, "carol", ModelStatus.Listed),
            (history.Version, history.Kind, history.Source, history.ActorAccount, history.NewStatus));
        Assert.Null(history.OldPrice);
        Assert.Equal(model.Price, history.NewPrice);
    }

    [Fact]
    public async Task Register_retried_with_the_same_request_returns_the_same_model_and_creates_one_asset()
    {
        var request = NewModel("Echo", "ECHO", supply: 500);

        var first = await RegisterAsync(request);
        var second = await RegisterAsync(request);

        Assert.Equal(first, second);
        Assert.Single(await AllModelsAsync());
        Assert.Equal(["ECHO", "POV"], (await LedgerAssetCodesAsync()).Order());
        Assert.Equal(500, await LedgerBalanceAsync("carol", "ECHO"));
        Assert.Equal(1, await OutboxCountAsync<ModelRegistered>());
    }

    [Fact]
    public async Task Register_sent_20_times_at_once_yields_one_model_one_asset_and_one_event()
    {
        var request = NewModel("Swarm", "SWRM", supply: 7_777);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => RegisterAsync(request)));

        Assert.All(answers, answer => Assert.Equal(answers[0], answer));
        Assert.Single(await AllModelsAsync());
        Assert.Equal(["POV", "SWRM"], (await LedgerAssetCodesAsync()).Order());
        Assert.Equal(7_777, await LedgerBalanceAsync("carol", "SWRM"));
        Assert.Equal(1, await OutboxCountAsync<ModelRegistered>());
        Assert.Single(await HistoryAsync(answers[0].ModelId));
    }

    [Fact]
    public async Task Register_with_a_reused_request_id_and_other_content_is_already_exists_and_changes_nothing()
    {
        var request = NewModel("Orig", "ORIG");
        var original = await RegisterAsync(request);
        var changed = request.Clone();
        changed.Price.AmountPerUnit = 26;

        var error = await RejectedAsync(Client.RegisterModelAsync(changed, As("carol"), cancellationToken: Ct));
        // The caller is part of the content: another account cannot claim the same request.
        var otherCaller = await RejectedAsync(Client.RegisterModelAsync(request, As("mallory"), cancellationToken: Ct));

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.StartsWith("request_id:", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.AlreadyExists, otherCaller.StatusCode);
        Assert.Equal(original, await GetAsync(original.ModelId));
        Assert.Single(await AllModelsAsync());
    }

    [Fact]
    public async Task Register_with_a_taken_name_or_symbol_in_any_case_is_already_exists_naming_the_field()
    {
        await RegisterAsync(NewModel("Atlas", "ATLS"));

        var name = await RejectedAsync(Client.RegisterModelAsync(NewModel("atlas", "OTHER"), As("dave"), cancellationToken: Ct));
        var symbol = await RejectedAsync(Client.RegisterModelAsync(NewModel("Atlas Two", "atls"), As("dave"), cancellationToken: Ct));

        Assert.Equal((StatusCode.AlreadyExists, StatusCode.AlreadyExists), (name.StatusCode, symbol.StatusCode));
        Assert.StartsWith("name:", name.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("token.symbol:", symbol.Status.Detail, StringComparison.Ordinal);
        Assert.Single(await AllModelsAsync());
        Assert.Equal(["ATLS", "POV"], (await LedgerAssetCodesAsync()).Order());
    }

    public static TheoryData<string, string> InvalidRequests => new()
    {
        { "request_id", "request_id" }, { "request_id not a uuid", "request_id" }, { "name empty", "name" }, { "name too long", "name" },
        { "name padded", "name" }, { "description too long", "description" }, { "provider missing", "provider_account" },
        { "provider malformed", "provider_account" }, { "provider treasury", "provider_account" }, { "token missing", "token" },
        { "symbol lowercase pov", "token.symbol" }, { "symbol one char", "token.symbol" }, { "symbol punctuation", "token.symbol" },
        { "symbol too long", "token.symbol" }, { "token name empty", "token.name" }, { "decimals 10", "token.decimals" },
        { "decimals negative", "token.decimals" }, { "supply zero", "token.total_supply" }, { "supply negative", "token.total_supply" },
        { "price missing", "price" }, { "price negative", "price.amount_per_unit" }, { "unit unspecified", "price.unit" },
        { "unit unknown", "price.unit" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Register_with_invalid_input_is_invalid_argument_naming_the_field_and_creates_nothing(string @case, string field)
    {
        var request = NewModel("Valid", "VALID");
        Mutate(request, @case);

        var error = await RejectedAsync(Client.RegisterModelAsync(request, As("carol"), cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith($"{field}:", error.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(await AllModelsAsync());
        Assert.Equal(["POV"], await LedgerAssetCodesAsync());
        Assert.Equal(0, await RegistryScalarAsync<int>("select count(*)::int from models"));
    }

    private static void Mutate(RegisterModelRequest request, string @case)
    {
        switch (@case)
        {
            case "request_id": request.RequestId = ""; break;
            case "request_id not a uuid": request.RequestId = "req-1"; break;
            case "name empty": request.Name = ""; break;
            case "name too long": request.Name = new string('n', 101); break;
            case "name padded": request.Name = " Valid"; break;
            case "description too long": request.Description = new string('d', 4_001); break;
            case "provider missing": request.ProviderAccount = ""; break;
            case "provider malformed": request.ProviderAccount = "pro vider"; break;
            case "provider treasury": request.ProviderAccount = "treasury:x"; break;
            case "token missing": request.Token = null; break;
            case "symbol lowercase pov": request.Token.Symbol = "pov"; break;
            case "symbol one char": request.Token.Symbol = "A"; break;
            case "symbol punctuation": request.Token.Symbol = "AB-C"; break;
            case "symbol too long": request.Token.Symbol = "ABCDEFGHIJKLM"; break;
            case "token name empty": request.Token.Name = " "; break;
            case "decimals 10": request.Token.Decimals = 10; break;
            case "decimals negative": request.Token.Decimals = -1; break;
            case "supply zero": request.Token.TotalSupply = 0; break;
            case "supply negative": request.Token.TotalSupply = -5; break;
            case "price missing": request.Price = null; break;
            case "price negative": request.Price.AmountPerUnit = -1; break;
            case "unit unspecified": request.Price.Unit = UsageUnit.Unspecified; break;
            case "unit unknown": request.Price.Unit = (UsageUnit)99; break;
            default: throw new ArgumentOutOfRangeException(nameof(@case), @case, "no such case");
        }
    }

    [Fact]
    public async Task Register_with_a_free_price_is_allowed()
    {
        var model = await RegisterAsync(NewModel("Gratis", "FREE", price: 0));

        Assert.Equal(0, model.Price.AmountPerUnit);
    }

    [Fact]
    public async Task Register_by_a_service_or_admin_token_is_permission_denied()
    {
        var error = await RejectedAsync(Client.RegisterModelAsync(NewModel("Svc", "SVC"), As("service:x", Roles.Service), cancellationToken: Ct));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(["POV"], await LedgerAssetCodesAsync());
    }

    [Fact]
    public async Task Register_while_the_ledger_is_down_is_unavailable_shows_nothing_and_a_retry_after_it_is_back_completes_once()
    {
        var port = FreePort.Next();
        var address = $"http://127.0.0.1:{port}";
        await using var registry = await StartRegistryAsync(await Infrastructure.CreateDatabaseAsync("registry"), address);
        var client = new ModelRegistryService.ModelRegistryServiceClient(registry.Channel);
        var request = NewModel("Phoenix", "PHNX", supply: 9_000);

        var down = await RejectedAsync(client.RegisterModelAsync(request, As("carol"), cancellationToken: Ct));

        Assert.Equal(StatusCode.Unavailable, down.StatusCode);
        Assert.Empty((await client.ListModelsAsync(new ListModelsRequest(), As("carol"), cancellationToken: Ct)).Models);
        var pendingId = await ScalarAsync<Guid>(registry, "select model_id from models");
        var hidden = await RejectedAsync(client.GetModelAsync(new GetModelRequest { ModelId = pendingId.ToString() }, As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.NotFound, hidden.StatusCode);

        var ledger = await StartLedgerAsync(await Infrastructure.CreateDatabaseAsync("ledger"), address);
        // As a client would: retry with the same request until the registry's channel has reconnected (it backs off).
        var model = await Eventually.WaitAsync(async () =>
        {
            try
            {
                return (await client.RegisterModelAsync(request, As("carol"), cancellationToken: Ct)).Model;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
            {
                return null;
            }
        }, answer => answer is not null, TimeSpan.FromSeconds(60), "registration after the Ledger is back");

        Assert.Equal((pendingId.ToString(), ModelStatus.Listed), (model!.ModelId, model.Status));
        var ledgerClient = new LedgerService.LedgerServiceClient(ledger.Channel);
        Assert.Equal(9_000, (await ledgerClient.GetBalanceAsync(new GetBalanceRequest { Account = "carol", Asset = "PHNX" }, As("carol"), cancellationToken: Ct)).Balance.Total);
        Assert.Equal(["PHNX", "POV"], (await ledgerClient.ListAssetsAsync(new ListAssetsRequest(), As("carol"), cancellationToken: Ct)).Assets.Select(a => a.Code).Order());
    }

    [Fact]
    public async Task A_crash_after_the_ledger_minted_and_a_restart_end_in_one_model_and_one_asset()
    {
        // The registry's first attempt leaves its pending row (the Ledger is unreachable for it)...
        var database = await Infrastructure.CreateDatabaseAsync("registry");
        var request = NewModel("Lazarus", "LZRS", supply: 4_242);
        await using (var crashed = await StartRegistryAsync(database, $"http://127.0.0.1:{FreePort.Next()}"))
        {
            var error = await RejectedAsync(new ModelRegistryService.ModelRegistryServiceClient(crashed.Channel)
                .RegisterModelAsync(request, As("carol"), cancellationToken: Ct));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        }
        // ...and the Ledger did create the asset: the answer was lost. This is the registry's own call, replayed.
        await using var db = new NpgsqlConnection(database);
        var modelId = await db.ExecuteScalarAsync<Guid>("select model_id from models");
        await Ledger.CreateAssetAsync(new CreateAssetRequest
        {
            RequestId = DerivedIds.LedgerAssetRequest(modelId).ToString(),
            Code = "LZRS",
            Name = "Lazarus token",
            Decimals = 6,
            TotalSupply = 4_242,
            InitialHolderAccount = "carol",
        }, As("service:registry", Roles.Service), cancellationToken: Ct);

        await using var restarted = await StartRegistryAsync(database, LedgerService.Address);
        var model = (await new ModelRegistryService.ModelRegistryServiceClient(restarted.Channel)
            .RegisterModelAsync(request, As("carol"), cancellationToken: Ct)).Model;

        Assert.Equal((modelId.ToString(), ModelStatus.Listed), (model.ModelId, model.Status));
        Assert.Equal(["LZRS", "POV"], (await LedgerAssetCodesAsync()).Order());
        Assert.Equal(4_242, await LedgerBalanceAsync("carol", "LZRS"));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*)::int from outbox_messages where message_type = @t",
            new { t = typeof(ModelRegistered).FullName }));
    }

    [Fact]
    public async Task Register_with_a_symbol_that_already_exists_on_the_ledger_is_already_exists_and_frees_the_name()
    {
        await Ledger.CreateAssetAsync(new CreateAssetRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Code = "TAKEN",
            Name = "Someone else's",
            Decimals = 0,
            TotalSupply = 10,
            InitialHolderAccount = "bob",
        }, As("root", Roles.Admin), cancellationToken: Ct);
        var request = NewModel("Squatted", "taken");

        var error = await RejectedAsync(Client.RegisterModelAsync(request, As("carol"), cancellationToken: Ct));
        var retry = await RejectedAsync(Client.RegisterModelAsync(request, As("carol"), cancellationToken: Ct));
        var renamed = await RegisterAsync(NewModel("Squatted", "FREE1"));

        Assert.Equal((StatusCode.AlreadyExists, StatusCode.AlreadyExists), (error.StatusCode, retry.StatusCode));
        Assert.StartsWith("token.symbol:", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(error.Status.Detail, retry.Status.Detail);
        Assert.Equal([renamed.ModelId], (await AllModelsAsync()).Select(m => m.ModelId));
        Assert.Equal(10, await LedgerBalanceAsync("bob", "TAKEN"));
        Assert.Equal(0, await LedgerBalanceAsync("carol", "TAKEN"));
    }

    private static async Task<T> ScalarAsync<T>(ServiceUnderTest service, string sql)
    {
        await using var db = new NpgsqlConnection(service.DatabaseConnectionString);
        return (await db.ExecuteScalarAsync<T>(sql))!;
    }
}
