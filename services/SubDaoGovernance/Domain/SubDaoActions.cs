using Google.Protobuf;
using Perspective.Governance.Api;
using Perspective.Governance.Domain;
using Perspective.ServiceDefaults.Errors;
using EventAction = Perspective.Contracts.Events.SubDao.V1.SubDaoAction;
using EventKind = Perspective.Contracts.Events.SubDao.V1.SubDaoActionKind;
using ProtoAction = Perspective.Contracts.SubDao.V1.SubDaoAction;

namespace Perspective.SubDaoGovernance.Domain;

/// <summary>The sub-DAO's actions: their rules at proposal time, their stored form and their event form.</summary>
public static class SubDaoActions
{
    public const int PurposeMaxChars = 500;

    /// <summary>
    /// Checks every action, naming the field of the first broken rule (<c>actions[1].treasury_spend.amount</c>).
    /// The fee limit is not checked here: it can change after a request, so it is <see cref="CheckFeeLimit"/>'s, after the replay lookup.
    /// </summary>
    public static void Validate(IReadOnlyList<ProtoAction> actions, string modelId)
    {
        Rules.ActionCount(actions.Count);
        for (var i = 0; i < actions.Count; i++)
        {
            var at = $"actions[{i}]";
            var action = actions[i];
            switch (action.ActionCase)
            {
                case ProtoAction.ActionOneofCase.SetUsageFee:
                    var fee = action.SetUsageFee.AmountPerUnit;
                    if (fee < 0)
                    {
                        throw DomainException.InvalidArgument($"{at}.set_usage_fee.amount_per_unit", "must not be negative");
                    }
                    break;
                case ProtoAction.ActionOneofCase.TreasurySpend:
                    var spend = action.TreasurySpend;
                    if (string.IsNullOrWhiteSpace(spend.RecipientAccount) || spend.RecipientAccount.Length > 200)
                    {
                        throw DomainException.InvalidArgument($"{at}.treasury_spend.recipient_account", "must be 1–200 characters");
                    }
                    Rules.Line($"{at}.treasury_spend.recipient_account", spend.RecipientAccount);
                    if (spend.RecipientAccount == $"treasury:{modelId}" || spend.RecipientAccount.StartsWith("issuance:", StringComparison.Ordinal))
                    {
                        throw DomainException.InvalidArgument($"{at}.treasury_spend.recipient_account", "must not be the treasury itself or an issuance account");
                    }
                    if (spend.Amount <= 0)
                    {
                        throw DomainException.InvalidArgument($"{at}.treasury_spend.amount", "must be positive");
                    }
                    if (string.IsNullOrWhiteSpace(spend.Purpose) || spend.Purpose.Length > PurposeMaxChars)
                    {
                        throw DomainException.InvalidArgument($"{at}.treasury_spend.purpose", $"must be 1–{PurposeMaxChars} characters");
                    }
                    Rules.Text($"{at}.treasury_spend.purpose", spend.Purpose);
                    break;
                case ProtoAction.ActionOneofCase.DistributeRewards:
                    if (action.DistributeRewards.Amount <= 0)
                    {
                        throw DomainException.InvalidArgument($"{at}.distribute_rewards.amount", "must be positive");
                    }
                    break;
                case ProtoAction.ActionOneofCase.UpdateSettings:
                    GovernanceMapping.FromProto(action.UpdateSettings.Settings, $"{at}.update_settings.settings");
                    break;
                case ProtoAction.ActionOneofCase.Signal:
                    break;
                default:
                    throw DomainException.InvalidArgument(at, "must set exactly one action");
            }
        }
    }

    /// <summary>A fee above the platform's max_usage_fee_per_unit (0 = no limit) is refused, naming the action's field.</summary>
    public static void CheckFeeLimit(IReadOnlyList<ProtoAction> actions, long maxUsageFeePerUnit)
    {
        for (var i = 0; i < actions.Count; i++)
        {
            if (actions[i].ActionCase == ProtoAction.ActionOneofCase.SetUsageFee && maxUsageFeePerUnit > 0
                && actions[i].SetUsageFee.AmountPerUnit > maxUsageFeePerUnit)
            {
                throw DomainException.InvalidArgument($"actions[{i}].set_usage_fee.amount_per_unit",
                    $"must not exceed the platform's max_usage_fee_per_unit ({maxUsageFeePerUnit})");
            }
        }
    }

    /// <summary>The stored form: a JSON array of the actions in protobuf JSON, so the proposal shows them as proposed.</summary>
    public static string ToJson(IEnumerable<ProtoAction> actions) => "[" + string.Join(",", actions.Select(a => JsonFormatter.Default.Format(a))) + "]";

    public static IReadOnlyList<ProtoAction> FromJson(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(e => JsonParser.Default.Parse<ProtoAction>(e.GetRawText()))];
    }

    /// <summary>The event form of the actions (ProposalExecutionRequested), index by index.</summary>
    public static IReadOnlyList<EventAction> ToEvents(IReadOnlyList<ProtoAction> actions, string title) =>
        [.. actions.Select((a, i) => a.ActionCase switch
        {
            ProtoAction.ActionOneofCase.SetUsageFee => new EventAction(i, EventKind.SetUsageFee, PricePerUnitBaseUnits: a.SetUsageFee.AmountPerUnit),
            ProtoAction.ActionOneofCase.TreasurySpend => new EventAction(i, EventKind.TreasurySpend, Recipient: a.TreasurySpend.RecipientAccount,
                AmountBaseUnits: a.TreasurySpend.Amount, Purpose: a.TreasurySpend.Purpose),
            ProtoAction.ActionOneofCase.DistributeRewards => new EventAction(i, EventKind.DistributeRewards, AmountBaseUnits: a.DistributeRewards.Amount),
            ProtoAction.ActionOneofCase.UpdateSettings => new EventAction(i, EventKind.UpdateSettings,
                SettingsJson: JsonFormatter.Default.Format(a.UpdateSettings.Settings)),
            _ => new EventAction(i, EventKind.Signal, Text: title),
        })];
}
