using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Contracts.Events;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Events.Platform.V1;
using Perspective.Governance.Data;
using Perspective.Governance.Domain;
using Perspective.Governance.Engine;
using Perspective.PlatformGovernance.Data;
using Perspective.PlatformGovernance.Domain;
using Perspective.ServiceDefaults.Errors;
using Perspective.ServiceDefaults.Messaging;
using ProtoAction = Perspective.Contracts.Platform.V1.PlatformAction;

namespace Perspective.PlatformGovernance;

/// <summary>
/// The platform DAO's part of the engine: its events and the actions it carries out itself (PublishStandard,
/// SetParameter, Signal). Model actions are the registry's.
/// </summary>
public sealed class PlatformDaoHost(GovernanceStore store, PlatformStore platform, Parameters parameters, IOutbox outbox, IOptions<PlatformOptions> options)
    : IDaoHost
{
    /// <summary>The one platform DAO's id (the registry answers with the same).</summary>
    public const string DaoId = "platform";

    public string Name => "platform";

    public IIntegrationEvent Decided(ProposalRow p, Perspective.Governance.Domain.Tally tally, string votesDigest, DateTimeOffset now) =>
        new ProposalDecided(p.ProposalId.ToString("D"), tally.Passed ? ProposalOutcome.Succeeded : ProposalOutcome.Defeated, p.SnapshotSequence,
            new TallyResult(tally.ForWeight, tally.AgainstWeight, tally.AbstainWeight, tally.QuorumWeight, tally.SupplyAtSnapshot,
                checked((int)tally.VoteCount), votesDigest),
            now);

    public IIntegrationEvent ExecutionRequested(ProposalRow p, DateTimeOffset now) =>
        new ProposalExecutionRequested(p.ProposalId.ToString("D"), p.SnapshotSequence, PlatformActions.ToEvents(PlatformActions.FromJson(p.Actions), parameters,
            p.Title), now);

    /// <summary>The model actions are the registry's, the rest this service's.</summary>
    public string OwnerOf(ProposalRow p, int actionIndex) => PlatformActions.FromJson(p.Actions)[actionIndex].ActionCase switch
    {
        ProtoAction.ActionOneofCase.ListModel or ProtoAction.ActionOneofCase.DelistModel or ProtoAction.ActionOneofCase.BanModel
            or ProtoAction.ActionOneofCase.ReinstateModel => "registry",
        _ => Name,
    };

    public async Task<IReadOnlyList<ActionOutcome>> ExecuteOwnActionsAsync(NpgsqlTransaction tx, ProposalRow p, DateTimeOffset now, CancellationToken ct)
    {
        var outcomes = new List<ActionOutcome>();
        var actions = PlatformActions.FromJson(p.Actions);
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            if (action.ActionCase == ProtoAction.ActionOneofCase.Signal)
            {
                outcomes.Add(new(i, true, "signal: nothing to carry out"));
                continue;
            }
            if (action.ActionCase is not (ProtoAction.ActionOneofCase.PublishStandard or ProtoAction.ActionOneofCase.SetParameter))
            {
                continue;
            }
            // A savepoint per action: a failed one leaves nothing behind, the others still apply.
            await tx.SaveAsync("action", ct);
            try
            {
                var detail = action.ActionCase == ProtoAction.ActionOneofCase.PublishStandard
                    ? await PublishAsync(tx, p, action.PublishStandard, now, ct)
                    : await SetParameterAsync(tx, p, i, action.SetParameter, now, ct);
                await tx.ReleaseAsync("action", ct);
                outcomes.Add(new(i, true, detail));
            }
            catch (DomainException ex)
            {
                await tx.RollbackAsync("action", ct);
                outcomes.Add(new(i, false, ex.Message));
            }
        }
        return outcomes;
    }

    private async Task<string> PublishAsync(NpgsqlTransaction tx, ProposalRow p, Contracts.Platform.V1.PublishStandardAction s, DateTimeOffset now,
        CancellationToken ct)
    {
        var standard = new StandardRow(0, Guid.CreateVersion7(now), s.Title, s.Version, s.Text, s.TextDigest, p.ProposalId, now.UtcDateTime);
        if (!await platform.TryPublishAsync(tx, standard, ct))
        {
            throw DomainException.FailedPrecondition($"standard \"{s.Title}\" version {s.Version} is already published");
        }
        return $"standard {standard.StandardId} published";
    }

    /// <summary>
    /// When a change of a key takes effect: now, in whole microseconds (what PostgreSQL keeps, here and in every consumer),
    /// but always after the key's previous change. Two proposals setting one key in the same scheduler pass share
    /// <paramref name="now"/>; the later one (which wins here) must also carry the later time, or consumers that keep
    /// the strictly later value would keep the first.
    /// </summary>
    public static DateTimeOffset ChangedAt(DateTimeOffset now, DateTime? previous)
    {
        var at = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
        if (previous is { } last && ProposalRow.Utc(last) >= at)
        {
            at = ProposalRow.Utc(last).AddTicks(TimeSpan.TicksPerMicrosecond);
        }
        return at;
    }

    /// <summary>
    /// Sets the parameter and announces it. A settings parameter must leave its whole settings set valid
    /// (late-quorum extension shorter than the voting period); a platform_* one also changes the DAO's own settings.
    /// </summary>
    private async Task<string> SetParameterAsync(NpgsqlTransaction tx, ProposalRow p, int index, Contracts.Platform.V1.SetParameterAction set,
        DateTimeOffset now, CancellationToken ct)
    {
        var value = parameters.Check($"actions[{index}].set_parameter", set.Key, set.Value);
        var spec = parameters.Find(set.Key)!;
        var stored = await platform.ParametersAsync(tx.Connection, tx, ct);
        var old = stored.TryGetValue(set.Key, out var row) ? row.Value : spec.DefaultText;
        if (spec.SettingsGroup == Parameters.PlatformPrefix)
        {
            var dao = await store.LockDaoAsync(tx, DaoId, ct) ?? throw new InvalidOperationException("the platform DAO does not exist");
            var settings = dao.CurrentSettings.With(spec.SettingsField!, long.Parse(value, CultureInfo.InvariantCulture)).Validate("settings.");
            await store.UpdateDaoSettingsAsync(tx, DaoId, settings, now, ct);
        }
        else if (spec.SettingsGroup == Parameters.SubDaoPrefix)
        {
            var defaults = options.Value.DefaultSettings.ToSettings("Governance:DefaultSettings");
            foreach (var field in Settings.FieldNames)
            {
                if (stored.TryGetValue(Parameters.SubDaoPrefix + field, out var current))
                {
                    defaults = defaults.With(field, long.Parse(current.Value, CultureInfo.InvariantCulture));
                }
            }
            defaults.With(spec.SettingsField!, long.Parse(value, CultureInfo.InvariantCulture)).Validate("subdao_default_");
        }
        var changedAt = ChangedAt(now, row?.UpdatedAt);
        await platform.SetParameterAsync(tx, set.Key, value, p.ProposalId, changedAt, ct);
        await outbox.EnqueueAsync(tx, new PlatformParameterChanged(set.Key, old, value, p.ProposalId.ToString("D"), changedAt), ct);
        return $"{set.Key}: {old} → {value}";
    }
}
