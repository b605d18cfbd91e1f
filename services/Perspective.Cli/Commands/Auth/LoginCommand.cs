using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Auth;

/// <summary>Stores a token (and optionally endpoints) in a profile; <c>--dev</c> mints a development token.</summary>
public sealed class LoginCommand(CliContext cli) : AsyncCommand<LoginCommand.Settings>
{
    public sealed class Settings : PovSettings
    {
        [CommandOption("--dev")]
        [Description("Mint a development token (HS256, development key or $POV_SIGNING_KEY) for the local stack")]
        public bool Dev { get; init; }

        [CommandOption("--sub <ACCOUNT>")]
        [Description("Subject (account) of the development token")]
        public string? Subject { get; init; }

        [CommandOption("--role <ROLE>")]
        [Description("user, provider, service or admin; repeat for several (default: user)")]
        public string[] Roles { get; init; } = [];

        [CommandOption("--hours <N>")]
        [Description("Lifetime of the development token")]
        [DefaultValue(8)]
        public int Hours { get; init; } = 8;

        [CommandOption("--token <JWT>")]
        [Description("Store this token instead of minting one")]
        public string? Token { get; init; }

        [CommandOption("--endpoint <SERVICE=URL>")]
        [Description("Store an endpoint in the profile, e.g. ledger=http://127.0.0.1:5101; repeatable")]
        public string[] Endpoints { get; init; } = [];

        public override ValidationResult Validate()
        {
            if (Dev == (Token is not null))
            {
                return ValidationResult.Error("give either --dev (with --sub) or --token");
            }
            if (Dev && string.IsNullOrWhiteSpace(Subject))
            {
                return ValidationResult.Error("--dev needs --sub <ACCOUNT>");
            }
            if (Roles.FirstOrDefault(r => !DevTokens.Roles.Contains(r)) is { } unknown)
            {
                return ValidationResult.Error($"unknown role '{unknown}' (one of {string.Join(", ", DevTokens.Roles)})");
            }
            return ValidationResult.Success();
        }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var store = new ProfileStore(cli);
        var config = store.Load();
        // Without --profile (or $POV_PROFILE) login writes the profile "default" and makes it current; a named profile
        // becomes current only when the file has no current profile yet, so `--profile provider` adds one beside it.
        var named = settings.Profile ?? cli.Env("POV_PROFILE");
        var name = named ?? "default";
        var profile = config.Profiles.GetValueOrDefault(name) ?? new Infrastructure.Profile();
        profile.Token = settings.Token ?? DevTokens.Mint(settings.Subject!, settings.Roles.Length == 0 ? ["user"] : settings.Roles,
            TimeSpan.FromHours(settings.Hours), cli.Clock.GetUtcNow().UtcDateTime, cli.Env("POV_SIGNING_KEY"));
        foreach (var pair in settings.Endpoints)
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2 || !Infrastructure.Endpoints.Defaults.ContainsKey(parts[0]))
            {
                throw new UsageException($"--endpoint: '{pair}' is not SERVICE=URL with SERVICE one of {string.Join(", ", Infrastructure.Endpoints.Defaults.Keys)}");
            }
            profile.Endpoints[parts[0]] = parts[1];
        }
        config.Profiles[name] = profile;
        if (named is null || !config.Profiles.ContainsKey(config.Current))
        {
            config.Current = name;
        }
        store.Save(config);

        var (subject, roles, expires, _) = DevTokens.Read(profile.Token);
        var output = new Output(cli, settings.Json);
        if (settings.Json)
        {
            output.Raw(System.Text.Json.JsonSerializer.Serialize(new { profile = name, subject, roles, expires, config = store.Path }));
        }
        else
        {
            output.Done($"logged in as {subject} ({string.Join(", ", roles)}) in profile '{name}', token valid until {expires:yyyy-MM-dd HH:mm}Z; saved to {store.Path}");
        }
        return Task.FromResult(ExitCodes.Ok);
    }
}
