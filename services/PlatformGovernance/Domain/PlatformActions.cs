using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Perspective.Governance.Domain;
using Perspective.ServiceDefaults.Errors;
using EventAction = Perspective.Contracts.Events.Platform.V1.PlatformAction;
using EventKind = Perspective.Contracts.Events.Platform.V1.PlatformActionKind;
using ProtoAction = Perspective.Contracts.Platform.V1.PlatformAction;

namespace Perspective.PlatformGovernance.Domain;

/// <summary>The platform DAO's actions: their rules at proposal time, their stored form and their event form.</summary>
public static class PlatformActions
{
    public const int StandardTitleMaxChars = 200;
    public const int StandardVersionMaxChars = 50;
    public const int StandardTextMaxBytes = 65_536;

    /// <summary>Checks every action, naming the field of the first broken rule (<c>actions[0].set_parameter.key</c>).</summary>
    public static void Validate(IReadOnlyList<ProtoAction> actions, Parameters parameters)
    {
        Rules.ActionCount(actions.Count);
        // The index of each SetParameter key: one key twice in a proposal would leave the result to the order of execution.
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < actions.Count; i++)
        {
            var at = $"actions[{i}]";
            var a = actions[i];
            switch (a.ActionCase)
            {
                case ProtoAction.ActionOneofCase.ListModel:
                    Rules.Uuid($"{at}.list_model.model_id", a.ListModel.ModelId);
                    break;
                case ProtoAction.ActionOneofCase.DelistModel:
                    Rules.Uuid($"{at}.delist_model.model_id", a.DelistModel.ModelId);
                    Reason($"{at}.delist_model.reason", a.DelistModel.Reason);
                    break;
                case ProtoAction.ActionOneofCase.BanModel:
                    Rules.Uuid($"{at}.ban_model.model_id", a.BanModel.ModelId);
                    Reason($"{at}.ban_model.reason", a.BanModel.Reason);
                    break;
                case ProtoAction.ActionOneofCase.ReinstateModel:
                    Rules.Uuid($"{at}.reinstate_model.model_id", a.ReinstateModel.ModelId);
                    break;
                case ProtoAction.ActionOneofCase.PublishStandard:
                    Standard($"{at}.publish_standard", a.PublishStandard);
                    break;
                case ProtoAction.ActionOneofCase.SetParameter:
                    parameters.Check($"{at}.set_parameter", a.SetParameter.Key, a.SetParameter.Value);
                    if (!keys.TryAdd(a.SetParameter.Key, i))
                    {
                        throw DomainException.InvalidArgument($"{at}.set_parameter.key",
                            $"{a.SetParameter.Key} is already set by actions[{keys[a.SetParameter.Key]}]: one value per key in a proposal");
                    }
                    break;
                case ProtoAction.ActionOneofCase.Signal:
                    break;
                default:
                    throw DomainException.InvalidArgument(at, "must set exactly one action");
            }
        }
    }

    private static void Reason(string field, string reason)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > Rules.ReasonMaxChars)
        {
            throw DomainException.InvalidArgument(field, $"must be 1–{Rules.ReasonMaxChars} characters");
        }
        Rules.Text(field, reason);
    }

    private static void Standard(string at, Contracts.Platform.V1.PublishStandardAction s)
    {
        if (string.IsNullOrWhiteSpace(s.Title) || s.Title.Length > StandardTitleMaxChars)
        {
            throw DomainException.InvalidArgument($"{at}.title", $"must be 1–{StandardTitleMaxChars} characters");
        }
        Rules.Line($"{at}.title", s.Title);
        if (string.IsNullOrWhiteSpace(s.Version) || s.Version.Length > StandardVersionMaxChars)
        {
            throw DomainException.InvalidArgument($"{at}.version", $"must be 1–{StandardVersionMaxChars} characters");
        }
        Rules.Line($"{at}.version", s.Version);
        Rules.Text($"{at}.text", s.Text);
        var bytes = Encoding.UTF8.GetBytes(s.Text);
        if (bytes.Length is 0 or > StandardTextMaxBytes)
        {
            throw DomainException.InvalidArgument($"{at}.text", $"must be 1–{StandardTextMaxBytes} UTF-8 bytes");
        }
        if (s.TextDigest != Convert.ToHexStringLower(SHA256.HashData(bytes)))
        {
            throw DomainException.InvalidArgument($"{at}.text_digest", "must be the lowercase hex SHA-256 of the UTF-8 bytes of text");
        }
    }

    public static string ToJson(IEnumerable<ProtoAction> actions) => "[" + string.Join(",", actions.Select(a => JsonFormatter.Default.Format(a))) + "]";

    public static IReadOnlyList<ProtoAction> FromJson(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(e => JsonParser.Default.Parse<ProtoAction>(e.GetRawText()))];
    }

    /// <summary>The event form (ProposalExecutionRequested). A standard travels as its title, version and digest, not its text.</summary>
    public static IReadOnlyList<EventAction> ToEvents(IReadOnlyList<ProtoAction> actions, Parameters parameters, string title) =>
        [.. actions.Select((a, i) => a.ActionCase switch
        {
            ProtoAction.ActionOneofCase.ListModel => new EventAction(i, EventKind.ListModel, ModelId: a.ListModel.ModelId),
            ProtoAction.ActionOneofCase.DelistModel => new EventAction(i, EventKind.DelistModel, ModelId: a.DelistModel.ModelId, Reason: a.DelistModel.Reason),
            ProtoAction.ActionOneofCase.BanModel => new EventAction(i, EventKind.BanModel, ModelId: a.BanModel.ModelId, Reason: a.BanModel.Reason),
            ProtoAction.ActionOneofCase.ReinstateModel => new EventAction(i, EventKind.ReinstateModel, ModelId: a.ReinstateModel.ModelId),
            ProtoAction.ActionOneofCase.PublishStandard => new EventAction(i, EventKind.PublishStandard, Title: a.PublishStandard.Title,
                Version: a.PublishStandard.Version, TextDigest: a.PublishStandard.TextDigest),
            ProtoAction.ActionOneofCase.SetParameter => new EventAction(i, EventKind.SetParameter, Key: a.SetParameter.Key,
                Value: parameters.Check($"actions[{i}].set_parameter", a.SetParameter.Key, a.SetParameter.Value)),
            _ => new EventAction(i, EventKind.Signal, Text: title),
        })];
}
