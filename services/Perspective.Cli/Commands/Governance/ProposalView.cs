using Google.Protobuf;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.Contracts.SubDao.V1;

namespace Perspective.Cli.Commands.Governance;

/// <summary>A proposal of either DAO, reduced to what the CLI shows; <see cref="Raw"/> is the message for --json.</summary>
internal sealed record ProposalView(
    string Id, string Dao, string Proposer, string Title, string Description, ProposalState State, IReadOnlyList<string> Actions,
    Tally? Tally, ProposalTimeline? Timeline, long Snapshot, string FailureReason, IMessage Raw)
{
    public bool Platform => Dao == "platform";

    /// <summary>Voting is over (the outcome is known), though execution may still follow.</summary>
    public bool Decided => State is not (ProposalState.Pending or ProposalState.Active or ProposalState.Unspecified);

    /// <summary>Nothing more will happen to it.</summary>
    public bool Final => State is ProposalState.Defeated or ProposalState.Executed or ProposalState.ExecutionFailed
        or ProposalState.Expired or ProposalState.Canceled;

    /// <summary>A sub-DAO proposal; its actions move POV, shown in whole POV with <paramref name="money"/>.</summary>
    public static ProposalView Of(SubDaoProposal p, Money money) => new(p.ProposalId, $"model {p.ModelId}", p.ProposerAccount, p.Title, p.Description, p.State,
        p.Actions.Select(a => Describe(a, money)).ToList(), p.Tally, p.Timeline, p.SnapshotSequence, p.FailureReason, p);

    public static ProposalView Of(PlatformProposal p) => new(p.ProposalId, "platform", p.ProposerAccount, p.Title, p.Description, p.State,
        p.Actions.Select(Describe).ToList(), p.Tally, p.Timeline, p.SnapshotSequence, p.FailureReason, p);

    private static string Describe(SubDaoAction a, Money money) => a.ActionCase switch
    {
        SubDaoAction.ActionOneofCase.SetUsageFee => $"set usage fee to {money.Of(a.SetUsageFee.AmountPerUnit, Money.Pov)} per unit",
        SubDaoAction.ActionOneofCase.TreasurySpend =>
            $"pay {money.Of(a.TreasurySpend.Amount, Money.Pov)} from the treasury to {a.TreasurySpend.RecipientAccount}{For(a.TreasurySpend.Purpose)}",
        SubDaoAction.ActionOneofCase.DistributeRewards => $"distribute {money.Of(a.DistributeRewards.Amount, Money.Pov)} to token holders pro rata",
        SubDaoAction.ActionOneofCase.UpdateSettings => "update governance settings",
        SubDaoAction.ActionOneofCase.Signal => "signal (no effect)",
        _ => a.ActionCase.ToString(),
    };

    private static string Describe(PlatformAction a) => a.ActionCase switch
    {
        PlatformAction.ActionOneofCase.ListModel => $"list model {a.ListModel.ModelId}",
        PlatformAction.ActionOneofCase.DelistModel => $"delist model {a.DelistModel.ModelId}{For(a.DelistModel.Reason)}",
        PlatformAction.ActionOneofCase.BanModel => $"ban model {a.BanModel.ModelId}{For(a.BanModel.Reason)}",
        PlatformAction.ActionOneofCase.ReinstateModel => $"reinstate model {a.ReinstateModel.ModelId}",
        PlatformAction.ActionOneofCase.PublishStandard => $"publish standard '{a.PublishStandard.Title}' version {a.PublishStandard.Version}",
        PlatformAction.ActionOneofCase.SetParameter => $"set parameter {a.SetParameter.Key} = {Value(a.SetParameter.Value)}",
        PlatformAction.ActionOneofCase.Signal => "signal (no effect)",
        _ => a.ActionCase.ToString(),
    };

    public static string Value(ParameterValue? v) => v?.KindCase switch
    {
        ParameterValue.KindOneofCase.BoolValue => v.BoolValue ? "true" : "false",
        ParameterValue.KindOneofCase.Int64Value => v.Int64Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ParameterValue.KindOneofCase.StringValue => v.StringValue,
        _ => "",
    };

    private static string For(string reason) => reason.Length == 0 ? "" : $" ({reason})";
}
