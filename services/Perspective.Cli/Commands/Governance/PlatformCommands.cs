using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Platform.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Governance;

public sealed class ParameterListCommand(CliContext cli) : PovCommand<PageSettings>(cli)
{
    protected override async Task RunAsync(Session s, PageSettings settings, CancellationToken ct)
    {
        var r = await s.Clients.Platform.ListParametersAsync(new ListParametersRequest { PageSize = settings.Limit, PageToken = settings.PageToken ?? "" }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(r);
            return;
        }
        s.Out.Table("Platform parameters", ["key", "type", "value", "default", "set by proposal", "description"],
            r.Parameters.Select(p => new[]
            {
                p.Key, Show.Enum(p.Type), ProposalView.Value(p.Value), ProposalView.Value(p.DefaultValue), p.UpdatedByProposalId, p.Description,
            }));
        s.Out.NextPage(r.NextPageToken);
    }
}

public sealed class ParameterShowCommand(CliContext cli) : PovCommand<ParameterShowCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "<KEY>")]
        public string Key { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var r = await s.Clients.Platform.GetParameterAsync(new GetParameterRequest { Key = settings.Key }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(r);
            return;
        }
        var p = r.Parameter;
        s.Out.Fields($"Parameter {p.Key}", ("key", p.Key), ("type", Show.Enum(p.Type)), ("value", ProposalView.Value(p.Value)),
            ("default", ProposalView.Value(p.DefaultValue)), ("description", p.Description), ("set by proposal", p.UpdatedByProposalId), ("updated", Show.Time(p.UpdatedAt)));
    }
}

public sealed class StandardListCommand(CliContext cli) : PovCommand<StandardListCommand.Settings>(cli)
{
    public sealed class Settings : PageSettings
    {
        [CommandOption("--title <TITLE>")]
        [Description("Every version of one standard")]
        public string? Title { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var r = await s.Clients.Platform.ListStandardsAsync(new ListStandardsRequest
        {
            Title = settings.Title ?? "",
            PageSize = settings.Limit,
            PageToken = settings.PageToken ?? "",
        }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(r);
            return;
        }
        s.Out.Table("Standards", ["standard id", "title", "version", "published", "sha-256", "proposal"],
            r.Standards.Select(d => new[] { d.StandardId, d.Title, d.Version, Show.Time(d.PublishedAt), d.TextDigest[..Math.Min(16, d.TextDigest.Length)], d.ProposalId }));
        s.Out.NextPage(r.NextPageToken);
    }
}

public sealed class StandardShowCommand(CliContext cli) : PovCommand<StandardShowCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandArgument(0, "<STANDARD_ID>")]
        public string StandardId { get; init; } = "";
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var r = await s.Clients.Platform.GetStandardAsync(new GetStandardRequest { StandardId = settings.StandardId }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(r);
            return;
        }
        var d = r.Standard;
        s.Out.Fields($"Standard {d.Title}", ("standard id", d.StandardId), ("title", d.Title), ("version", d.Version),
            ("published", Show.Time(d.PublishedAt)), ("sha-256", d.TextDigest), ("proposal", d.ProposalId));
        if (s.Out.Plain)
        {
            s.Out.Raw(d.Text);
        }
        else
        {
            s.Out.Write(new Panel(new Spectre.Console.Text(d.Text)).Header("text").RoundedBorder());
        }
    }
}
