namespace Perspective.Ledger;

/// <summary>Configuration section <c>Ledger</c>.</summary>
public sealed class LedgerOptions
{
    public const string Section = "Ledger";

    /// <summary>Most requests one database transaction of the writer applies (group commit).</summary>
    public int BatchSizeMax { get; set; } = 500;

    /// <summary>Most balances the writer keeps in memory (about 200 bytes each) before it starts the cache afresh.</summary>
    public int BalanceCacheMax { get; set; } = 250_000;

    /// <summary>Requests waiting for the writer before callers wait to enqueue (back-pressure).</summary>
    public int QueueCapacity { get; set; } = 20_000;

    /// <summary>How often expired holds are voided and due locks released (on the injected clock).</summary>
    public int SweepIntervalMs { get; set; } = 1_000;

    /// <summary>POV's genesis: created once, at the first start, with these allocations (see deploy/local/genesis.json).</summary>
    public Genesis? Genesis { get; set; }
}

/// <summary>The platform token and who receives its whole fixed supply at bootstrap.</summary>
public sealed class Genesis
{
    /// <summary>Fixed, so that a second start (or a second replica) replays the first creation instead of minting again.</summary>
    public const string RequestId = "00000000-0000-0000-0000-00000000d001";

    public string Code { get; set; } = "POV";

    public string Name { get; set; } = "Perspective";

    public int Decimals { get; set; } = 6;

    public List<GenesisAllocation> Allocations { get; set; } = [];
}

public sealed class GenesisAllocation
{
    public string Account { get; set; } = "";

    /// <summary>Base units.</summary>
    public long Amount { get; set; }
}
