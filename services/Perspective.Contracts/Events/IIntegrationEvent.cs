namespace Perspective.Contracts.Events;

/// <summary>
/// A fact one service publishes for others. Events are immutable records, versioned by namespace
/// (<c>…Events.Registry.V1</c>): a breaking change is a new namespace, never an edit.
/// </summary>
public interface IIntegrationEvent
{
    /// <summary>The id of the entity the event is about (model, payment, proposal…).</summary>
    string EntityId { get; }

    /// <summary>When the change happened, from the producer's <see cref="TimeProvider"/>.</summary>
    DateTimeOffset OccurredAt { get; }
}
