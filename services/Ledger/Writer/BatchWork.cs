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

    public HashSet<string> NewTransferIds { get; } = new(StringComparer.Ordinal);

    public BalanceRow BalanceOf(string account, string asset) =>
        Balances.TryGetValue((account, asset), out var row) ? row : new BalanceRow(0, 0, 0);

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
            if (!LedgerRules.IsIssuance(key.Account) && row.Available < 0)
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
