using System.ComponentModel;
using Spectre.Console.Cli;

namespace Perspective.Cli.Infrastructure;

/// <summary>Options every command takes.</summary>
public class PovSettings : CommandSettings
{
    [CommandOption("--profile <NAME>")]
    [Description("Profile of the config file to use (default: $POV_PROFILE, else the file's current profile)")]
    public string? Profile { get; init; }

    [CommandOption("--json")]
    [Description("Print the response as JSON (proto3 JSON mapping) for scripts")]
    public bool Json { get; init; }
}

/// <summary>Options of a list command: one page at a time.</summary>
public class PageSettings : PovSettings
{
    [CommandOption("--limit <N>")]
    [Description("Page size")]
    [DefaultValue(50)]
    public int Limit { get; init; } = 50;

    [CommandOption("--page-token <TOKEN>")]
    [Description("Continue from a previous page")]
    public string? PageToken { get; init; }
}

/// <summary>Options of a command that changes something: an idempotency key.</summary>
public class MutatingSettings : PovSettings
{
    [CommandOption("--request-id <ID>")]
    [Description("Idempotency key; a retry with the same id is not applied twice (default: a new UUID, printed)")]
    public string? RequestId { get; init; }
}

/// <summary>What a command body gets: clients for the resolved profile, the output, the context.</summary>
public sealed class Session(CliContext cli, Clients clients, Output output)
{
    public CliContext Cli { get; } = cli;

    public Clients Clients { get; } = clients;

    public Output Out { get; } = output;

    /// <summary>The caller's account: the subject of the profile's token.</summary>
    public string Me => Clients.Profile.Token is { } token
        ? DevTokens.Read(token).Subject
        : throw new UsageException("no token: run `pov login --dev --sub <account>` or set POV_TOKEN");

    /// <summary>The request id of a mutating command: the given one or a new UUID; printed either way.</summary>
    public string RequestId(MutatingSettings settings) => RequestId(settings.RequestId);

    public string RequestId(string? given)
    {
        var id = given ?? Guid.NewGuid().ToString();
        Out.RequestId(id);
        return id;
    }
}

/// <summary>
/// Base of every command that calls a service: resolves the profile, opens the clients, runs the body. Failures
/// (gRPC status, unreachable, bad values) propagate to the app's exception handler, which maps them to exit codes.
/// </summary>
public abstract class PovCommand<TSettings>(CliContext cli) : AsyncCommand<TSettings> where TSettings : PovSettings
{
    protected CliContext Cli { get; } = cli;

    public override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        using var clients = new Clients(new ProfileStore(Cli).Resolve(settings.Profile));
        await RunAsync(new Session(Cli, clients, new Output(Cli, settings.Json)), settings, cancellationToken);
        return ExitCodes.Ok;
    }

    protected abstract Task RunAsync(Session s, TSettings settings, CancellationToken ct);
}
