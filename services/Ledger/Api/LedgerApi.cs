using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.Ledger.V1;
using Perspective.Ledger.Data;
using Perspective.Ledger.Domain;
using Perspective.Ledger.Writer;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.Ledger.Api;

/// <summary>
/// gRPC endpoints of <c>perspective.ledger.v1.LedgerService</c>: check input, hand changes to the single writer, read
/// committed state. Who may call what, and for which account, is the access table's (ServiceDefaults Auth/AccessTable.cs). RPCs not overridden here answer UNIMPLEMENTED until their issue lands.
/// </summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class LedgerApi(LedgerWriter writer, LedgerReads reads) : LedgerService.LedgerServiceBase
{
    public override async Task<CreateAssetResponse> CreateAsset(CreateAssetRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        LedgerRules.NewAsset(request.Code, request.Name, request.Decimals, request.TotalSupply);
        LedgerRules.Account("initial_holder_account", request.InitialHolderAccount);
        if (LedgerRules.IsIssuance(request.InitialHolderAccount))
        {
            throw DomainException.InvalidArgument("initial_holder_account", "must not be an issuance account");
        }
        var command = new CreateAssetCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), request.Code, request.Name, request.Decimals,
            request.TotalSupply, [new Allocation(request.InitialHolderAccount, request.TotalSupply)]);
        return (CreateAssetResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<GetAssetResponse> GetAsset(GetAssetRequest request, ServerCallContext context)
    {
        LedgerRules.AssetCode("code", request.Code);
        var asset = await reads.AssetAsync(request.Code, context.CancellationToken) ?? throw DomainException.NotFound($"asset {request.Code} not found");
        return new GetAssetResponse { Asset = LedgerMapping.ToProto(asset) };
    }

    public override async Task<ListAssetsResponse> ListAssets(ListAssetsRequest request, ServerCallContext context)
    {
        var size = Paging.Size(request.PageSize);
        var assets = await reads.AssetsAsync(Paging.After(request.PageToken), size, context.CancellationToken);
        var response = new ListAssetsResponse { NextPageToken = Paging.NextToken(assets.LastOrDefault()?.Code ?? "", assets.Count, size) };
        response.Assets.AddRange(assets.Select(LedgerMapping.ToProto));
        return response;
    }

    public override async Task<TransferResponse> Transfer(TransferRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        LedgerRules.Leg("", request.FromAccount, request.ToAccount, request.Asset, request.Amount, request.Memo);
        var leg = new LegInput(request.RequestId, request.FromAccount, request.ToAccount, request.Asset, request.Amount, request.Memo);
        var command = new TransferCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), [leg], IsBatch: false);
        return (TransferResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<TransferBatchResponse> TransferBatch(TransferBatchRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        if (request.Legs.Count is 0 or > LedgerRules.BatchLegsMax)
        {
            throw DomainException.InvalidArgument("legs", $"must hold 1 to {LedgerRules.BatchLegsMax} legs");
        }
        var legIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Legs.Count; i++)
        {
            var leg = request.Legs[i];
            LedgerRules.RequestId($"legs[{i}].transfer_id", leg.TransferId);
            if (!legIds.Add(leg.TransferId))
            {
                throw DomainException.InvalidArgument($"legs[{i}].transfer_id", "appears twice in the batch");
            }
            LedgerRules.Leg($"legs[{i}].", leg.FromAccount, leg.ToAccount, leg.Asset, leg.Amount, leg.Memo);
        }
        var legs = request.Legs.Select(l => new LegInput(l.TransferId, l.FromAccount, l.ToAccount, l.Asset, l.Amount, l.Memo)).ToList();
        var command = new TransferCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), legs, IsBatch: true);
        return (TransferBatchResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<GetTransferResponse> GetTransfer(GetTransferRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.TransferId))
        {
            throw DomainException.InvalidArgument("transfer_id", "is required");
        }
        var transfer = await reads.TransferAsync(request.TransferId, context.CancellationToken)
                       ?? throw DomainException.NotFound($"transfer {request.TransferId} not found");
        var hash = await reads.HashAtAsync(transfer.Sequence, context.CancellationToken);
        return new GetTransferResponse
        {
            Transfer = LedgerMapping.ToProto(transfer, new Receipt
            {
                Sequence = transfer.Sequence,
                Hash = Convert.ToHexStringLower(hash!),
                CommittedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(transfer.CommittedAt, DateTimeKind.Utc)),
            }),
        };
    }

    public override async Task<GetBalanceResponse> GetBalance(GetBalanceRequest request, ServerCallContext context)
    {
        LedgerRules.Account("account", request.Account);
        LedgerRules.AssetCode("asset", request.Asset);
        var head = await reads.HeadAsync(context.CancellationToken);
        var balance = await reads.BalanceAsync(request.Account, request.Asset, context.CancellationToken);
        return new GetBalanceResponse { Balance = ToProto(request.Account, request.Asset, balance, head.Sequence) };
    }

    public override async Task<ListBalancesResponse> ListBalances(ListBalancesRequest request, ServerCallContext context)
    {
        LedgerRules.Account("account", request.Account);
        var size = Paging.Size(request.PageSize);
        var head = await reads.HeadAsync(context.CancellationToken);
        var balances = await reads.BalancesAsync(request.Account, Paging.After(request.PageToken), size, context.CancellationToken);
        var response = new ListBalancesResponse { NextPageToken = Paging.NextToken(balances.LastOrDefault().Asset ?? "", balances.Count, size) };
        response.Balances.AddRange(balances.Select(b => ToProto(request.Account, b.Asset, b.Balance, head.Sequence)));
        return response;
    }

    public override async Task<GetHeadResponse> GetHead(GetHeadRequest request, ServerCallContext context)
    {
        var head = await reads.HeadAsync(context.CancellationToken);
        var response = new GetHeadResponse { Sequence = head.Sequence, Hash = Convert.ToHexStringLower(head.Hash) };
        if (head.CommittedAt is { } at)
        {
            response.CommittedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(at, DateTimeKind.Utc));
        }
        return response;
    }

    public override async Task<GetBalanceAtResponse> GetBalanceAt(GetBalanceAtRequest request, ServerCallContext context)
    {
        LedgerRules.Account("account", request.Account);
        LedgerRules.AssetCode("asset", request.Asset);
        await SnapshotSequence(request.Sequence, context);
        var total = await reads.BalanceAtAsync(request.Account, request.Asset, request.Sequence, context.CancellationToken);
        return new GetBalanceAtResponse { Account = request.Account, Asset = request.Asset, Sequence = request.Sequence, Total = total };
    }

    public override async Task<GetSupplyAtResponse> GetSupplyAt(GetSupplyAtRequest request, ServerCallContext context)
    {
        LedgerRules.AssetCode("asset", request.Asset);
        await SnapshotSequence(request.Sequence, context);
        // Σ balances = 0, so what holders own is what the issuance account has given out.
        var issuance = await reads.BalanceAtAsync(LedgerRules.IssuanceAccount(request.Asset), request.Asset, request.Sequence, context.CancellationToken);
        return new GetSupplyAtResponse { Asset = request.Asset, Sequence = request.Sequence, Supply = -issuance };
    }

    public override async Task<ListHoldersResponse> ListHolders(ListHoldersRequest request, ServerCallContext context)
    {
        LedgerRules.AssetCode("asset", request.Asset);
        await SnapshotSequence(request.Sequence, context);
        var size = Paging.Size(request.PageSize);
        var holders = await reads.HoldersAtAsync(request.Asset, request.Sequence, Paging.After(request.PageToken), size, context.CancellationToken);
        var response = new ListHoldersResponse
        {
            Asset = request.Asset,
            Sequence = request.Sequence,
            NextPageToken = Paging.NextToken(holders.LastOrDefault().Account ?? "", holders.Count, size),
        };
        response.Holders.AddRange(holders.Select(h => new Holder { Account = h.Account, Balance = h.Total }));
        return response;
    }

    public override async Task<VerifyJournalResponse> VerifyJournal(VerifyJournalRequest request, ServerCallContext context)
    {
        var head = await reads.HeadAsync(context.CancellationToken);
        var from = Math.Max(1, request.FromSequence);
        var to = request.ToSequence == 0 ? head.Sequence : request.ToSequence;
        if (request.FromSequence < 0 || request.ToSequence < 0 || to > head.Sequence || (to < from && head.Sequence > 0))
        {
            throw DomainException.InvalidArgument("to_sequence", $"the range must lie within 1..{head.Sequence} (the head) with from ≤ to");
        }
        var verification = await JournalVerifier.VerifyAsync(reads, from, to, context.CancellationToken);
        return verification;
    }

    public override async Task<CreateHoldResponse> CreateHold(CreateHoldRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        LedgerRules.Leg("", request.FromAccount, request.ToAccount, request.Asset, request.Amount, request.Memo);
        var expiresAt = RequiredTime("expires_at", request.ExpiresAt);
        var command = new CreateHoldCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), ActorOf(context), request.FromAccount, request.ToAccount,
            request.Asset, request.Amount, expiresAt, request.Memo);
        return (CreateHoldResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<PostHoldResponse> PostHold(PostHoldRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        RequiredId("hold_id", request.HoldId);
        LedgerRules.PositiveAmount("amount", request.Amount);
        var command = new PostHoldCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), ActorOf(context), request.HoldId, request.Amount);
        return (PostHoldResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<VoidHoldResponse> VoidHold(VoidHoldRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        RequiredId("hold_id", request.HoldId);
        var command = new VoidHoldCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), ActorOf(context), request.HoldId);
        return (VoidHoldResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<GetHoldResponse> GetHold(GetHoldRequest request, ServerCallContext context)
    {
        RequiredId("hold_id", request.HoldId);
        var hold = await reads.HoldAsync(request.HoldId, context.CancellationToken) ?? throw DomainException.NotFound($"hold {request.HoldId} not found");
        return new GetHoldResponse { Hold = LedgerMapping.ToProto(hold, await ReceiptAsync(hold.ClosedSequence, context)) };
    }

    public override async Task<ListHoldsResponse> ListHolds(ListHoldsRequest request, ServerCallContext context)
    {
        LedgerRules.Account("account", request.Account);
        var size = Paging.Size(request.PageSize);
        var holds = await reads.HoldsAsync(request.Account, (short)request.Status, Paging.After(request.PageToken), size, context.CancellationToken);
        var response = new ListHoldsResponse { NextPageToken = Paging.NextToken(holds.LastOrDefault()?.HoldId ?? "", holds.Count, size) };
        var closed = await ReceiptsAsync(holds.Select(h => h.ClosedSequence), context);
        response.Holds.AddRange(holds.Select(hold => LedgerMapping.ToProto(hold, closed(hold.ClosedSequence))));
        return response;
    }

    public override async Task<LockResponse> Lock(LockRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        LedgerRules.Account("account", request.Account);
        LedgerRules.AssetCode("asset", request.Asset);
        LedgerRules.PositiveAmount("amount", request.Amount);
        LedgerRules.Memo("memo", request.Memo);
        var until = RequiredTime("until", request.Until);
        var command = new LockCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), request.Account, request.Asset, request.Amount, until, request.Memo);
        return (LockResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<UnlockResponse> Unlock(UnlockRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        RequiredId("lock_id", request.LockId);
        var command = new UnlockCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), ActorOf(context), request.LockId);
        return (UnlockResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<GetLockResponse> GetLock(GetLockRequest request, ServerCallContext context)
    {
        RequiredId("lock_id", request.LockId);
        var held = await reads.LockAsync(request.LockId, context.CancellationToken) ?? throw DomainException.NotFound($"lock {request.LockId} not found");
        return new GetLockResponse { Lock = LedgerMapping.ToProto(held, await ReceiptAsync(held.ReleasedSequence, context)) };
    }

    public override async Task<ListLocksResponse> ListLocks(ListLocksRequest request, ServerCallContext context)
    {
        LedgerRules.Account("account", request.Account);
        if (request.Asset.Length > 0)
        {
            LedgerRules.AssetCode("asset", request.Asset);
        }
        var size = Paging.Size(request.PageSize);
        var locks = await reads.LocksAsync(request.Account, request.Asset, (short)request.Status, Paging.After(request.PageToken), size, context.CancellationToken);
        var response = new ListLocksResponse { NextPageToken = Paging.NextToken(locks.LastOrDefault()?.LockId ?? "", locks.Count, size) };
        var released = await ReceiptsAsync(locks.Select(l => l.ReleasedSequence), context);
        response.Locks.AddRange(locks.Select(held => LedgerMapping.ToProto(held, released(held.ReleasedSequence))));
        return response;
    }

    public override async Task<CreateSwapOfferResponse> CreateSwapOffer(CreateSwapOfferRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        LedgerRules.Account("maker_account", request.MakerAccount);
        LedgerRules.AssetCode("give_asset", request.GiveAsset);
        LedgerRules.PositiveAmount("give_amount", request.GiveAmount);
        LedgerRules.AssetCode("want_asset", request.WantAsset);
        LedgerRules.PositiveAmount("want_amount", request.WantAmount);
        LedgerRules.Memo("memo", request.Memo);
        if (request.GiveAsset == request.WantAsset)
        {
            throw DomainException.InvalidArgument("want_asset", "must differ from give_asset");
        }
        if (request.CounterpartyAccount.Length > 0)
        {
            LedgerRules.Account("counterparty_account", request.CounterpartyAccount);
            if (request.CounterpartyAccount == request.MakerAccount)
            {
                throw DomainException.InvalidArgument("counterparty_account", "must differ from maker_account");
            }
        }
        if (LedgerRules.IsIssuance(request.MakerAccount))
        {
            throw DomainException.InvalidArgument("maker_account", "issuance accounts move only when an asset is created");
        }
        var expiresAt = RequiredTime("expires_at", request.ExpiresAt);
        var command = new CreateSwapOfferCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), request.MakerAccount, request.GiveAsset, request.GiveAmount,
            request.WantAsset, request.WantAmount, request.CounterpartyAccount, expiresAt, request.Memo);
        return (CreateSwapOfferResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<AcceptSwapOfferResponse> AcceptSwapOffer(AcceptSwapOfferRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        RequiredId("offer_id", request.OfferId);
        LedgerRules.Account("taker_account", request.TakerAccount);
        var command = new AcceptSwapOfferCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), request.TakerAccount, request.OfferId);
        return (AcceptSwapOfferResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<CancelSwapOfferResponse> CancelSwapOffer(CancelSwapOfferRequest request, ServerCallContext context)
    {
        LedgerRules.RequestId("request_id", request.RequestId);
        RequiredId("offer_id", request.OfferId);
        var command = new CancelSwapOfferCommand(request.RequestId, LedgerCommand.HashOf(request, context.Caller().Account), ActorOf(context), request.OfferId);
        return (CancelSwapOfferResponse)await writer.SubmitAsync(command, context.CancellationToken);
    }

    public override async Task<GetSwapOfferResponse> GetSwapOffer(GetSwapOfferRequest request, ServerCallContext context)
    {
        RequiredId("offer_id", request.OfferId);
        var offer = await reads.OfferAsync(request.OfferId, context.CancellationToken) ?? throw DomainException.NotFound($"swap offer {request.OfferId} not found");
        return new GetSwapOfferResponse { Offer = LedgerMapping.ToProto(offer, await ReceiptAsync(offer.ClosedSequence, context)) };
    }

    public override async Task<ListSwapOffersResponse> ListSwapOffers(ListSwapOffersRequest request, ServerCallContext context)
    {
        if (request.MakerAccount.Length > 0)
        {
            LedgerRules.Account("maker_account", request.MakerAccount);
        }
        if (request.AcceptableBy.Length > 0)
        {
            LedgerRules.Account("acceptable_by", request.AcceptableBy);
        }
        if (request.Asset.Length > 0)
        {
            LedgerRules.AssetCode("asset", request.Asset);
        }
        var size = Paging.Size(request.PageSize);
        var offers = await reads.OffersAsync(request.MakerAccount, request.AcceptableBy, request.Asset, (short)request.Status,
            Paging.After(request.PageToken), size, context.CancellationToken);
        var response = new ListSwapOffersResponse { NextPageToken = Paging.NextToken(offers.LastOrDefault()?.OfferId ?? "", offers.Count, size) };
        var closed = await ReceiptsAsync(offers.Select(o => o.ClosedSequence), context);
        response.Offers.AddRange(offers.Select(offer => LedgerMapping.ToProto(offer, closed(offer.ClosedSequence))));
        return response;
    }

    public override async Task<ListTransfersResponse> ListTransfers(ListTransfersRequest request, ServerCallContext context)
    {
        if (request.Account.Length == 0 && request.Asset.Length == 0)
        {
            throw DomainException.InvalidArgument("account", "set account or asset (or both)");
        }
        if (request.Account.Length > 0)
        {
            LedgerRules.Account("account", request.Account);
        }
        if (request.Asset.Length > 0)
        {
            LedgerRules.AssetCode("asset", request.Asset);
        }
        if (request.FromSequence < 0 || request.ToSequence < 0)
        {
            throw DomainException.InvalidArgument(request.FromSequence < 0 ? "from_sequence" : "to_sequence", "must not be negative");
        }
        var size = Paging.Size(request.PageSize);
        (long, string)? after = null;
        if (Paging.After(request.PageToken) is { } token)
        {
            var parts = token.Split('/', 2);
            if (parts.Length != 2 || !long.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var sequence))
            {
                throw DomainException.InvalidArgument("page_token", "is not a token this service returned");
            }
            after = (sequence, parts[1]);
        }
        var rows = await reads.TransfersAsync(request.Account, request.Asset, request.FromSequence, request.ToSequence, after, size, context.CancellationToken);
        var last = rows.Count > 0 ? $"{rows[^1].Transfer.Sequence}/{rows[^1].Transfer.TransferId}" : "";
        var response = new ListTransfersResponse { NextPageToken = Paging.NextToken(last, rows.Count, size) };
        response.Transfers.AddRange(rows.Select(r => LedgerMapping.ToProto(r.Transfer, LedgerMapping.Receipt(r.Transfer.Sequence, r.Hash, r.Transfer.CommittedAt))));
        return response;
    }

    public override async Task<GetJournalEntryResponse> GetJournalEntry(GetJournalEntryRequest request, ServerCallContext context)
    {
        if (request.Sequence < 1)
        {
            throw DomainException.InvalidArgument("sequence", "must be 1 or more");
        }
        var entries = await JournalPageAsync(request.Sequence, request.Sequence, context);
        return entries.Count == 1
            ? new GetJournalEntryResponse { Entry = entries[0] }
            : throw DomainException.NotFound($"journal entry {request.Sequence} not found (the head is {(await reads.HeadAsync(context.CancellationToken)).Sequence})");
    }

    public override async Task<ListJournalResponse> ListJournal(ListJournalRequest request, ServerCallContext context)
    {
        if (request.FromSequence < 0)
        {
            throw DomainException.InvalidArgument("from_sequence", "must not be negative");
        }
        var size = Paging.Size(request.PageSize);
        var from = Math.Max(1, request.FromSequence);
        if (Paging.After(request.PageToken) is { } token)
        {
            from = long.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out var last) && last >= 1
                ? last + 1
                : throw DomainException.InvalidArgument("page_token", "is not a token this service returned");
        }
        var entries = await JournalPageAsync(from, from + size - 1, context);
        var response = new ListJournalResponse
        {
            NextPageToken = Paging.NextToken(entries.Count > 0 ? entries[^1].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) : "", entries.Count, size),
        };
        response.Entries.AddRange(entries);
        return response;
    }

    private async Task<List<Contracts.Ledger.V1.JournalEntry>> JournalPageAsync(long from, long to, ServerCallContext context)
    {
        var rows = await reads.JournalAsync(from, to, context.CancellationToken);
        var postings = await reads.PostingsAsync(from, to, context.CancellationToken);
        return rows.Select(row =>
        {
            var entry = new Contracts.Ledger.V1.JournalEntry
            {
                Sequence = row.Sequence,
                Kind = (JournalEntryKind)row.Kind,
                ReferenceId = row.ReferenceId,
                Memo = row.Memo,
                CommittedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(row.CommittedAt, DateTimeKind.Utc)),
                PreviousHash = Convert.ToHexStringLower(row.PreviousHash),
                Hash = Convert.ToHexStringLower(row.Hash),
            };
            entry.Postings.AddRange(postings[row.Sequence].Select(p => new Contracts.Ledger.V1.Posting
            {
                Account = p.Account,
                Asset = p.Asset,
                Bucket = (BalanceBucket)p.Bucket,
                Amount = p.Amount,
            }));
            return entry;
        }).ToList();
    }

    private static Actor ActorOf(ServerCallContext context)
    {
        var caller = context.Caller();
        return new Actor(caller.Account, caller.IsInRole(Roles.Service));
    }

    private static void RequiredId(string field, string value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 200)
        {
            throw DomainException.InvalidArgument(field, "is required (at most 200 characters)");
        }
        // A NUL would otherwise reach the writer's SQL and fail the whole batch as "could not commit, retry".
        TextRules.Line(field, value);
    }

    private static DateTimeOffset RequiredTime(string field, Timestamp? value)
    {
        if (value is null)
        {
            throw DomainException.InvalidArgument(field, "is required");
        }
        try
        {
            return value.ToDateTimeOffset();
        }
        catch (InvalidOperationException)
        {
            throw DomainException.InvalidArgument(field, "is not a valid time");
        }
    }

    /// <summary>The closing receipts of a page of rows, looked up together; the returned function maps a sequence to its receipt.</summary>
    private async Task<Func<long?, Receipt?>> ReceiptsAsync(IEnumerable<long?> sequences, ServerCallContext context)
    {
        var entries = await reads.EntriesAsync(sequences, context.CancellationToken);
        return sequence => sequence is { } s && entries.TryGetValue(s, out var e) ? LedgerMapping.Receipt(s, e.Hash, e.CommittedAt) : null;
    }

    private async Task<Receipt?> ReceiptAsync(long? sequence, ServerCallContext context) =>
        await reads.EntryAsync(sequence, context.CancellationToken) is { } entry ? LedgerMapping.Receipt(entry.Sequence, entry.Hash, entry.CommittedAt) : null;

    private async Task SnapshotSequence(long sequence, ServerCallContext context)
    {
        var head = await reads.HeadAsync(context.CancellationToken);
        if (sequence < 1 || sequence > head.Sequence)
        {
            throw DomainException.InvalidArgument("sequence", $"must be 1 to {head.Sequence} (the journal head)");
        }
    }

    private static Balance ToProto(string account, string asset, BalanceRow row, long sequence) => new()
    {
        Account = account,
        Asset = asset,
        Total = row.Total,
        Available = row.Available,
        Held = row.Held,
        Locked = row.Locked,
        AsOfSequence = sequence,
    };
}
