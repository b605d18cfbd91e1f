using System.Text.Json;

namespace Perspective.Governance.Domain;

/// <summary>A DAO as stored: its voting asset and the settings in force for new proposals.</summary>
public sealed record DaoRow
{
    public long Position { get; init; }
    public string DaoId { get; init; } = "";
    public string VotingAsset { get; init; } = "";
    public string Settings { get; init; } = "";
    public bool AcceptingProposals { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime SettingsUpdatedAt { get; init; }

    public Settings CurrentSettings => SettingsJson.Read(Settings);
}

/// <summary>A proposal as stored. Times are UTC.</summary>
public sealed record ProposalRow
{
    public long Position { get; init; }
    public Guid ProposalId { get; init; }
    public string DaoId { get; init; } = "";
    public string Proposer { get; init; } = "";
    public string Title { get; init; } = "";
    public string Description { get; init; } = "";
    public string Actions { get; init; } = "";
    public int ActionCount { get; init; }
    public short State { get; init; }
    public long SnapshotSequence { get; init; }
    public long SupplyAtSnapshot { get; init; }
    public string Settings { get; init; } = "";
    public DateTime CreatedAt { get; init; }
    public DateTime VotingStartsAt { get; init; }
    public DateTime VotingEndsAt { get; init; }
    public bool VotingExtended { get; init; }
    public DateTime? QuorumReachedAt { get; init; }
    public DateTime? DecidedAt { get; init; }
    public DateTime? ExecutableAt { get; init; }
    public DateTime? ExpiresAt { get; init; }
    public DateTime? ExecutionRequestedAt { get; init; }
    public DateTime? ExecutedAt { get; init; }
    public DateTime? CanceledAt { get; init; }
    public string FailureReason { get; init; } = "";
    public long ForCount { get; init; }
    public long AgainstCount { get; init; }
    public long AbstainCount { get; init; }
    public long ForWeight { get; init; }
    public long AgainstWeight { get; init; }
    public long AbstainWeight { get; init; }
    public string? VotesDigest { get; init; }
    public DateTime? NextDueAt { get; init; }

    /// <summary>Scheduler steps that failed in a row (0 after a success): the back-off's exponent.</summary>
    public int StepFailures { get; init; }

    public ProposalState ProposalState => (ProposalState)State;

    public Settings FrozenSettings => SettingsJson.Read(Settings);

    public Tally Tally() => Domain.Tally.Compute(FrozenSettings, SupplyAtSnapshot, ForCount, AgainstCount, AbstainCount, ForWeight, AgainstWeight,
        AbstainWeight);

    /// <summary>Whether voting is open at <paramref name="now"/>: by the clock, so a vote never waits on the scheduler.</summary>
    public bool VotingOpenAt(DateTimeOffset now) =>
        ProposalState is Domain.ProposalState.Pending or Domain.ProposalState.Active
        && now >= Utc(VotingStartsAt) && now < Utc(VotingEndsAt);

    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}

/// <summary>A vote as stored.</summary>
public sealed record VoteRow
{
    public Guid ProposalId { get; init; }
    public long Ordinal { get; init; }
    public string Voter { get; init; } = "";
    public short Support { get; init; }
    public long Weight { get; init; }
    public string Reason { get; init; } = "";
    public DateTime CastAt { get; init; }

    public VoteRecord Record => new(Ordinal, Voter, (Support)Support, Weight, Reason, ProposalRow.Utc(CastAt));
}

/// <summary>The JSON form of <see cref="Settings"/> in the database (snake_case, the proto's field names).</summary>
public static class SettingsJson
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Write(Settings settings) => JsonSerializer.Serialize(settings, Options);

    public static Settings Read(string json) =>
        JsonSerializer.Deserialize<Settings>(json, Options) ?? throw new InvalidOperationException("stored settings are null");
}
