using Npgsql;
using Perspective.Contracts.Events;
using Perspective.Governance.Domain;

namespace Perspective.Governance.Engine;

/// <summary>What an action of a proposal came to, when the hosting service carries it out itself.</summary>
public sealed record ActionOutcome(int ActionIndex, bool Succeeded, string Detail);

/// <summary>
/// What a DAO service adds to the engine: its events (each DAO publishes its own ProposalDecided and
/// ProposalExecutionRequested types) and the actions it carries out itself.
/// </summary>
public interface IDaoHost
{
    /// <summary>Short name, the <c>ExecutedBy</c> of the answers to actions this service carries out (<c>subdao</c>, <c>platform</c>).</summary>
    string Name { get; }

    IIntegrationEvent Decided(ProposalRow proposal, Tally tally, string votesDigest, DateTimeOffset now);

    IIntegrationEvent ExecutionRequested(ProposalRow proposal, DateTimeOffset now);

    /// <summary>
    /// The <c>ExecutedBy</c> of the service that carries out the proposal's action <paramref name="actionIndex"/>
    /// (<c>registry</c>, <c>treasury</c>, or <see cref="Name"/>): only its answer about that action counts.
    /// </summary>
    string OwnerOf(ProposalRow proposal, int actionIndex);

    /// <summary>
    /// Carries out, inside the scheduler's transaction, the actions this service owns (UpdateSettings, Signal,
    /// PublishStandard, SetParameter) and returns their outcomes; other actions are left to the services that own them.
    /// A failed action must have changed nothing.
    /// </summary>
    Task<IReadOnlyList<ActionOutcome>> ExecuteOwnActionsAsync(NpgsqlTransaction tx, ProposalRow proposal, DateTimeOffset now, CancellationToken ct);
}
