using Perspective.Ledger.Domain;

namespace Perspective.Ledger.Writer;

/// <summary>A balance row as the writer sees it during a batch.</summary>
public sealed record BalanceRow(long Total, long Held, long Locked)
{
    public long Available => Total - Held - Locked;
}

public sealed record AssetRow(string Code, string Name, int Decimals, long TotalSupply, string InitialHolderAccount, long CreatedSequence, DateTime CreatedAt);

public sealed record TransferRow(
    string TransferId, short Kind, string From, string To, string Asset, long Amount, string Memo, string ReferenceId, long Sequence, DateTime CommittedAt);

public enum HoldState : short
{
    Pending = 1,
    Posted = 2,
    Voided = 3,
    Expired = 4,
}

public sealed record HoldRow(
    string HoldId, string FromAccount, string ToAccount, string Asset, long Amount, short Status, long PostedAmount, string PostedTransferId,
    DateTime ExpiresAt, string Memo, string CreatedBy, long CreatedSequence, long? ClosedSequence, byte[] CreatedHash, DateTime CreatedAt)
{
    public HoldState State => (HoldState)Status;
}

public enum LockState : short
{
    Active = 1,
    Released = 2,
}

public sealed record LockRow(
    string LockId, string Account, string Asset, long Amount, DateTime Until, short Status, string Memo, long CreatedSequence, long? ReleasedSequence,
    byte[] CreatedHash, DateTime CreatedAt)
{
    public LockState State => (LockState)Status;
}

public enum OfferState : short
{
    Open = 1,
    Accepted = 2,
    Canceled = 3,
    Expired = 4,
}

public sealed record OfferRow(
    string OfferId, string MakerAccount, string GiveAsset, long GiveAmount, string WantAsset, long WantAmount, string CounterpartyAccount,
    DateTime ExpiresAt, short Status, string TakerAccount, string Memo, long CreatedSequence, long? ClosedSequence, byte[] CreatedHash, DateTime CreatedAt)
{
    public OfferState State => (OfferState)Status;
}

public sealed record StagedEntry(JournalRecord Entry, byte[] PreviousHash, byte[] Hash, DateTimeOffset CommittedAt);

public sealed record StagedRequest(string RequestId, string Operation, byte[] ContentHash, byte[] Response, long Sequence);

/// <summary>
/// Everything one batch will write, built in memory while its commands are applied in arrival order.
/// A command that breaks a rule stages nothing: it works on a copy of the balances it touches and merges only on success.
/// </summary>
public sealed class BatchWork(long headSequence, byte[] headHash, Dictionary<(string Account, string Asset), BalanceRow> balances)
{
    public long HeadSequence { get; private set; } = headSequence;

    public byte[] HeadHash { get; private set; } = headHash;

    public Dictionary<(string Account, string Asset), BalanceRow> Balances { get; } = balances;

    public HashSet<(string Account, string Asset)> Touched { get; } = [];

    public List<StagedEntry> Entries { get; } = [];

    public List<TransferRow> Transfers { get; } = [];

    public List<(string Asset, string Account, long Sequence, long Total)> History { get; } = [];

    public List<AssetRow> NewAssets { get; } = [];

    public List<StagedRequest> Requests { get; } = [];

    /// <summary>
    /// Transfers staged by this batch or by the batch still committing before it, with their entry's hash: a leg repeated
    /// while its first copy is being committed is answered from here, as it would be from the table once committed.
    /// </summary>
    public Dictionary<string, (TransferRow Row, byte[] Hash)> NewTransfers { get; } = new(StringComparer.Ordinal);

    /// <summary>Holds and locks as loaded for the batch, then as changed by it (written back as upserts).</summary>
    public Dictionary<string, HoldRow> Holds { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, LockRow> Locks { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, OfferRow> Offers { get; } = new(StringComparer.Ordinal);

    public HashSet<string> ChangedOffers { get; } = new(StringComparer.Ordinal);

    public HashSet<string> ChangedHolds { get; } = new(StringComparer.Ordinal);

    public HashSet<string> ChangedLocks { get; } = new(StringComparer.Ordinal);

    /// <summary>A balance loaded for this batch. Asking for one that was not loaded is a bug: fail the batch, never guess zero.</summary>
    private readonly Func<string, bool> knownBefore = _ => false;

    /// <summary>An asset that exists: created before this batch, or earlier in it.</summary>
    public Func<string, bool> KnownAsset
    {
        get => code => knownBefore(code) || NewAssets.Any(a => a.Code == code);
        init => knownBefore = value;
    }

    public BalanceRow BalanceOf(string account, string asset) =>
        Balances.TryGetValue((account, asset), out var row)
            ? row
            : throw new InvalidOperationException($"balance ({account}, {asset}) was not loaded for this batch");

    /// <summary>Appends a journal entry linked to the current head and merges the command's new balances.</summary>
    public StagedEntry Commit(JournalRecord entry, DateTimeOffset committedAt, IReadOnlyDictionary<(string Account, string Asset), BalanceRow> changed)
    {
        if (entry.Sequence != HeadSequence + 1)
        {
            throw new InvalidOperationException($"journal gap: entry {entry.Sequence} after head {HeadSequence}");
        }
        if (!entry.Balances())
        {
            throw new InvalidOperationException($"entry {entry.Sequence} does not balance per asset");
        }
        var hash = entry.ComputeHash(HeadHash);
        var staged = new StagedEntry(entry, HeadHash, hash, committedAt);
        Entries.Add(staged);
        foreach (var (key, row) in changed)
        {
            if (!LedgerRules.IsIssuance(key.Account) && (row.Available < 0 || row.Held < 0 || row.Locked < 0))
            {
                throw new InvalidOperationException($"entry {entry.Sequence} would make {key.Account} negative in {key.Asset}");
            }
            Balances[key] = row;
            Touched.Add(key);
            History.Add((key.Asset, key.Account, entry.Sequence, row.Total));
        }
        HeadSequence = entry.Sequence;
        HeadHash = hash;
        return staged;
    }
}
