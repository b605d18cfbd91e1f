using Npgsql;
using Perspective.Contracts.Events;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Events.SubDao.V1;
using Perspective.Governance.Api;
using Perspective.Governance.Data;
using Perspective.Governance.Domain;
using Perspective.Governance.Engine;
using Perspective.ServiceDefaults.Errors;
using Perspective.SubDaoGovernance.Domain;
using ProtoAction = Perspective.Contracts.SubDao.V1.SubDaoAction;

namespace Perspective.SubDaoGovernance;

/// <summary>The sub-DAO's part of the engine: its events (the DAO id is the model id) and the actions it carries out itself.</summary>
public sealed class SubDaoDao(GovernanceStore store) : IDaoHost
{
    public string Name => "subdao";

    public IIntegrationEvent Decided(ProposalRow p, Perspective.Governance.Domain.Tally tally, string votesDigest, DateTimeOffset now) =>
        new ProposalDecided(p.ProposalId.ToString("D"), p.DaoId, tally.Passed ? ProposalOutcome.Succeeded : ProposalOutcome.Defeated,
            p.SnapshotSequence,
            new TallyResult(tally.ForWeight, tally.AgainstWeight, tally.AbstainWeight, tally.QuorumWeight, tally.SupplyAtSnapshot,
                checked((int)tally.VoteCount), votesDigest),
            now);

    public IIntegrationEvent ExecutionRequested(ProposalRow p, DateTimeOffset now) =>
        new ProposalExecutionRequested(p.ProposalId.ToString("D"), p.DaoId, p.SnapshotSequence, SubDaoActions.ToEvents(SubDaoActions.FromJson(p.Actions), p.Title),
            now);

    /// <summary>SetUsageFee is the registry's, TreasurySpend and DistributeRewards the treasury's, the rest this service's.</summary>
    public string OwnerOf(ProposalRow p, int actionIndex) => SubDaoActions.FromJson(p.Actions)[actionIndex].ActionCase switch
    {
        ProtoAction.ActionOneofCase.SetUsageFee => "registry",
        ProtoAction.ActionOneofCase.TreasurySpend or ProtoAction.ActionOneofCase.DistributeRewards => "treasury",
        _ => Name,
    };

    /// <summary>UpdateSettings (the DAO's settings for proposals created from now on) and Signal (nothing to do).</summary>
    public async Task<IReadOnlyList<ActionOutcome>> ExecuteOwnActionsAsync(NpgsqlTransaction tx, ProposalRow p, DateTimeOffset now, CancellationToken ct)
    {
        var outcomes = new List<ActionOutcome>();
        var actions = SubDaoActions.FromJson(p.Actions);
        for (var i = 0; i < actions.Count; i++)
        {
            switch (actions[i].ActionCase)
            {
                case ProtoAction.ActionOneofCase.Signal:
                    outcomes.Add(new(i, true, "signal: nothing to carry out"));
                    break;
                case ProtoAction.ActionOneofCase.UpdateSettings:
                    await tx.SaveAsync("action", ct);
                    try
                    {
                        var settings = GovernanceMapping.FromProto(actions[i].UpdateSettings.Settings, $"actions[{i}].update_settings.settings");
                        await store.UpdateDaoSettingsAsync(tx, p.DaoId, settings, now, ct);
                        await tx.ReleaseAsync("action", ct);
                        outcomes.Add(new(i, true, "settings updated for proposals created from now on"));
                    }
                    catch (DomainException ex)
                    {
                        await tx.RollbackAsync("action", ct);
                        outcomes.Add(new(i, false, ex.Message));
                    }
                    break;
                default:
                    // SetUsageFee: the registry; TreasurySpend, DistributeRewards: the treasury.
                    break;
            }
        }
        return outcomes;
    }
}
