using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Governance.V1;
using Spectre.Console;
using Spectre.Console.Cli;
using Platform = Perspective.Contracts.Platform.V1;
using SubDao = Perspective.Contracts.SubDao.V1;

namespace Perspective.Cli.Commands.Governance;

/// <summary>Options of a command about one proposal.</summary>
public class ProposalSettings : PovSettings
{
    [CommandArgument(0, "<PROPOSAL_ID>")]
    public string ProposalId { get; init; } = "";

    [CommandOption("--platform")]
    [Description("The proposal is the platform DAO's (default: look in the sub-DAOs, then the platform)")]
    public bool Platform { get; init; }
}

internal static class ProposalOutput
{
    public static void Show(Output output, ProposalView p)
    {
        if (output.Json)
        {
            // The shape of the Get/Create/CancelProposal responses of both DAOs.
            output.Messages(("proposal", p.Raw));
        }
        else if (output.Plain)
        {
            TallyView.Plain(output, p);
        }
        else
        {
            output.Write(TallyView.Render(p));
        }
    }
}

public sealed class ProposalListCommand(CliContext cli) : PovCommand<ProposalListCommand.Settings>(cli)
{
    public sealed class Settings : PageSettings
    {
        [CommandOption("--model <MODEL_ID>")]
        [Description("Proposals of this model's sub-DAO (without it: every sub-DAO's)")]
        public string? Model { get; init; }

        [CommandOption("--platform")]
        [Description("The platform DAO's proposals")]
        public bool Platform { get; init; }

        [CommandOption("--state <STATE>")]
        [Description("pending, active, defeated, succeeded, queued, executed, execution-failed, expired or canceled")]
        public string? State { get; init; }

        [CommandOption("--proposer <ACCOUNT>")]
        public string? Proposer { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var state = Parse.EnumOrDefault<ProposalState>("--state", settings.State);
        List<ProposalView> proposals;
        string next;
        if (settings.Platform)
        {
            var r = await s.Clients.Platform.ListProposalsAsync(new Platform.ListProposalsRequest
            {
                State = state,
                ProposerAccount = settings.Proposer ?? "",
                PageSize = settings.Limit,
                PageToken = settings.PageToken ?? "",
            }, s.Clients.Call(ct));
            (proposals, next) = ([.. r.Proposals.Select(ProposalView.Of)], r.NextPageToken);
            if (s.Out.Json)
            {
                s.Out.Message(r);
                return;
            }
        }
        else
        {
            var r = await s.Clients.SubDao.ListProposalsAsync(new SubDao.ListProposalsRequest
            {
                ModelId = settings.Model ?? "",
                State = state,
                ProposerAccount = settings.Proposer ?? "",
                PageSize = settings.Limit,
                PageToken = settings.PageToken ?? "",
            }, s.Clients.Call(ct));
            if (s.Out.Json)
            {
                s.Out.Message(r);
                return;
            }
            var money = await s.Clients.MoneyAsync(ct, Money.Pov);
            (proposals, next) = ([.. r.Proposals.Select(p => ProposalView.Of(p, money))], r.NextPageToken);
        }
        s.Out.Table("Proposals", ["proposal id", "dao", "title", "state", ">for", ">against", ">abstain", "voting ends"],
            proposals.Select(p => new[]
            {
                p.Id, p.Dao, p.Title, Show.Enum(p.State), Show.Count(p.Tally?.ForWeight ?? 0), Show.Count(p.Tally?.AgainstWeight ?? 0),
                Show.Count(p.Tally?.AbstainWeight ?? 0), Show.Time(p.Timeline?.VotingEndsAt),
            }));
        s.Out.NextPage(next);
    }
}

public sealed class ProposalShowCommand(CliContext cli) : PovCommand<ProposalShowCommand.Settings>(cli)
{
    public sealed class Settings : ProposalSettings
    {
        [CommandOption("--votes")]
        [Description("List the votes too")]
        public bool Votes { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var proposal = await Daos.GetAsync(s, settings.ProposalId, settings.Platform, ct);
        ProposalOutput.Show(s.Out, proposal);
        if (settings.Votes && !s.Out.Json)
        {
            var votes = await Daos.VotesAsync(s, proposal, ct);
            s.Out.Table("Votes", [">#", "voter", "support", ">weight", "reason", "cast"],
                votes.Select(v => new[] { v.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture), v.VoterAccount, Show.Enum(v.Support), Show.Count(v.Weight), v.Reason, Show.Time(v.CastAt) }));
        }
    }
}

public sealed class ProposalVoteCommand(CliContext cli) : PovCommand<ProposalVoteCommand.Settings>(cli)
{
    public sealed class Settings : ProposalSettings
    {
        [CommandArgument(1, "<SUPPORT>")]
        [Description("for, against or abstain")]
        public string Support { get; init; } = "";

        [CommandOption("--reason <TEXT>")]
        public string? Reason { get; init; }

        [CommandOption("--request-id <ID>")]
        [Description("Idempotency key (default: a new UUID, printed)")]
        public string? RequestId { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var support = Parse.Enum<VoteSupport>("<SUPPORT>", settings.Support);
        var proposal = await Daos.GetAsync(s, settings.ProposalId, settings.Platform, ct);
        var (vote, tally, raw) = await Daos.VoteAsync(s, proposal, support, settings.Reason ?? "", s.RequestId(settings.RequestId), ct);
        if (s.Out.Json)
        {
            s.Out.Message(raw);
            return;
        }
        s.Out.Done($"{vote.VoterAccount} voted {Show.Enum(vote.Support)} with weight {Show.Count(vote.Weight)}");
        ProposalOutput.Show(s.Out, proposal with { Tally = tally });
    }
}

public sealed class ProposalCancelCommand(CliContext cli) : PovCommand<ProposalCancelCommand.Settings>(cli)
{
    public sealed class Settings : ProposalSettings
    {
        [CommandOption("--reason <TEXT>")]
        public string? Reason { get; init; }

        [CommandOption("--request-id <ID>")]
        [Description("Idempotency key (default: a new UUID, printed)")]
        public string? RequestId { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var proposal = await Daos.GetAsync(s, settings.ProposalId, settings.Platform, ct);
        ProposalOutput.Show(s.Out, await Daos.CancelAsync(s, proposal, settings.Reason ?? "", s.RequestId(settings.RequestId), ct));
    }
}

/// <summary>Polls a proposal until voting is decided (or, with --until-final, until nothing more will happen), showing its tally live.</summary>
public sealed class ProposalWatchCommand(CliContext cli) : PovCommand<ProposalWatchCommand.Settings>(cli)
{
    public sealed class Settings : ProposalSettings
    {
        [CommandOption("--interval <SECONDS>")]
        [DefaultValue(2)]
        public int Interval { get; init; } = 2;

        [CommandOption("--until-final")]
        [Description("Keep watching through execution (EXECUTED, EXECUTION_FAILED, DEFEATED, EXPIRED or CANCELED)")]
        public bool UntilFinal { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var proposal = await Daos.GetAsync(s, settings.ProposalId, settings.Platform, ct);
        bool Done(ProposalView p) => settings.UntilFinal ? p.Final : p.Decided;
        var interval = TimeSpan.FromSeconds(Math.Max(1, settings.Interval));
        if (s.Out.Json || s.Out.Plain)
        {
            string? last = null;
            while (true)
            {
                var line = $"{Show.Enum(proposal.State)} {(proposal.Tally is { } t ? TallyView.Summary(t) : "")}";
                if (line != last && !s.Out.Json)
                {
                    s.Out.Raw($"{s.Cli.Clock.GetUtcNow():HH:mm:ss} {line}");
                    last = line;
                }
                if (Done(proposal))
                {
                    break;
                }
                await Task.Delay(interval, s.Cli.Clock, ct);
                proposal = await Daos.GetAsync(s, proposal.Id, proposal.Platform, ct);
            }
            if (s.Out.Json)
            {
                ProposalOutput.Show(s.Out, proposal);
            }
            return;
        }
        await s.Out.Console.Live(TallyView.Render(proposal)).StartAsync(async live =>
        {
            while (!Done(proposal))
            {
                await Task.Delay(interval, s.Cli.Clock, ct);
                proposal = await Daos.GetAsync(s, proposal.Id, proposal.Platform, ct);
                live.UpdateTarget(TallyView.Render(proposal));
            }
        });
        s.Out.Done($"proposal {Show.Enum(proposal.State)}");
    }
}
