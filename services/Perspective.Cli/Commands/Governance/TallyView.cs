using System.Globalization;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Governance.V1;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Perspective.Cli.Commands.Governance;

/// <summary>A proposal as a panel with its tally as a bar (for / against / abstain weight) and the quorum line.</summary>
internal static class TallyView
{
    public static IRenderable Render(ProposalView p)
    {
        var rows = new List<IRenderable>
        {
            new Markup($"[bold]{p.Title.EscapeMarkup()}[/]  [grey]{p.Id}[/]"),
            new Markup($"{p.Dao.EscapeMarkup()} · proposed by {p.Proposer.EscapeMarkup()} · state [{StateColour(p.State)}]{Show.Enum(p.State)}[/]" +
                (p.FailureReason.Length > 0 ? $" · [red]{p.FailureReason.EscapeMarkup()}[/]" : "")),
        };
        rows.AddRange(p.Actions.Select(a => new Markup($"  • {a.EscapeMarkup()}")));
        if (p.Timeline is { } t)
        {
            rows.Add(new Markup($"[grey]voting {Show.Time(t.VotingStartsAt)} → {Show.Time(t.VotingEndsAt)}{(t.VotingExtended ? " (extended)" : "")}[/]"));
        }
        if (p.Tally is { } tally)
        {
            var total = tally.ForWeight + tally.AgainstWeight + tally.AbstainWeight;
            if (total > 0)
            {
                // The chart's values are shares of the weight cast, in percent (what ShowPercentage labels).
                double Share(long weight) => Math.Round(weight * 100.0 / total, 1);
                rows.Add(new BreakdownChart().Width(60).ShowPercentage()
                    .AddItem($"for {Show.Count(tally.ForWeight)}", Share(tally.ForWeight), Color.Green)
                    .AddItem($"against {Show.Count(tally.AgainstWeight)}", Share(tally.AgainstWeight), Color.Red)
                    .AddItem($"abstain {Show.Count(tally.AbstainWeight)}", Share(tally.AbstainWeight), Color.Grey));
            }
            else
            {
                rows.Add(new Markup("[grey]no votes yet[/]"));
            }
            rows.Add(new Markup(Summary(tally).EscapeMarkup()));
        }
        return new Panel(new Rows(rows)).Header("Proposal").RoundedBorder();
    }

    /// <summary>One line: weights, quorum, threshold, outcome.</summary>
    public static string Summary(Tally t) =>
        $"for {Show.Count(t.ForWeight)} · against {Show.Count(t.AgainstWeight)} · abstain {Show.Count(t.AbstainWeight)} ({t.VoteCount} votes) · " +
        $"quorum {Show.Count(t.ForWeight + t.AgainstWeight + t.AbstainWeight)}/{Show.Count(t.QuorumWeight)} {(t.QuorumReached ? "reached" : "not reached")} · " +
        $"threshold {(t.ThresholdReached ? "reached" : "not reached")} · outcome {Show.Enum(t.Outcome)}{(t.Final ? " (final)" : "")} · " +
        $"snapshot {t.SnapshotSequence.ToString(CultureInfo.InvariantCulture)}, supply {Show.Count(t.SupplyAtSnapshot)}";

    public static void Plain(Output output, ProposalView p)
    {
        output.Fields(null, ("proposal", p.Id), ("dao", p.Dao), ("title", p.Title), ("proposer", p.Proposer), ("state", Show.Enum(p.State)),
            ("voting ends", Show.Time(p.Timeline?.VotingEndsAt)), ("failure", p.FailureReason));
        foreach (var action in p.Actions)
        {
            output.Raw($"action: {action}");
        }
        if (p.Tally is { } tally)
        {
            output.Raw($"tally: {Summary(tally)}");
        }
    }

    private static string StateColour(ProposalState state) => state switch
    {
        ProposalState.Active => "yellow",
        ProposalState.Succeeded or ProposalState.Queued or ProposalState.Executed => "green",
        ProposalState.Defeated or ProposalState.ExecutionFailed or ProposalState.Expired or ProposalState.Canceled => "red",
        _ => "grey",
    };
}
