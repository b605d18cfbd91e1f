using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Perspective.Contracts.Ledger.V1;
using Perspective.Testing;

namespace Perspective.Ledger.Tests;

/// <summary>The seed's over-the-counter sale: a creator sells AI tokens for POV.</summary>
public sealed class SwapOfferTests(TestInfrastructure infrastructure) : LedgerTestBase(infrastructure)
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);

    protected override void Configure(WebApplicationBuilder builder) => builder.Services.AddSingleton<TimeProvider>(clock);

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        // creator-1 holds the whole supply of a model's token, GPTX.
        await Client.CreateAssetAsync(new CreateAssetRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Code = "GPTX",
            Name = "GPT-X",
            Decimals = 0,
            TotalSupply = 1_000,
            InitialHolderAccount = "creator-1",
        }, AsService, cancellationToken: Ct);
    }

    private CreateSwapOfferRequest Offer(long give = 100, long want = 5_000, string counterparty = "", TimeSpan? expiresIn = null) => new()
    {
        RequestId = Guid.NewGuid().ToString(),
        MakerAccount = "creator-1",
        GiveAsset = "GPTX",
        GiveAmount = give,
        WantAsset = "POV",
        WantAmount = want,
        CounterpartyAccount = counterparty,
        ExpiresAt = Timestamp.FromDateTimeOffset(clock.GetUtcNow() + (expiresIn ?? TimeSpan.FromHours(1))),
        Memo = "seed sale",
    };

    private async Task<Balance> FullBalanceAsync(string account, string asset) =>
        (await Client.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = asset }, As(account), cancellationToken: Ct)).Balance;

    [Fact]
    public async Task Accepting_an_offer_exchanges_both_legs_in_one_entry()
    {
        var offer = (await Client.CreateSwapOfferAsync(Offer(), As("creator-1"), cancellationToken: Ct)).Offer;
        var escrowed = await FullBalanceAsync("creator-1", "GPTX");
        Assert.Equal((1_000L, 900L, 100L), (escrowed.Total, escrowed.Available, escrowed.Held));

        var accepted = await Client.AcceptSwapOfferAsync(
            new AcceptSwapOfferRequest { RequestId = Guid.NewGuid().ToString(), OfferId = offer.OfferId, TakerAccount = "alice" }, As("alice"), cancellationToken: Ct);

        Assert.Equal(SwapOfferStatus.Accepted, accepted.Offer.Status);
        Assert.Equal("alice", accepted.Offer.TakerAccount);
        Assert.Equal(2, accepted.Transfers.Count);
        Assert.Single(accepted.Transfers.Select(t => t.Receipt.Sequence).Distinct());
        Assert.Equal(100, await BalanceAsync("alice", "GPTX"));
        Assert.Equal(AliceGenesis - 5_000, await BalanceAsync("alice"));
        Assert.Equal(5_000, await BalanceAsync("creator-1"));
        var maker = await FullBalanceAsync("creator-1", "GPTX");
        Assert.Equal((900L, 900L, 0L), (maker.Total, maker.Available, maker.Held));
    }

    [Fact]
    public async Task Canceling_returns_the_escrow_and_the_offer_cannot_be_accepted()
    {
        var offer = (await Client.CreateSwapOfferAsync(Offer(), As("creator-1"), cancellationToken: Ct)).Offer;

        var canceled = await Client.CancelSwapOfferAsync(new CancelSwapOfferRequest { RequestId = Guid.NewGuid().ToString(), OfferId = offer.OfferId },
            As("creator-1"), cancellationToken: Ct);
        var error = await RejectedAsync(Client.AcceptSwapOfferAsync(
            new AcceptSwapOfferRequest { RequestId = Guid.NewGuid().ToString(), OfferId = offer.OfferId, TakerAccount = "alice" }, As("alice"), cancellationToken: Ct));

        Assert.Equal(SwapOfferStatus.Canceled, canceled.Offer.Status);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(0, (await FullBalanceAsync("creator-1", "GPTX")).Held);
        Assert.Equal(0, await BalanceAsync("alice", "GPTX"));
    }

    [Fact]
    public async Task An_expired_offer_returns_the_escrow_by_itself()
    {
        var offer = (await Client.CreateSwapOfferAsync(Offer(expiresIn: TimeSpan.FromMinutes(10)), As("creator-1"), cancellationToken: Ct)).Offer;

        clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));

        var expired = await Eventually.WaitAsync(
            async () => (await Client.GetSwapOfferAsync(new GetSwapOfferRequest { OfferId = offer.OfferId }, As("x"), cancellationToken: Ct)).Offer,
            o => o.Status != SwapOfferStatus.Open, TimeSpan.FromSeconds(30), "the expiry sweep");
        Assert.Equal(SwapOfferStatus.Expired, expired.Status);
        Assert.Equal(0, (await FullBalanceAsync("creator-1", "GPTX")).Held);
    }

    [Fact]
    public async Task An_offer_to_one_counterparty_refuses_anyone_else_and_a_taker_without_funds()
    {
        var offer = (await Client.CreateSwapOfferAsync(Offer(counterparty: "carol"), As("creator-1"), cancellationToken: Ct)).Offer;

        var stranger = await RejectedAsync(Client.AcceptSwapOfferAsync(
            new AcceptSwapOfferRequest { RequestId = Guid.NewGuid().ToString(), OfferId = offer.OfferId, TakerAccount = "alice" }, As("alice"), cancellationToken: Ct));
        var broke = await RejectedAsync(Client.AcceptSwapOfferAsync(
            new AcceptSwapOfferRequest { RequestId = Guid.NewGuid().ToString(), OfferId = offer.OfferId, TakerAccount = "carol" }, As("carol"), cancellationToken: Ct));

        Assert.Equal(StatusCode.PermissionDenied, stranger.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, broke.StatusCode);
        Assert.Contains("insufficient available balance in carol", broke.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(100, (await FullBalanceAsync("creator-1", "GPTX")).Held);
        var open = await Client.ListSwapOffersAsync(new ListSwapOffersRequest { AcceptableBy = "carol", Status = SwapOfferStatus.Open }, As("carol"), cancellationToken: Ct);
        Assert.Equal([offer.OfferId], open.Offers.Select(o => o.OfferId));
        var notForAlice = await Client.ListSwapOffersAsync(new ListSwapOffersRequest { AcceptableBy = "alice" }, As("alice"), cancellationToken: Ct);
        Assert.Empty(notForAlice.Offers);
    }

    [Theory]
    [InlineData(0, 5, "give_amount")]
    [InlineData(10, 0, "want_amount")]
    public async Task Malformed_offers_are_invalid_arguments_naming_the_field(long give, long want, string field)
    {
        var error = await RejectedAsync(Client.CreateSwapOfferAsync(Offer(give, want), As("creator-1"), cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field + ":", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, (await FullBalanceAsync("creator-1", "GPTX")).Held);
    }

    [Fact]
    public async Task Nobody_makes_an_offer_from_another_account()
    {
        var error = await RejectedAsync(Client.CreateSwapOfferAsync(Offer(), As("mallory"), cancellationToken: Ct));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }
}
