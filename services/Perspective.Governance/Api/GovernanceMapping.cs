using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Perspective.Governance.Domain;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Errors;
using Proto = Perspective.Contracts.Governance.V1;

namespace Perspective.Governance.Api;

/// <summary>The engine's records ↔ the shared perspective.governance.v1 messages.</summary>
public static class GovernanceMapping
{
    public static Proto.GovernanceSettings ToProto(Settings s) => new()
    {
        VotingDelaySeconds = s.VotingDelaySeconds,
        VotingPeriodSeconds = s.VotingPeriodSeconds,
        QuorumBps = s.QuorumBps,
        PassThresholdBps = s.PassThresholdBps,
        ProposalThreshold = s.ProposalThreshold,
        ExecutionDelaySeconds = s.ExecutionDelaySeconds,
        GracePeriodSeconds = s.GracePeriodSeconds,
        LateQuorumExtensionSeconds = s.LateQuorumExtensionSeconds,
    };

    /// <summary>Validated settings from a request; <paramref name="field"/> names the message, e.g. <c>actions[0].update_settings.settings</c>.</summary>
    public static Settings FromProto(Proto.GovernanceSettings? s, string field) =>
        s is null
            ? throw DomainException.InvalidArgument(field, "is required")
            : new Settings(s.VotingDelaySeconds, s.VotingPeriodSeconds, s.QuorumBps, s.PassThresholdBps, s.ProposalThreshold, s.ExecutionDelaySeconds,
                s.GracePeriodSeconds, s.LateQuorumExtensionSeconds).Validate(field + ".");

    public static Timestamp Time(DateTime utc) => Timestamp.FromDateTime(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    public static Timestamp? Time(DateTime? utc) => utc is { } value ? Time(value) : null;

    public static Proto.ProposalTimeline Timeline(ProposalRow p)
    {
        var timeline = new Proto.ProposalTimeline
        {
            CreatedAt = Time(p.CreatedAt),
            VotingStartsAt = Time(p.VotingStartsAt),
            VotingEndsAt = Time(p.VotingEndsAt),
            VotingExtended = p.VotingExtended,
        };
        // Unset fields have not happened (proto3 message fields stay null).
        timeline.DecidedAt = Time(p.DecidedAt);
        timeline.ExecutableAt = Time(p.ExecutableAt);
        timeline.ExpiresAt = Time(p.ExpiresAt);
        timeline.ExecutionRequestedAt = Time(p.ExecutionRequestedAt);
        timeline.ExecutedAt = Time(p.ExecutedAt);
        timeline.CanceledAt = Time(p.CanceledAt);
        return timeline;
    }

    public static Proto.Vote ToProto(VoteRow v) => new()
    {
        ProposalId = v.ProposalId.ToString("D"),
        VoterAccount = v.Voter,
        Support = (Proto.VoteSupport)v.Support,
        Weight = v.Weight,
        Reason = v.Reason,
        Ordinal = v.Ordinal,
        CastAt = Time(v.CastAt),
    };

    /// <summary>A proposal's tally: final (stored digest) once voting ended, else the running count.</summary>
    public static Proto.Tally ToProto(ProposalRow p, string votesDigest, DateTimeOffset computedAt)
    {
        var tally = p.Tally();
        var final = p.VotesDigest is not null || p.ProposalState is ProposalState.Canceled;
        return new Proto.Tally
        {
            ProposalId = p.ProposalId.ToString("D"),
            ForCount = tally.ForCount,
            AgainstCount = tally.AgainstCount,
            AbstainCount = tally.AbstainCount,
            ForWeight = tally.ForWeight,
            AgainstWeight = tally.AgainstWeight,
            AbstainWeight = tally.AbstainWeight,
            SnapshotSequence = p.SnapshotSequence,
            SupplyAtSnapshot = tally.SupplyAtSnapshot,
            QuorumWeight = tally.QuorumWeight,
            QuorumReached = tally.QuorumReached,
            ThresholdReached = tally.ThresholdReached,
            Outcome = p.VotesDigest is null ? Proto.TallyOutcome.Pending : tally.Passed ? Proto.TallyOutcome.Passed : Proto.TallyOutcome.Defeated,
            VoteCount = tally.VoteCount,
            VotesDigest = votesDigest,
            Final = final,
            ComputedAt = Timestamp.FromDateTimeOffset(computedAt),
        };
    }

    public static ProposalState? StateFilter(Proto.ProposalState state) => state switch
    {
        Proto.ProposalState.Unspecified => null,
        _ when System.Enum.IsDefined(state) => (ProposalState)(short)state,
        _ => throw DomainException.InvalidArgument("state", "is not a proposal state"),
    };

    public static long? Cursor(string token, string field = "page_token")
    {
        var after = Paging.After(token);
        if (after is null)
        {
            return null;
        }
        return long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            ? position
            : throw DomainException.InvalidArgument(field, "is not a token this service returned");
    }

    public static string CursorText(long position) => position.ToString(CultureInfo.InvariantCulture);
}
