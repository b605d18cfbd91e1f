using System.Text.Json;
using Perspective.Cli.Infrastructure;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class ProfileTests(CliStack stack) : CliTestBase(stack)
{
    [Fact]
    public async Task Login_stores_a_development_token_in_a_named_profile_and_whoami_reads_it()
    {
        var login = await Pov("login", "--dev", "--sub", "provider-1", "--role", "provider", "--profile", "prov");
        var whoami = Json(await Pov("whoami", "--profile", "prov", "--json"));
        var config = JsonDocument.Parse(await File.ReadAllTextAsync(Config, Ct)).RootElement;

        Assert.Equal(0, login.ExitCode);
        Assert.Equal("provider-1", whoami.GetProperty("subject").GetString());
        Assert.Equal(["provider"], whoami.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("prov", config.GetProperty("current").GetString());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Config));
        }
        // The stored token is accepted by the services: a call as provider-1 succeeds.
        Assert.Equal(0, (await Pov("balances", "--profile", "prov")).ExitCode);
    }

    [Fact]
    public async Task Variables_override_the_profile()
    {
        await LoginAsync("alice");
        var bobToken = DevTokens.Mint("bob", ["user"], TimeSpan.FromMinutes(5), DateTime.UtcNow);

        var whoami = Json(await PovWith(new Dictionary<string, string> { ["POV_TOKEN"] = bobToken, ["POV_TREASURY_URL"] = "http://treasury.example:9" }, "whoami", "--json"));

        Assert.Equal("bob", whoami.GetProperty("subject").GetString());
        Assert.Equal("http://treasury.example:9", whoami.GetProperty("endpoints").GetProperty("treasury").GetString());
        Assert.Equal(Stack.Ledger.Address, whoami.GetProperty("endpoints").GetProperty("ledger").GetString());
    }

    [Fact]
    public async Task Without_a_token_a_call_is_a_usage_error_and_login_needs_a_subject()
    {
        var whoami = await Pov("whoami");
        var login = await Pov("login", "--dev");

        Assert.Equal((1, 1), (whoami.ExitCode, login.ExitCode));
        Assert.Contains("no token", whoami.Error, StringComparison.Ordinal);
        Assert.Contains("--sub", login.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_development_key_is_the_services_development_key() =>
        Assert.Equal(AuthOptions.DevelopmentSigningKey, DevTokens.DevelopmentSigningKey);
}
