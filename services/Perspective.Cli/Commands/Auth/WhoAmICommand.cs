using Perspective.Cli.Infrastructure;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Auth;

/// <summary>Shows the resolved profile: the token's subject, roles and expiry, and the endpoints (no service call).</summary>
public sealed class WhoAmICommand(CliContext cli) : AsyncCommand<PovSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, PovSettings settings, CancellationToken cancellationToken)
    {
        var store = new ProfileStore(cli);
        var profile = store.Resolve(settings.Profile);
        if (profile.Token is null)
        {
            throw new UsageException($"profile '{profile.Name}' has no token: run `pov login --dev --sub <account>` or set POV_TOKEN");
        }
        var (subject, roles, expires, issuer) = DevTokens.Read(profile.Token);
        var expired = expires is { } at && at < cli.Clock.GetUtcNow().UtcDateTime;
        var output = new Output(cli, settings.Json);
        if (settings.Json)
        {
            output.Raw(System.Text.Json.JsonSerializer.Serialize(new
            {
                profile = profile.Name,
                subject,
                roles,
                issuer,
                expires,
                expired,
                endpoints = profile.Endpoints,
                config = store.Path,
            }));
            return Task.FromResult(ExitCodes.Ok);
        }
        var fields = new List<(string, string)>
        {
            ("account", subject), ("roles", string.Join(", ", roles)), ("issuer", issuer),
            ("expires", expires is null ? "never" : $"{expires:yyyy-MM-dd HH:mm:ss}Z{(expired ? " (EXPIRED)" : "")}"),
            ("profile", profile.Name), ("config", store.Path),
        };
        fields.AddRange(profile.Endpoints.Select(e => (e.Key, e.Value)));
        output.Fields("whoami", [.. fields]);
        return Task.FromResult(ExitCodes.Ok);
    }
}
