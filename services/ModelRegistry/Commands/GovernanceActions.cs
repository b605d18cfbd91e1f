using Npgsql;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Events.Registry.V1;
using Perspective.ModelRegistry.Data;
using Perspective.ModelRegistry.Domain;
using Perspective.ServiceDefaults.Errors;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.ModelRegistry.Commands;

/// <summary>
/// Carries out the governance actions the registry owns, inside the consumer's inbox transaction: each action is
/// claimed once per (DAO, proposal, action index), applied if the model's rules allow it, recorded in the history,
/// announced (ModelStatusChanged / ModelPricingChanged) and answered (ProposalActionExecuted / ProposalActionFailed),
/// all in that one transaction. A failed action changes nothing; the other actions of the proposal still run.
/// </summary>
public sealed class GovernanceActions(ModelStore store, GovernanceStore governance, IOutbox outbox, TimeProvider time)
{
    /// <summary>How the registry signs its answers.</summary>
    public const string ExecutedBy = "registry";

    /// <summary>The DAO id of the platform DAO in answers (a sub-DAO's id is its model's id).</summary>
    public const string PlatformDaoId = "platform";

    public async Task StatusAsync(NpgsqlTransaction tx, string proposalId, int actionIndex, string? modelId, StatusAction action, string? reason,
        CancellationToken ct) =>
        await AnswerAsync(tx, PlatformDaoId, proposalId, actionIndex, async now =>
        {
            var model = await LockAsync(tx, modelId, ct);
            var next = ModelTransitions.Next(model.ModelStatus, action);
            var version = await store.UpdateAsync(tx, model with { Status = (short)next }, now, ct);
            await store.AppendHistoryAsync(tx, model.ModelId, version, new Change(ChangeKind.StatusChanged, ChangeSource.PlatformDao, proposalId, "",
                model.ModelStatus, next, model.PricePerUnit, model.Unit, model.PricePerUnit, model.Unit, reason ?? ""), now, ct);
            await outbox.EnqueueAsync(tx, new ModelStatusChanged(model.ModelId.ToString("D"), model.ModelStatus, next, proposalId, reason ?? "", now), ct);
            return $"model {model.ModelId}: {model.ModelStatus} → {next}";
        }, ct);

    public async Task PriceAsync(NpgsqlTransaction tx, string proposalId, int actionIndex, string modelId, long? newPricePerUnit, CancellationToken ct) =>
        await AnswerAsync(tx, modelId, proposalId, actionIndex, async now =>
        {
            var model = await LockAsync(tx, modelId, ct);
            ModelTransitions.CheckPrice(model.ModelStatus, model.PricePerUnit, newPricePerUnit);
            var price = newPricePerUnit!.Value;
            var version = await store.UpdateAsync(tx, model with { PricePerUnit = price }, now, ct);
            await store.AppendHistoryAsync(tx, model.ModelId, version, new Change(ChangeKind.PriceChanged, ChangeSource.SubDao, proposalId, "",
                model.ModelStatus, model.ModelStatus, model.PricePerUnit, model.Unit, price, model.Unit, ""), now, ct);
            await outbox.EnqueueAsync(tx, new ModelPricingChanged(model.ModelId.ToString("D"), model.PricePerUnit, price, model.Unit, proposalId, now), ct);
            return $"model {model.ModelId}: price {model.PricePerUnit} → {price} per {model.Unit}";
        }, ct);

    private async Task<ModelRow> LockAsync(NpgsqlTransaction tx, string? modelId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(modelId))
        {
            throw DomainException.InvalidArgument("model_id", "is required");
        }
        var id = ModelRules.Id("model_id", modelId);
        return await store.LockAsync(tx, id, ct) ?? throw DomainException.NotFound($"model {modelId} not found");
    }

    /// <summary>
    /// Runs <paramref name="apply"/> once for this action and answers it. Every rule is checked before the first write,
    /// so a DomainException leaves nothing of the action behind and becomes ProposalActionFailed.
    /// </summary>
    private async Task AnswerAsync(NpgsqlTransaction tx, string daoId, string proposalId, int actionIndex, Func<DateTimeOffset, Task<string>> apply,
        CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (!await governance.TryClaimActionAsync(tx, daoId, proposalId, actionIndex, now, ct))
        {
            return;
        }
        ActionAnswer answer;
        try
        {
            var detail = await apply(now);
            answer = new(true, detail);
        }
        catch (DomainException ex)
        {
            answer = new(false, ex.Message);
        }
        await governance.RecordOutcomeAsync(tx, daoId, proposalId, actionIndex, answer.Succeeded, answer.Detail, ct);
        await outbox.EnqueueAsync(tx, answer.Succeeded
            ? new ProposalActionExecuted(proposalId, daoId, actionIndex, ExecutedBy, answer.Detail, now)
            : new ProposalActionFailed(proposalId, daoId, actionIndex, ExecutedBy, answer.Detail, now), ct);
    }

    private readonly record struct ActionAnswer(bool Succeeded, string Detail);
}
