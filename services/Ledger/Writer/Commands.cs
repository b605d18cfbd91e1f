using System.Security.Cryptography;
using Google.Protobuf;

namespace Perspective.Ledger.Writer;

/// <summary>A change for the single writer. The content hash tells a retry (same content) from a reuse of the id.</summary>
public abstract record LedgerCommand(string RequestId, string Operation, byte[] ContentHash)
{
    public static byte[] HashOf(IMessage request) => SHA256.HashData(request.ToByteArray());
}

public sealed record Allocation(string Account, long Amount);

public sealed record CreateAssetCommand(
    string RequestId, byte[] ContentHash, string Code, string Name, int Decimals, long TotalSupply, IReadOnlyList<Allocation> Allocations)
    : LedgerCommand(RequestId, "CreateAsset", ContentHash);

public sealed record LegInput(string TransferId, string From, string To, string Asset, long Amount, string Memo);

/// <summary>Transfer (one leg, <see cref="IsBatch"/> false) or TransferBatch: all legs in one journal entry, all or nothing.</summary>
public sealed record TransferCommand(string RequestId, byte[] ContentHash, IReadOnlyList<LegInput> Legs, bool IsBatch)
    : LedgerCommand(RequestId, IsBatch ? "TransferBatch" : "Transfer", ContentHash);
