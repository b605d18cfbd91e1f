using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Perspective.Contracts.Ledger.V1;
using Perspective.Testing;

namespace Perspective.Ledger.Tests;

/// <summary>Every mutating RPC refuses malformed input with INVALID_ARGUMENT naming the field, and the journal head does not move.</summary>
public sealed class MalformedInputTests(TestInfrastructure infrastructure) : LedgerTestBase(infrastructure)
{
    private static string Id() => Guid.NewGuid().ToString();

    private static Timestamp Later => Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1));

    public static TheoryData<string, string> Cases => new()
    {
        { "CreateAsset without request_id", "request_id" },
        { "CreateAsset with a lower-case code", "code" },
        { "CreateAsset for an issuance account", "initial_holder_account" },
        { "Transfer without from_account", "from_account" },
        { "TransferBatch without legs", "legs" },
        { "TransferBatch with a negative leg", "legs[1].amount" },
        { "TransferBatch with a leg id twice", "legs[1].transfer_id" },
        { "CreateHold without expires_at", "expires_at" },
        { "CreateHold with amount 0", "amount" },
        { "PostHold without hold_id", "hold_id" },
        { "PostHold with amount 0", "amount" },
        { "VoidHold with a bad request_id", "request_id" },
        { "Lock without until", "until" },
        { "Lock with an overflowing amount sign", "amount" },
        { "Unlock without lock_id", "lock_id" },
        { "CreateSwapOffer of one asset for itself", "want_asset" },
        { "CreateSwapOffer to its own maker", "counterparty_account" },
        { "AcceptSwapOffer without offer_id", "offer_id" },
        { "CancelSwapOffer without request_id", "request_id" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_malformed_request_is_an_invalid_argument_naming_the_field_and_changes_nothing(string @case, string field)
    {
        var head = await HeadAsync();
        var alice = As("alice");
        var leg = new TransferLeg { TransferId = Id(), FromAccount = "alice", ToAccount = "carol", Asset = "POV", Amount = 1 };
        AsyncUnaryCall<IMessage> call = @case switch
        {
            "CreateAsset without request_id" => Cast(Client.CreateAssetAsync(new CreateAssetRequest
            { Code = "ABC", Name = "A", Decimals = 0, TotalSupply = 1, InitialHolderAccount = "x" }, AsService, cancellationToken: Ct)),
            "CreateAsset with a lower-case code" => Cast(Client.CreateAssetAsync(new CreateAssetRequest
            { RequestId = Id(), Code = "abc", Name = "A", Decimals = 0, TotalSupply = 1, InitialHolderAccount = "x" }, AsService, cancellationToken: Ct)),
            "CreateAsset for an issuance account" => Cast(Client.CreateAssetAsync(new CreateAssetRequest
            { RequestId = Id(), Code = "ABC", Name = "A", Decimals = 0, TotalSupply = 1, InitialHolderAccount = "issuance:ABC" }, AsService, cancellationToken: Ct)),
            "Transfer without from_account" => Cast(Client.TransferAsync(Pay("", "carol", 1), AsService, cancellationToken: Ct)),
            "TransferBatch without legs" => Cast(Client.TransferBatchAsync(new TransferBatchRequest { RequestId = Id() }, alice, cancellationToken: Ct)),
            "TransferBatch with a negative leg" => Cast(Client.TransferBatchAsync(new TransferBatchRequest
            { RequestId = Id(), Legs = { leg, new TransferLeg(leg) { TransferId = Id(), Amount = -1 } } }, alice, cancellationToken: Ct)),
            "TransferBatch with a leg id twice" => Cast(Client.TransferBatchAsync(new TransferBatchRequest
            { RequestId = Id(), Legs = { leg, new TransferLeg(leg) } }, alice, cancellationToken: Ct)),
            "CreateHold without expires_at" => Cast(Client.CreateHoldAsync(new CreateHoldRequest
            { RequestId = Id(), FromAccount = "alice", ToAccount = "p", Asset = "POV", Amount = 1 }, alice, cancellationToken: Ct)),
            "CreateHold with amount 0" => Cast(Client.CreateHoldAsync(new CreateHoldRequest
            { RequestId = Id(), FromAccount = "alice", ToAccount = "p", Asset = "POV", Amount = 0, ExpiresAt = Later }, alice, cancellationToken: Ct)),
            "PostHold without hold_id" => Cast(Client.PostHoldAsync(new PostHoldRequest { RequestId = Id(), Amount = 1 }, alice, cancellationToken: Ct)),
            "PostHold with amount 0" => Cast(Client.PostHoldAsync(new PostHoldRequest { RequestId = Id(), HoldId = Id(), Amount = 0 }, alice, cancellationToken: Ct)),
            "VoidHold with a bad request_id" => Cast(Client.VoidHoldAsync(new VoidHoldRequest { RequestId = "42", HoldId = Id() }, alice, cancellationToken: Ct)),
            "Lock without until" => Cast(Client.LockAsync(new LockRequest { RequestId = Id(), Account = "alice", Asset = "POV", Amount = 1 }, alice, cancellationToken: Ct)),
            "Lock with an overflowing amount sign" => Cast(Client.LockAsync(new LockRequest
            { RequestId = Id(), Account = "alice", Asset = "POV", Amount = long.MinValue, Until = Later }, alice, cancellationToken: Ct)),
            "Unlock without lock_id" => Cast(Client.UnlockAsync(new UnlockRequest { RequestId = Id() }, alice, cancellationToken: Ct)),
            "CreateSwapOffer of one asset for itself" => Cast(Client.CreateSwapOfferAsync(new CreateSwapOfferRequest
            {
                RequestId = Id(),
                MakerAccount = "alice",
                GiveAsset = "POV",
                GiveAmount = 1,
                WantAsset = "POV",
                WantAmount = 1,
                ExpiresAt = Later,
            }, alice, cancellationToken: Ct)),
            "CreateSwapOffer to its own maker" => Cast(Client.CreateSwapOfferAsync(new CreateSwapOfferRequest
            {
                RequestId = Id(),
                MakerAccount = "alice",
                GiveAsset = "POV",
                GiveAmount = 1,
                WantAsset = "ABC",
                WantAmount = 1,
                CounterpartyAccount = "alice",
                ExpiresAt = Later,
            }, alice, cancellationToken: Ct)),
            "AcceptSwapOffer without offer_id" => Cast(Client.AcceptSwapOfferAsync(new AcceptSwapOfferRequest { RequestId = Id(), TakerAccount = "alice" }, alice, cancellationToken: Ct)),
            "CancelSwapOffer without request_id" => Cast(Client.CancelSwapOfferAsync(new CancelSwapOfferRequest { OfferId = Id() }, alice, cancellationToken: Ct)),
            _ => throw new ArgumentOutOfRangeException(nameof(@case)),
        };

        var error = await RejectedAsync(call);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field + ":", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(head, await HeadAsync());
    }

    private static AsyncUnaryCall<IMessage> Cast<T>(AsyncUnaryCall<T> call) where T : IMessage =>
        new(call.ResponseAsync.ContinueWith(t => (IMessage)t.GetAwaiter().GetResult(), TaskScheduler.Default),
            call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
}
