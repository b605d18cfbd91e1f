using System.Security.Cryptography;
using Google.Protobuf;

namespace Perspective.Ledger.Writer;

/// <summary>A change for the single writer. The content hash tells a retry (same content) from a reuse of the id.</summary>
public abstract record LedgerCommand(string RequestId, string Operation, byte[] ContentHash)
{
    /// <summary>
    /// The request's content and who sent it: the same id from another caller is another request (ALREADY_EXISTS), so a
    /// stored response is never replayed to someone else.
    /// </summary>
    public static byte[] HashOf(IMessage request, string caller) =>
        SHA256.HashData([.. request.ToByteArray(), 0, .. System.Text.Encoding.UTF8.GetBytes(caller)]);
}

public sealed record Allocation(string Account, long Amount);

public sealed record CreateAssetCommand(
    string RequestId, byte[] ContentHash, string Code, string Name, int Decimals, long TotalSupply, IReadOnlyList<Allocation> Allocations)
    : LedgerCommand(RequestId, "CreateAsset", ContentHash);

public sealed record LegInput(string TransferId, string From, string To, string Asset, long Amount, string Memo);

/// <summary>Transfer (one leg, <see cref="IsBatch"/> false) or TransferBatch: all legs in one journal entry, all or nothing.</summary>
public sealed record TransferCommand(string RequestId, byte[] ContentHash, IReadOnlyList<LegInput> Legs, bool IsBatch)
    : LedgerCommand(RequestId, IsBatch ? "TransferBatch" : "Transfer", ContentHash);

/// <summary>Who asks: the token subject, and whether it holds the service role (which may act for any account).</summary>
public sealed record Actor(string Account, bool IsService);

public sealed record CreateHoldCommand(
    string RequestId, byte[] ContentHash, Actor Actor, string From, string To, string Asset, long Amount, DateTimeOffset ExpiresAt, string Memo)
    : LedgerCommand(RequestId, "CreateHold", ContentHash);

public sealed record PostHoldCommand(string RequestId, byte[] ContentHash, Actor Actor, string HoldId, long Amount)
    : LedgerCommand(RequestId, "PostHold", ContentHash);

public sealed record VoidHoldCommand(string RequestId, byte[] ContentHash, Actor Actor, string HoldId)
    : LedgerCommand(RequestId, "VoidHold", ContentHash);

public sealed record LockCommand(string RequestId, byte[] ContentHash, string Account, string Asset, long Amount, DateTimeOffset Until, string Memo)
    : LedgerCommand(RequestId, "Lock", ContentHash);

public sealed record UnlockCommand(string RequestId, byte[] ContentHash, Actor Actor, string LockId)
    : LedgerCommand(RequestId, "Unlock", ContentHash);

/// <summary>Internal: voids pending holds and releases locks whose time has come. Not recorded as a request.</summary>
public sealed record SweepCommand(DateTimeOffset Now) : LedgerCommand($"sweep:{Guid.NewGuid()}", "Sweep", []);

public sealed record CreateSwapOfferCommand(
    string RequestId, byte[] ContentHash, string Maker, string GiveAsset, long GiveAmount, string WantAsset, long WantAmount, string Counterparty,
    DateTimeOffset ExpiresAt, string Memo)
    : LedgerCommand(RequestId, "CreateSwapOffer", ContentHash);

public sealed record AcceptSwapOfferCommand(string RequestId, byte[] ContentHash, string Taker, string OfferId)
    : LedgerCommand(RequestId, "AcceptSwapOffer", ContentHash);

public sealed record CancelSwapOfferCommand(string RequestId, byte[] ContentHash, Actor Actor, string OfferId)
    : LedgerCommand(RequestId, "CancelSwapOffer", ContentHash);
