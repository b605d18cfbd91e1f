using Google.Protobuf;
using Perspective.Contracts.Ledger.V1;
using Perspective.Ledger.Api;
using Perspective.Ledger.Domain;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.Ledger.Writer;

/// <summary>Holds (two-phase) and locks: value moves between the buckets of one balance, or on to the payee.</summary>
public sealed partial class LedgerWriter
{
    private static IMessage ApplyCreateHold(CreateHoldCommand command, BatchWork work, DateTimeOffset committedAt)
    {
        if (command.ExpiresAt <= committedAt)
        {
            throw DomainException.InvalidArgument("expires_at", "must be in the future");
        }
        RequireKnownAsset(work, command.Asset, "asset");
        var staged = MoveWithin(work, command.From, command.Asset, command.Amount, Bucket.Available, Bucket.Held,
            EntryKind.HoldCreated, command.RequestId, command.Memo, committedAt);
        var sequence = staged.Entry.Sequence;
        var hold = new HoldRow(command.RequestId, command.From, command.To, command.Asset, command.Amount, (short)HoldState.Pending, 0, "",
            command.ExpiresAt.UtcDateTime, command.Memo, command.Actor.Account, sequence, null, staged.Hash, committedAt.UtcDateTime);
        work.Holds[hold.HoldId] = hold;
        work.ChangedHolds.Add(hold.HoldId);
        return new CreateHoldResponse { Hold = LedgerMapping.ToProto(hold, null) };
    }

    private static IMessage ApplyPostHold(PostHoldCommand command, BatchWork work, DateTimeOffset committedAt)
    {
        var hold = PendingHold(work, command.HoldId, command.Actor, committedAt);
        if (command.Amount < 1 || command.Amount > hold.Amount)
        {
            throw DomainException.InvalidArgument("amount", $"must be 1 to {hold.Amount} (the held amount); use VoidHold to release everything");
        }
        // The posted transfer's id is derived from the hold, so one hold posts at most one transfer (the hold's status
        // says so across batches, the primary key of transfers backs it).
        var transferId = $"{hold.HoldId}/post";
        if (work.NewTransfers.ContainsKey(transferId))
        {
            throw DomainException.FailedPrecondition($"hold {hold.HoldId} was already posted");
        }
        var source = work.BalanceOf(hold.FromAccount, hold.Asset);
        var target = work.BalanceOf(hold.ToAccount, hold.Asset);
        long toTotal;
        try
        {
            toTotal = checked(target.Total + command.Amount);
        }
        catch (OverflowException)
        {
            throw DomainException.InvalidArgument("amount", $"would overflow the balance of {hold.ToAccount}");
        }
        var sequence = work.HeadSequence + 1;
        var postings = new List<PostingRecord>
        {
            new(hold.FromAccount, hold.Asset, Bucket.Held, -hold.Amount),
            new(hold.ToAccount, hold.Asset, Bucket.Available, command.Amount),
        };
        if (hold.Amount > command.Amount)
        {
            postings.Add(new PostingRecord(hold.FromAccount, hold.Asset, Bucket.Available, hold.Amount - command.Amount));
        }
        var entry = new JournalRecord(sequence, EntryKind.HoldPosted, hold.HoldId, hold.Memo, ToMicros(committedAt), postings);
        var staged = work.Commit(entry, committedAt, new Dictionary<(string, string), BalanceRow>
        {
            [(hold.FromAccount, hold.Asset)] = source with { Total = source.Total - command.Amount, Held = source.Held - hold.Amount },
            [(hold.ToAccount, hold.Asset)] = target with { Total = toTotal },
        });
        var transfer = new TransferRow(transferId, (short)TransferKind.HoldPost, hold.FromAccount, hold.ToAccount, hold.Asset, command.Amount,
            hold.Memo, hold.HoldId, sequence, committedAt.UtcDateTime);
        work.Transfers.Add(transfer);
        work.NewTransfers[transferId] = (transfer, staged.Hash);
        var posted = hold with { Status = (short)HoldState.Posted, PostedAmount = command.Amount, PostedTransferId = transferId, ClosedSequence = sequence };
        work.Holds[hold.HoldId] = posted;
        work.ChangedHolds.Add(hold.HoldId);
        var receipt = Receipt(staged);
        return new PostHoldResponse { Hold = LedgerMapping.ToProto(posted, receipt), Transfer = LedgerMapping.ToProto(transfer, receipt) };
    }

    private static IMessage ApplyVoidHold(VoidHoldCommand command, BatchWork work, DateTimeOffset committedAt)
    {
        var hold = PendingHold(work, command.HoldId, command.Actor, committedAt);
        var (voided, receipt) = Release(work, hold, HoldState.Voided, committedAt);
        return new VoidHoldResponse { Hold = LedgerMapping.ToProto(voided, receipt) };
    }

    private static IMessage ApplyLock(LockCommand command, BatchWork work, DateTimeOffset committedAt)
    {
        if (command.Until <= committedAt)
        {
            throw DomainException.InvalidArgument("until", "must be in the future");
        }
        RequireKnownAsset(work, command.Asset, "asset");
        var staged = MoveWithin(work, command.Account, command.Asset, command.Amount, Bucket.Available, Bucket.Locked,
            EntryKind.LockCreated, command.RequestId, command.Memo, committedAt);
        var sequence = staged.Entry.Sequence;
        var held = new LockRow(command.RequestId, command.Account, command.Asset, command.Amount, command.Until.UtcDateTime, (short)LockState.Active,
            command.Memo, sequence, null, staged.Hash, committedAt.UtcDateTime);
        work.Locks[held.LockId] = held;
        work.ChangedLocks.Add(held.LockId);
        return new LockResponse { Lock = LedgerMapping.ToProto(held, null) };
    }

    private static IMessage ApplyUnlock(UnlockCommand command, BatchWork work, DateTimeOffset committedAt)
    {
        if (!work.Locks.TryGetValue(command.LockId, out var held))
        {
            throw DomainException.NotFound($"lock {command.LockId} not found");
        }
        if (held.Account != command.Actor.Account && !command.Actor.IsService)
        {
            throw DomainException.PermissionDenied($"caller {command.Actor.Account} may not unlock a lock of {held.Account}");
        }
        if (held.State == LockState.Released)
        {
            return new UnlockResponse { Lock = LedgerMapping.ToProto(held, null) };
        }
        if (held.Until > committedAt.UtcDateTime)
        {
            throw DomainException.FailedPrecondition($"lock {held.LockId} is locked until {held.Until:O}");
        }
        var (released, receipt) = ReleaseLock(work, held, committedAt);
        return new UnlockResponse { Lock = LedgerMapping.ToProto(released, receipt) };
    }

    /// <summary>Expires every pending hold and releases every lock whose time has come, one journal entry each.</summary>
    private static IMessage ApplySweep(SweepCommand command, BatchWork work, DateTimeOffset committedAt)
    {
        var now = command.Now.UtcDateTime;
        var expired = 0;
        foreach (var hold in work.Holds.Values.Where(h => h.State == HoldState.Pending && h.ExpiresAt <= now).OrderBy(h => h.HoldId, StringComparer.Ordinal).ToList())
        {
            Release(work, hold, HoldState.Expired, committedAt);
            expired++;
        }
        foreach (var held in work.Locks.Values.Where(l => l.State == LockState.Active && l.Until <= now).OrderBy(l => l.LockId, StringComparer.Ordinal).ToList())
        {
            ReleaseLock(work, held, committedAt);
            expired++;
        }
        foreach (var offer in work.Offers.Values.Where(o => o.State == OfferState.Open && o.ExpiresAt <= now).OrderBy(o => o.OfferId, StringComparer.Ordinal).ToList())
        {
            CloseOffer(work, offer, OfferState.Expired, committedAt);
            expired++;
        }
        return new Google.Protobuf.WellKnownTypes.Int32Value { Value = expired };
    }

    private static HoldRow PendingHold(BatchWork work, string holdId, Actor actor, DateTimeOffset committedAt)
    {
        if (!work.Holds.TryGetValue(holdId, out var hold))
        {
            throw DomainException.NotFound($"hold {holdId} not found");
        }
        if (hold.CreatedBy != actor.Account && !actor.IsService)
        {
            throw DomainException.PermissionDenied($"only {hold.CreatedBy}, who created hold {holdId}, or a service may settle it");
        }
        if (hold.State != HoldState.Pending)
        {
            throw DomainException.FailedPrecondition($"hold {holdId} is {hold.State.ToString().ToLowerInvariant()}, not pending");
        }
        if (hold.ExpiresAt <= committedAt.UtcDateTime)
        {
            throw DomainException.FailedPrecondition($"hold {holdId} expired at {hold.ExpiresAt:O}");
        }
        return hold;
    }

    private static (HoldRow Hold, Receipt Receipt) Release(BatchWork work, HoldRow hold, HoldState state, DateTimeOffset committedAt)
    {
        var staged = MoveWithin(work, hold.FromAccount, hold.Asset, hold.Amount, Bucket.Held, Bucket.Available,
            state == HoldState.Expired ? EntryKind.HoldExpired : EntryKind.HoldVoided, hold.HoldId, hold.Memo, committedAt);
        var sequence = staged.Entry.Sequence;
        var closed = hold with { Status = (short)state, ClosedSequence = sequence };
        work.Holds[hold.HoldId] = closed;
        work.ChangedHolds.Add(hold.HoldId);
        return (closed, Receipt(staged));
    }

    private static (LockRow Lock, Receipt Receipt) ReleaseLock(BatchWork work, LockRow held, DateTimeOffset committedAt)
    {
        var staged = MoveWithin(work, held.Account, held.Asset, held.Amount, Bucket.Locked, Bucket.Available,
            EntryKind.LockReleased, held.LockId, held.Memo, committedAt);
        var sequence = staged.Entry.Sequence;
        var released = held with { Status = (short)LockState.Released, ReleasedSequence = sequence };
        work.Locks[held.LockId] = released;
        work.ChangedLocks.Add(held.LockId);
        return (released, Receipt(staged));
    }

    /// <summary>
    /// Moves <paramref name="amount"/> between two buckets of one balance (a hold, a lock, an offer's escrow, or their
    /// release) as one journal entry: the <paramref name="from"/> posting first, then the <paramref name="to"/> posting.
    /// </summary>
    private static StagedEntry MoveWithin(BatchWork work, string account, string asset, long amount, Bucket from, Bucket to, EntryKind kind,
        string referenceId, string memo, DateTimeOffset committedAt, string amountField = "amount")
    {
        var balance = work.BalanceOf(account, asset);
        if (from == Bucket.Available && balance.Available < amount)
        {
            throw DomainException.FailedPrecondition(
                $"{amountField}: insufficient available balance in {account}: {balance.Available} {asset} base units available, {amount} needed");
        }
        long Delta(Bucket bucket) => (bucket == to ? amount : 0) - (bucket == from ? amount : 0);
        var after = balance with { Held = checked(balance.Held + Delta(Bucket.Held)), Locked = checked(balance.Locked + Delta(Bucket.Locked)) };
        var entry = new JournalRecord(work.HeadSequence + 1, kind, referenceId, memo, ToMicros(committedAt),
        [
            new PostingRecord(account, asset, from, -amount),
            new PostingRecord(account, asset, to, amount),
        ]);
        return work.Commit(entry, committedAt, new Dictionary<(string, string), BalanceRow> { [(account, asset)] = after });
    }

    private static void RequireKnownAsset(BatchWork work, string asset, string field)
    {
        if (!work.KnownAsset(asset))
        {
            throw DomainException.InvalidArgument(field, $"unknown asset {asset}");
        }
    }
}
