using Perspective.Cli.Commands.Auth;
using Perspective.Cli.Commands.Ledger;
using Perspective.Cli.Infrastructure;
using Spectre.Console.Cli;

namespace Perspective.Cli;

/// <summary>The command tree of <c>pov</c>. Tests run it in-process with a TestConsole through <see cref="RunAsync"/>.</summary>
public static class PovApp
{
    public static async Task<int> RunAsync(string[] args, CliContext cli)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("pov");
            config.ConfigureConsole(cli.Console);
            config.Settings.Registrar.RegisterInstance(cli);
            config.SetExceptionHandler((exception, _) => ExitCodes.Report(exception, cli));
            Configure(config);
        });
        return await app.RunAsync(args);
    }

    private static void Configure(IConfigurator config)
    {
        config.AddCommand<LoginCommand>("login").WithDescription("Store a token in a profile; --dev mints a development token for the local stack")
            .WithExample("login", "--dev", "--sub", "alice", "--role", "user")
            .WithExample("login", "--dev", "--sub", "provider-1", "--role", "provider", "--profile", "provider")
            .WithExample("login", "--token", "eyJhbGciOi...", "--endpoint", "ledger=https://ledger.example.org");
        config.AddCommand<WhoAmICommand>("whoami").WithDescription("Show the account, roles and endpoints of the current profile")
            .WithExample("whoami").WithExample("whoami", "--profile", "provider", "--json");

        config.AddCommand<BalanceCommand>("balance").WithDescription("One account's balance of one asset")
            .WithExample("balance").WithExample("balance", "bob", "--asset", "POV");
        config.AddCommand<BalancesCommand>("balances").WithDescription("Every asset an account holds")
            .WithExample("balances").WithExample("balances", "treasury:<model-id>", "--json");
        config.AddCommand<TransferCommand>("transfer").WithDescription("Move an amount of an asset from your account")
            .WithExample("transfer", "bob", "2500").WithExample("transfer", "bob", "100", "--asset", "MYMODEL", "--memo", "thanks")
            .WithExample("transfer", "bob", "2500", "--request-id", "3f0c7c1e-5b7e-4c59-9a55-2d1f0e3a8b11");
        config.AddBranch("transfers", b =>
        {
            b.SetDescription("Ledger transfers");
            b.AddCommand<TransfersListCommand>("list").WithDescription("Transfers touching an account or of an asset, oldest first")
                .WithExample("transfers", "list").WithExample("transfers", "list", "--asset", "POV", "--limit", "20");
            b.AddCommand<TransfersShowCommand>("show").WithDescription("One transfer with its journal receipt")
                .WithExample("transfers", "show", "<transfer-id>");
        });

        config.AddCommand<LockCommand>("lock").WithDescription("Freeze part of your balance until a time (it still votes)")
            .WithExample("lock", "10000", "--until", "30d").WithExample("lock", "500", "--asset", "MYMODEL", "--until", "2027-01-01T00:00:00Z");
        config.AddCommand<UnlockCommand>("unlock").WithDescription("Release a lock whose time has passed")
            .WithExample("unlock", "<lock-id>");
        config.AddBranch("locks", b =>
        {
            b.SetDescription("Token locks");
            b.AddCommand<LocksListCommand>("list").WithDescription("Your locks (or another account's)")
                .WithExample("locks", "list").WithExample("locks", "list", "--status", "active");
            b.AddCommand<LocksShowCommand>("show").WithDescription("One lock").WithExample("locks", "show", "<lock-id>");
        });

        config.AddBranch("swaps", b =>
        {
            b.SetDescription("Over-the-counter swap offers (escrowed on the Ledger)");
            b.AddCommand<SwapCreateCommand>("create").WithDescription("Offer an amount of one asset for an amount of another")
                .WithExample("swaps", "create", "--give", "5000:MYMODEL", "--want", "2500:POV")
                .WithExample("swaps", "create", "--give", "100:POV", "--want", "300:MYMODEL", "--to", "bob", "--expires", "2h");
            b.AddCommand<SwapAcceptCommand>("accept").WithDescription("Take an open offer (both legs in one journal entry)")
                .WithExample("swaps", "accept", "<offer-id>");
            b.AddCommand<SwapCancelCommand>("cancel").WithDescription("Cancel your open offer (the escrow returns)")
                .WithExample("swaps", "cancel", "<offer-id>");
            b.AddCommand<SwapListCommand>("list").WithDescription("Offers by maker, by who may accept them, by asset or status")
                .WithExample("swaps", "list", "--status", "open").WithExample("swaps", "list", "--acceptable-by", "bob", "--asset", "MYMODEL");
            b.AddCommand<SwapShowCommand>("show").WithDescription("One offer").WithExample("swaps", "show", "<offer-id>");
        });

        config.AddBranch("journal", b =>
        {
            b.SetDescription("The Ledger's hash-chained journal");
            b.AddCommand<JournalHeadCommand>("head").WithDescription("The latest sequence and hash").WithExample("journal", "head");
            b.AddCommand<JournalVerifyCommand>("verify").WithDescription("Recompute the hash chain (exit 2 if broken)")
                .WithExample("journal", "verify").WithExample("journal", "verify", "--from", "1", "--to", "500");
        });
    }
}
