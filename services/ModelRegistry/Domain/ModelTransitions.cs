using Perspective.Contracts.Events.Registry.V1;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.ModelRegistry.Domain;

/// <summary>A decision about a model's listing: the platform DAO's four actions, and the creator retiring it.</summary>
public enum StatusAction
{
    List,
    Delist,
    Ban,
    Reinstate,
    Retire,
}

/// <summary>
/// The listing state machine. A transition that is not allowed from the current status — including one that would
/// change nothing (listing a listed model) — fails with FAILED_PRECONDITION, so a governance decision is answered
/// "executed" only when it changed something and the history holds only real changes.
/// </summary>
public static class ModelTransitions
{
    public static ModelStatus Next(ModelStatus current, StatusAction action)
    {
        if (current == ModelStatus.Banned)
        {
            // The one rule that never bends: a banned model is never listed again, nor changed otherwise.
            throw DomainException.FailedPrecondition("model is banned and can never be listed again");
        }
        return (action, current) switch
        {
            (StatusAction.List, ModelStatus.PendingListing or ModelStatus.Delisted) => ModelStatus.Listed,
            (StatusAction.Reinstate, ModelStatus.Delisted) => ModelStatus.Listed,
            (StatusAction.Delist or StatusAction.Retire, ModelStatus.PendingListing or ModelStatus.Listed) => ModelStatus.Delisted,
            (StatusAction.Ban, _) => ModelStatus.Banned,
            (StatusAction.Reinstate, _) => throw DomainException.FailedPrecondition($"only a delisted model can be reinstated; the model is {current}"),
            _ => throw DomainException.FailedPrecondition($"model is already {current}"),
        };
    }

    /// <summary>A sub-DAO's new usage fee: not for a banned model, never negative, and a real change.</summary>
    public static void CheckPrice(ModelStatus status, long oldPricePerUnit, long? newPricePerUnit)
    {
        if (status == ModelStatus.Banned)
        {
            throw DomainException.FailedPrecondition("model is banned; its price no longer changes");
        }
        if (newPricePerUnit is null)
        {
            throw DomainException.InvalidArgument("price_per_unit_base_units", "is required for SetUsageFee");
        }
        if (newPricePerUnit < 0)
        {
            throw DomainException.InvalidArgument("price_per_unit_base_units", "must not be negative");
        }
        if (newPricePerUnit == oldPricePerUnit)
        {
            throw DomainException.FailedPrecondition($"price is already {oldPricePerUnit} per unit");
        }
    }
}
