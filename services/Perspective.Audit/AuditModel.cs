namespace Perspective.Audit;

/// <summary>
/// Where the auditor looks: the four services whose books it compares (gRPC addresses such as <c>http://127.0.0.1:5101</c>),
/// a bearer token for them (role <c>admin</c> or <c>service</c>: ReconcileTreasury and the gateway's payment lists need
/// one of those; the caller mints it), and the services' databases by service name (<c>ledger</c>, <c>registry</c>,
/// <c>gateway</c>, <c>subdao</c>, <c>platform</c>, <c>treasury</c> → Npgsql connection string), read only for the outbox check.
/// </summary>
public sealed record AuditTargets(
    string LedgerAddress,
    string RegistryAddress,
    string GatewayAddress,
    string TreasuryAddress,
    string BearerToken,
    IReadOnlyDictionary<string, string> Databases)
{
    /// <summary>
    /// A Ledger usage credit younger than this (by the auditor's clock) with no gateway payment or treasury count yet is in
    /// flight, not a difference: the gateway marks a payment paid after the Ledger commits, and UsagePaid reaches the
    /// treasury after that. The Treasury's own reconciliation uses the same 60 s.
    /// </summary>
    public TimeSpan InFlightGrace { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>An outbox row unsent for longer than this is a failure (the dispatcher polls every second).</summary>
    public TimeSpan OutboxAgeMax { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Deadline of each gRPC call and database query.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Offenders named in a check's detail; the counts cover them all.</summary>
    public int OffendersListed { get; init; } = 5;

    /// <summary>The local stack of <c>make up</c> (README, deploy/local/env.sh): services on 127.0.0.1:5101…5106, databases on the given port.</summary>
    public static AuditTargets LocalStack(string bearerToken, int postgresPort = 55432) => new(
        "http://127.0.0.1:5101", "http://127.0.0.1:5102", "http://127.0.0.1:5103", "http://127.0.0.1:5106", bearerToken,
        new[] { "ledger", "registry", "gateway", "subdao", "platform", "treasury" }.ToDictionary(
            name => name, name => $"Host=127.0.0.1;Port={postgresPort};Database=perspective_{name};Username=perspective", StringComparer.Ordinal));
}

/// <summary>One line of the audit: which rule, whether it holds, and the figures or the first offenders.</summary>
public sealed record AuditCheck(string Name, bool Passed, string Detail)
{
    public override string ToString() => $"{(Passed ? "✓" : "✗")} {Name,-13} {Detail}";
}

/// <summary>Every check of one audit run, in the order of <see cref="AuditCheckNames.All"/>.</summary>
public sealed record AuditReport(IReadOnlyList<AuditCheck> Checks)
{
    public bool Passed => Checks.All(c => c.Passed);

    public IReadOnlyList<AuditCheck> Failed => [.. Checks.Where(c => !c.Passed)];

    /// <summary>The check named <paramref name="name"/> (one of <see cref="AuditCheckNames"/>).</summary>
    public AuditCheck Check(string name) =>
        Checks.FirstOrDefault(c => c.Name == name) ?? throw new KeyNotFoundException($"no audit check named {name}");

    public override string ToString() => string.Join(Environment.NewLine, Checks);
}

/// <summary>The names of the checks, as <see cref="AuditCheck.Name"/> carries them.</summary>
public static class AuditCheckNames
{
    /// <summary>Σ of all balances of every asset is 0 at the Ledger head (holders plus the issuance account).</summary>
    public const string Balances = "balances";

    /// <summary>The Ledger's hash chain verifies from the first entry to the head (VerifyJournal).</summary>
    public const string Journal = "journal";

    /// <summary>Every gateway payment has exactly one Ledger usage credit to its model's treasury, and vice versa.</summary>
    public const string Payments = "payments";

    /// <summary>Each treasury's counted revenue equals the Ledger's usage credits to it (and ReconcileTreasury agrees).</summary>
    public const string Revenue = "revenue";

    /// <summary>Every completed distribution's lines sum to its amount and match the Ledger transfers that paid them.</summary>
    public const string Distributions = "distributions";

    /// <summary>No outbox row unsent for longer than a minute, and none parked, in any service database.</summary>
    public const string Outbox = "outbox";

    public static IReadOnlyList<string> All { get; } = [Balances, Journal, Payments, Revenue, Distributions, Outbox];
}
