using Google.Protobuf;
using Perspective.Contracts.Ledger.V1;
using Perspective.Ledger.Api;
using Perspective.Ledger.Domain;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.Ledger.Writer;

/// <summary>Swap offers: the give leg waits in the maker's held balance; acceptance moves both legs in one entry.</summary>
public sealed partial class LedgerWriter
{
    private static IMessage ApplyCreateSwapOffer(CreateSwapOfferCommand command, BatchWork work, DateTimeOffset committedAt)
    {
        if (command.ExpiresAt <= committedAt)
        {
            throw DomainException.InvalidArgument("expires_at", "must be in the future");
        }
        RequireKnownAsset(work, command.GiveAsset, "give_asset");
        RequireKnownAsset(work, command.WantAsset, "want_asset");
        var staged = MoveWithin(work, command.Maker, command.GiveAsset, command.GiveAmount, Bucket.Available, Bucket.Held,
            EntryKind.SwapOfferCreated, command.RequestId, command.Memo, committedAt, "give_amount");
        var sequence = staged.Entry.Sequence;
        var offer = new OfferRow(command.RequestId, command.Maker, command.GiveAsset, command.GiveAmount, command.WantAsset, command.WantAmount,
            command.Counterparty, command.ExpiresAt.UtcDateTime, (short)OfferState.Open, "", command.Memo, sequence, null, staged.Hash, committedAt.UtcDateTime);
        work.Offers[offer.OfferId] = offer;
        work.ChangedOffers.Add(offer.OfferId);
        return new CreateSwapOfferResponse { Offer = LedgerMapping.ToProto(offer, null) };
    }

    private static IMessage ApplyAcceptSwapOffer(AcceptSwapOfferCommand command, BatchWork work, DateTimeOffset committedAt)
    {
        var offer = OpenOffer(work, command.OfferId, committedAt);
        if (command.Taker == offer.MakerAccount)
        {
            throw DomainException.PermissionDenied("the maker cannot accept its own offer");
        }
        if (offer.CounterpartyAccount.Length > 0 && offer.CounterpartyAccount != command.Taker)
        {
            throw DomainException.PermissionDenied($"offer {offer.OfferId} is addressed to {offer.CounterpartyAccount}");
        }
        var makerGive = work.BalanceOf(offer.MakerAccount, offer.GiveAsset);
        var takerGive = work.BalanceOf(command.Taker, offer.GiveAsset);
        var takerWant = work.BalanceOf(command.Taker, offer.WantAsset);
        var makerWant = work.BalanceOf(offer.MakerAccount, offer.WantAsset);
        if (takerWant.Available < offer.WantAmount)
        {
            throw DomainException.FailedPrecondition(
                $"insufficient available balance in {command.Taker}: {takerWant.Available} {offer.WantAsset} base units available, {offer.WantAmount} needed");
        }
        BalanceRow takerGiveAfter, makerWantAfter;
        try
        {
            takerGiveAfter = takerGive with { Total = checked(takerGive.Total + offer.GiveAmount) };
            makerWantAfter = makerWant with { Total = checked(makerWant.Total + offer.WantAmount) };
        }
        catch (OverflowException)
        {
            throw DomainException.FailedPrecondition("accepting would overflow a balance");
        }
        var sequence = work.HeadSequence + 1;
        var entry = new JournalRecord(sequence, EntryKind.SwapOfferAccepted, offer.OfferId, offer.Memo, ToMicros(committedAt),
        [
            new PostingRecord(offer.MakerAccount, offer.GiveAsset, Bucket.Held, -offer.GiveAmount),
            new PostingRecord(command.Taker, offer.GiveAsset, Bucket.Available, offer.GiveAmount),
            new PostingRecord(command.Taker, offer.WantAsset, Bucket.Available, -offer.WantAmount),
            new PostingRecord(offer.MakerAccount, offer.WantAsset, Bucket.Available, offer.WantAmount),
        ]);
        var staged = work.Commit(entry, committedAt, new Dictionary<(string, string), BalanceRow>
        {
            [(offer.MakerAccount, offer.GiveAsset)] = makerGive with { Total = makerGive.Total - offer.GiveAmount, Held = makerGive.Held - offer.GiveAmount },
            [(command.Taker, offer.GiveAsset)] = takerGiveAfter,
            [(command.Taker, offer.WantAsset)] = takerWant with { Total = takerWant.Total - offer.WantAmount },
            [(offer.MakerAccount, offer.WantAsset)] = makerWantAfter,
        });
        var at = committedAt.UtcDateTime;
        var give = new TransferRow($"{offer.OfferId}/give", (short)TransferKind.Swap, offer.MakerAccount, command.Taker, offer.GiveAsset, offer.GiveAmount,
            offer.Memo, offer.OfferId, sequence, at);
        var want = new TransferRow($"{offer.OfferId}/want", (short)TransferKind.Swap, command.Taker, offer.MakerAccount, offer.WantAsset, offer.WantAmount,
            offer.Memo, offer.OfferId, sequence, at);
        work.Transfers.Add(give);
        work.Transfers.Add(want);
        var accepted = offer with { Status = (short)OfferState.Accepted, TakerAccount = command.Taker, ClosedSequence = sequence };
        work.Offers[offer.OfferId] = accepted;
        work.ChangedOffers.Add(offer.OfferId);
        var receipt = Receipt(staged);
        var response = new AcceptSwapOfferResponse { Offer = LedgerMapping.ToProto(accepted, receipt) };
        response.Transfers.Add(LedgerMapping.ToProto(give, receipt));
        response.Transfers.Add(LedgerMapping.ToProto(want, receipt));
        return response;
    }

    private static IMessage ApplyCancelSwapOffer(CancelSwapOfferCommand command, BatchWork work, DateTimeOffset committedAt)
    {
        if (!work.Offers.TryGetValue(command.OfferId, out var offer))
        {
            throw DomainException.NotFound($"swap offer {command.OfferId} not found");
        }
        if (offer.MakerAccount != command.Actor.Account)
        {
            throw DomainException.PermissionDenied($"only {offer.MakerAccount}, who made offer {offer.OfferId}, may cancel it");
        }
        if (offer.State != OfferState.Open)
        {
            throw DomainException.FailedPrecondition($"swap offer {offer.OfferId} is {offer.State.ToString().ToLowerInvariant()}, not open");
        }
        var (canceled, receipt) = CloseOffer(work, offer, OfferState.Canceled, committedAt);
        return new CancelSwapOfferResponse { Offer = LedgerMapping.ToProto(canceled, receipt) };
    }

    private static OfferRow OpenOffer(BatchWork work, string offerId, DateTimeOffset committedAt)
    {
        if (!work.Offers.TryGetValue(offerId, out var offer))
        {
            throw DomainException.NotFound($"swap offer {offerId} not found");
        }
        if (offer.State != OfferState.Open)
        {
            throw DomainException.FailedPrecondition($"swap offer {offerId} is {offer.State.ToString().ToLowerInvariant()}, not open");
        }
        if (offer.ExpiresAt <= committedAt.UtcDateTime)
        {
            throw DomainException.FailedPrecondition($"swap offer {offerId} expired at {offer.ExpiresAt:O}");
        }
        return offer;
    }

    /// <summary>Returns the escrow to the maker: cancel or expiry.</summary>
    private static (OfferRow Offer, Receipt Receipt) CloseOffer(BatchWork work, OfferRow offer, OfferState state, DateTimeOffset committedAt)
    {
        var staged = MoveWithin(work, offer.MakerAccount, offer.GiveAsset, offer.GiveAmount, Bucket.Held, Bucket.Available,
            state == OfferState.Expired ? EntryKind.SwapOfferExpired : EntryKind.SwapOfferCanceled, offer.OfferId, offer.Memo, committedAt);
        var sequence = staged.Entry.Sequence;
        var closed = offer with { Status = (short)state, ClosedSequence = sequence };
        work.Offers[offer.OfferId] = closed;
        work.ChangedOffers.Add(offer.OfferId);
        return (closed, Receipt(staged));
    }
}
