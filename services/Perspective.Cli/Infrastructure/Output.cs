using Google.Protobuf;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Perspective.Cli.Infrastructure;

/// <summary>
/// Writes results three ways: JSON (<c>--json</c>: the response message in the proto3 JSON mapping, every field present,
/// int64 as strings), plain (tab-separated, no colours: for pipes) or rich (Spectre tables, trees and charts).
/// </summary>
public sealed class Output(CliContext cli, bool json)
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public bool Json { get; } = json;

    public bool Plain => cli.Plain;

    public IAnsiConsole Console => cli.Console;

    /// <summary>Raw text, bypassing Spectre's wrapping (JSON and plain lines must reach a pipe unchanged).</summary>
    public void Raw(string line) => cli.Console.Profile.Out.Writer.WriteLine(line);

    public void Message(IMessage message) => Raw(Formatter.Format(message));

    /// <summary>Several messages as one JSON object (a command that makes more than one call).</summary>
    public void Messages(params (string Name, IMessage Message)[] parts) =>
        Raw("{ " + string.Join(", ", parts.Select(p => $"\"{p.Name}\": {Formatter.Format(p.Message)}")) + " }");

    /// <summary>A request id printed so the user can retry the same command safely (stderr when stdout is JSON).</summary>
    public void RequestId(string requestId)
    {
        if (Json)
        {
            cli.Error.WriteLine($"request id: {requestId}");
        }
        else if (Plain)
        {
            Raw($"request id: {requestId}");
        }
        else
        {
            cli.Console.MarkupLine($"[grey]request id: {requestId.EscapeMarkup()}[/]");
        }
    }

    /// <summary>A one-line outcome: green in a terminal, plain text otherwise.</summary>
    public void Done(string text)
    {
        if (Plain)
        {
            Raw(text);
        }
        else
        {
            cli.Console.MarkupLine($"[green]✓[/] {text.EscapeMarkup()}");
        }
    }

    public void Note(string text)
    {
        if (Plain)
        {
            Raw(text);
        }
        else
        {
            cli.Console.MarkupLine($"[grey]{text.EscapeMarkup()}[/]");
        }
    }

    /// <summary>Label/value pairs: a borderless grid, or <c>label: value</c> lines.</summary>
    public void Fields(string? title, params (string Label, string Value)[] fields)
    {
        if (Plain)
        {
            foreach (var (label, value) in fields)
            {
                Raw($"{label}: {value}");
            }
            return;
        }
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var (label, value) in fields)
        {
            grid.AddRow(new Markup($"[bold]{label.EscapeMarkup()}[/]"), new Spectre.Console.Text(value));
        }
        if (title is null)
        {
            cli.Console.Write(grid);
        }
        else
        {
            cli.Console.Write(new Panel(grid).Header(title.EscapeMarkup()).RoundedBorder());
        }
    }

    /// <summary>
    /// A table. Columns whose name starts with '&gt;' are right-aligned (amounts). Plain: a header line and one
    /// tab-separated line per row.
    /// </summary>
    public void Table(string? title, string[] columns, IEnumerable<string[]> rows)
    {
        var names = columns.Select(c => c.TrimStart('>')).ToArray();
        if (Plain)
        {
            Raw(string.Join('\t', names));
            foreach (var row in rows)
            {
                Raw(string.Join('\t', row));
            }
            return;
        }
        var table = new Table().RoundedBorder();
        if (title is not null)
        {
            table.Title(title.EscapeMarkup());
        }
        for (var i = 0; i < columns.Length; i++)
        {
            var column = new TableColumn(new Markup($"[bold]{names[i].EscapeMarkup()}[/]"));
            table.AddColumn(columns[i].StartsWith('>') ? column.RightAligned() : column);
        }
        var count = 0;
        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Spectre.Console.Text(cell)).ToArray());
            count++;
        }
        if (count == 0)
        {
            table.Caption("(none)");
        }
        cli.Console.Write(table);
    }

    public void Write(IRenderable renderable) => cli.Console.Write(renderable);

    public void NextPage(string token)
    {
        if (token.Length > 0 && !Json)
        {
            Note($"more: --page-token {token}");
        }
    }
}
