using System.Text.Json;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Testing;

namespace Perspective.Cli.Tests;

/// <summary>Each test has its own config file (its own profiles); the services are the class's <see cref="CliStack"/>.</summary>
public abstract class CliTestBase(CliStack stack) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("pov-cli-").FullName;

    protected CliStack Stack { get; } = stack;

    protected string Config => Path.Combine(folder, "config.json");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected Task<CliRun> Pov(params string[] args) => Stack.RunAsync(Config, args);

    protected Task<CliRun> PovWith(IDictionary<string, string> env, params string[] args) => Stack.RunAsync(Config, args, env);

    /// <summary>Logs the default profile in as <paramref name="account"/> with a development token.</summary>
    protected async Task LoginAsync(string account, string role = "user", string? profile = null)
    {
        var run = await Pov(profile is null ? ["login", "--dev", "--sub", account, "--role", role] : ["login", "--dev", "--sub", account, "--role", role, "--profile", profile]);
        Assert.Equal(0, run.ExitCode);
    }

    /// <summary>A balance read directly over gRPC (not through the CLI), to check what the CLI did.</summary>
    protected async Task<Balance> BalanceAsync(string account, string asset = "POV") =>
        (await new LedgerService.LedgerServiceClient(Stack.Ledger.Channel)
            .GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = asset }, TestTokens.Bearer("auditor"), cancellationToken: Ct)).Balance;

    protected async Task<Allowance> AllowanceAsync(string payer, string modelId) =>
        (await new UsageGatewayService.UsageGatewayServiceClient(Stack.Gateway.Channel)
            .GetAllowanceAsync(new GetAllowanceRequest { PayerAccount = payer, ModelId = modelId }, TestTokens.Bearer(payer), cancellationToken: Ct)).Allowance;

    protected static JsonElement Json(CliRun run)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Error}");
        return JsonDocument.Parse(run.Output).RootElement;
    }

    /// <summary>
    /// Registers a listed model as carol, provided by provider-1, at <paramref name="price"/> POV base units per request; its
    /// token has <paramref name="decimals"/> decimals and a supply of 1,000,000 base units, all carol's.
    /// </summary>
    protected async Task<(string ModelId, string Symbol)> RegisterModelAsync(long price, int decimals = 6)
    {
        var symbol = "M" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        await LoginAsync("carol", profile: "carol");
        var run = await Pov("models", "register", "--profile", "carol", "--name", $"model {symbol}", "--description", "a model for CLI tests",
            "--provider", "provider-1", "--symbol", symbol, "--supply", "1000000", "--price", price.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--decimals", decimals.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        return (Json(run).GetProperty("model").GetProperty("modelId").GetString()!, symbol);
    }

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}
