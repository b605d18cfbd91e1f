using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Perspective.Demo;
using Spectre.Console;

// make demo: the story against the stack of make up. Exit codes: 0 told to the end, the journal valid and every asset
// summing to zero; 1 the stack is not running; 2 a service refused a step (its gRPC status and message are printed) or
// the final checks failed; 3 a wait timed out, or a charge that must be refused was accepted.
var console = AnsiConsole.Console;
if (!console.Profile.Capabilities.Interactive)
{
    // Redirected (docs/demo.md is made this way): wide enough that tables keep one line per row.
    console.Profile.Width = 160;
}
var endpoints = DemoEndpoints.Local;
var down = new List<string>();
foreach (var (name, address) in endpoints.All)
{
    try
    {
        using var channel = GrpcChannel.ForAddress(address);
        // Readiness and "broker": readiness stays SERVING through a broker outage, and the demo waits for events.
        foreach (var service in new[] { "", "broker" })
        {
            var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(3));
            if (health.Status != HealthCheckResponse.Types.ServingStatus.Serving)
            {
                down.Add($"{name} ({address}) is {health.Status}{(service.Length > 0 ? $" ({service})" : "")}");
                break;
            }
        }
    }
    catch (RpcException ex)
    {
        down.Add($"{name} ({address}) is unreachable ({ex.StatusCode})");
    }
}
if (down.Count > 0)
{
    console.MarkupLine(Markup.Escape(down.Count == endpoints.All.Count
        ? "The local stack is not running: no service answers on 127.0.0.1:5101-5106."
        : $"The local stack is not fully up: {string.Join("; ", down)}."));
    console.MarkupLine("[bold]Run make up first[/] (make status shows what runs).");
    return 1;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
console.Write(new Rule("[bold]Perspective: the story, end to end against the local stack[/]"));
try
{
    var result = await DemoStory.RunAsync(endpoints, new LiveStoryClock(console), new ConsoleStoryOutput(console), cancel.Token);
    return result.JournalValid && result.Sums.All(s => s.Sum == 0 && s.HoldersTotal == s.Supply) ? 0 : 2;
}
catch (RpcException ex)
{
    console.MarkupLine(Markup.Escape($"A service refused a step: {ex.StatusCode} \"{ex.Status.Detail}\"."));
    return 2;
}
catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
{
    console.MarkupLine(Markup.Escape(ex.Message));
    return 3;
}
