using System.Text.Json;
using System.Text.Json.Serialization;

namespace Perspective.Cli.Infrastructure;

/// <summary>The six services a profile points at; the key is the service's short name in config and variables.</summary>
public static class Endpoints
{
    public static readonly IReadOnlyDictionary<string, string> Defaults = new Dictionary<string, string>
    {
        ["ledger"] = "http://127.0.0.1:5101",
        ["registry"] = "http://127.0.0.1:5102",
        ["gateway"] = "http://127.0.0.1:5103",
        ["subdao"] = "http://127.0.0.1:5104",
        ["platform"] = "http://127.0.0.1:5105",
        ["treasury"] = "http://127.0.0.1:5106",
    };

    /// <summary>The variable that overrides one endpoint: <c>POV_LEDGER_URL</c>.</summary>
    public static string Variable(string service) => $"POV_{service.ToUpperInvariant()}_URL";
}

/// <summary>One named profile in the config file: endpoints (missing ones take the local defaults) and a bearer token.</summary>
public sealed class Profile
{
    [JsonPropertyName("token")]
    public string? Token { get; set; }

    [JsonPropertyName("endpoints")]
    public Dictionary<string, string> Endpoints { get; set; } = [];
}

/// <summary>The config file: <c>{"current": "default", "profiles": {"default": {...}}}</c>.</summary>
public sealed class ConfigFile
{
    [JsonPropertyName("current")]
    public string Current { get; set; } = "default";

    [JsonPropertyName("profiles")]
    public Dictionary<string, Profile> Profiles { get; set; } = [];
}

/// <summary>What a command runs with after the file, the variables and the options are layered.</summary>
public sealed record ResolvedProfile(string Name, string? Token, IReadOnlyDictionary<string, string> Endpoints, TimeSpan Deadline);

/// <summary>
/// Reads and writes the config file (<c>$POV_CONFIG</c>, else <c>~/.config/pov/config.json</c>) and resolves a profile:
/// <c>--profile</c>, else <c>$POV_PROFILE</c>, else the file's current one; then <c>POV_TOKEN</c> and <c>POV_&lt;SERVICE&gt;_URL</c>
/// override what the file says.
/// </summary>
public sealed class ProfileStore(CliContext cli)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Path => cli.Env("POV_CONFIG")
        ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "pov", "config.json");

    public ConfigFile Load()
    {
        if (!File.Exists(Path))
        {
            return new ConfigFile();
        }
        try
        {
            return JsonSerializer.Deserialize<ConfigFile>(File.ReadAllText(Path), Json) ?? new ConfigFile();
        }
        catch (JsonException ex)
        {
            throw new UsageException($"config file {Path} is not valid JSON: {ex.Message}");
        }
    }

    public void Save(ConfigFile config)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        File.WriteAllText(Path, JsonSerializer.Serialize(config, Json));
        // The token is a credential: readable by its owner only.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public ResolvedProfile Resolve(string? option)
    {
        var config = Load();
        var name = option ?? cli.Env("POV_PROFILE") ?? config.Current;
        var profile = config.Profiles.GetValueOrDefault(name) ?? new Profile();
        var endpoints = new Dictionary<string, string>();
        foreach (var (service, fallback) in Endpoints.Defaults)
        {
            endpoints[service] = cli.Env(Endpoints.Variable(service)) ?? profile.Endpoints.GetValueOrDefault(service) ?? fallback;
        }
        var deadline = cli.Env("POV_TIMEOUT_SECONDS") is { } seconds ? TimeSpan.FromSeconds(Parse.Long("POV_TIMEOUT_SECONDS", seconds)) : TimeSpan.FromSeconds(10);
        return new ResolvedProfile(name, cli.Env("POV_TOKEN") ?? profile.Token, endpoints, deadline);
    }
}
