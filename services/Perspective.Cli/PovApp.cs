using Perspective.Cli.Commands.Audit;
using Perspective.Cli.Commands.Auth;
using Perspective.Cli.Commands.Governance;
using Perspective.Cli.Commands.Ledger;
using Perspective.Cli.Commands.Models;
using Perspective.Cli.Commands.Treasury;
using Perspective.Cli.Commands.Usage;
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
            ConfigureModelsAndUsage(config);
            ConfigureGovernance(config);
            ConfigureTreasury(config);
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
        config.AddCommand<TransferCommand>("transfer").WithDescription("Move an amount (in base units) of an asset from your account")
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
            b.AddCommand<SwapCreateCommand>("create").WithDescription("Offer an amount of one asset for an amount of another (both in base units)")
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

        config.AddCommand<AuditCommand>("audit").WithDescription("Check the books: balances sum to zero, journal, payments, revenue, distributions, outboxes")
            .WithExample("audit").WithExample("audit", "--json").WithExample("audit", "--database", "ledger=Host=db;Database=perspective_ledger;Username=auditor");

        config.AddBranch("journal", b =>
        {
            b.SetDescription("The Ledger's hash-chained journal");
            b.AddCommand<JournalHeadCommand>("head").WithDescription("The latest sequence and hash").WithExample("journal", "head");
            b.AddCommand<JournalVerifyCommand>("verify").WithDescription("Recompute the hash chain (exit 2 if broken)")
                .WithExample("journal", "verify").WithExample("journal", "verify", "--from", "1", "--to", "500");
        });
    }

    private static void ConfigureModelsAndUsage(IConfigurator config)
    {
        config.AddBranch("models", b =>
        {
            b.SetDescription("AI models in the registry");
            b.AddCommand<ModelRegisterCommand>("register").WithDescription("Register a model; its whole AI-token supply is minted to you")
                .WithExample("models", "register", "--name", "Summarizer", "--description", "Summaries", "--symbol", "SUMM", "--supply", "1000000000",
                    "--price", "250", "--unit", "request", "--provider", "provider-1");
            b.AddCommand<ModelListCommand>("list").WithDescription("Models by status, creator or provider")
                .WithExample("models", "list").WithExample("models", "list", "--status", "listed", "--provider", "provider-1");
            b.AddCommand<ModelShowCommand>("show").WithDescription("A model and its status and price history")
                .WithExample("models", "show", "<model-id>");
            b.AddCommand<ModelQuoteCommand>("quote").WithDescription("What a number of units costs now (the gateway's price)")
                .WithExample("models", "quote", "<model-id>", "--units", "3");
        });
        config.AddBranch("allowances", b =>
        {
            b.SetDescription("How much a model's provider may charge you");
            b.AddCommand<AllowanceSetCommand>("set").WithDescription("Set (or replace) your allowance for a model")
                .WithExample("allowances", "set", "<model-id>", "100000").WithExample("allowances", "set", "<model-id>", "5000", "--expires", "30d");
            b.AddCommand<AllowanceShowCommand>("show").WithDescription("One allowance: cap, used, reserved, remaining")
                .WithExample("allowances", "show", "<model-id>").WithExample("allowances", "show", "<model-id>", "--payer", "alice");
            b.AddCommand<AllowanceRevokeCommand>("revoke").WithDescription("Stop a model's provider charging you")
                .WithExample("allowances", "revoke", "<model-id>");
            b.AddCommand<AllowanceListCommand>("list").WithDescription("Your allowances")
                .WithExample("allowances", "list").WithExample("allowances", "list", "--all");
        });
        config.AddCommand<ChargeCommand>("charge").WithDescription("As a model's provider: charge a payer for units of usage")
            .WithExample("charge", "<model-id>", "alice", "3").WithExample("charge", "<model-id>", "alice", "1", "--request-id", "req-0001", "--json");
        config.AddBranch("usage", b =>
        {
            b.SetDescription("Metered usage as a provider: authorize (hold) first, settle the units used");
            b.AddCommand<AuthorizeCommand>("authorize").WithDescription("Hold the price of up to MAX_UNITS before serving")
                .WithExample("usage", "authorize", "<model-id>", "alice", "100", "--ttl", "600");
            b.AddCommand<SettleCommand>("settle").WithDescription("Charge the units actually used; the rest of the hold returns")
                .WithExample("usage", "settle", "<authorization-id>", "42");
            b.AddCommand<CancelUsageCommand>("cancel").WithDescription("Release the hold without charging")
                .WithExample("usage", "cancel", "<authorization-id>", "--reason", "\"client went away\"");
            b.AddCommand<AuthorizationShowCommand>("show").WithDescription("One authorization").WithExample("usage", "show", "<authorization-id>");
            b.AddCommand<AuthorizationListCommand>("list").WithDescription("Authorizations by payer, model or status")
                .WithExample("usage", "list", "--model", "<model-id>", "--status", "authorized");
        });
        config.AddBranch("payments", b =>
        {
            b.SetDescription("Payments made through the gateway");
            b.AddCommand<PaymentListCommand>("list").WithDescription("Payments by payer or model")
                .WithExample("payments", "list", "--payer", "alice").WithExample("payments", "list", "--model", "<model-id>", "--json");
            b.AddCommand<PaymentShowCommand>("show").WithDescription("One payment with its ledger transfer").WithExample("payments", "show", "<payment-id>");
        });
    }

    private static void ConfigureGovernance(IConfigurator config)
    {
        config.AddBranch("proposals", b =>
        {
            b.SetDescription("Proposals of a model's sub-DAO (--model) or of the platform DAO (--platform)");
            b.AddCommand<ProposalCreateCommand>("create").WithDescription("Propose actions; voting opens after the DAO's voting delay")
                .WithExample("proposals", "create", "--model", "<model-id>", "--title", "\"Lower the fee\"", "--set-usage-fee", "200")
                .WithExample("proposals", "create", "--model", "<model-id>", "--title", "\"Pay the data\"", "--treasury-spend", "\"dataco:5000:dataset v2\"")
                .WithExample("proposals", "create", "--model", "<model-id>", "--title", "Rewards", "--distribute", "10000")
                .WithExample("proposals", "create", "--platform", "--title", "\"Ban it\"", "--ban-model", "\"<model-id>:licence breach\"")
                .WithExample("proposals", "create", "--platform", "--title", "\"Safety v1\"", "--publish-standard", "Safety", "--standard-file", "safety.md")
                .WithExample("proposals", "create", "--platform", "--title", "\"Approve listings\"", "--set-parameter", "listing_requires_approval=true");
            b.AddCommand<ProposalListCommand>("list").WithDescription("Proposals by DAO, state or proposer")
                .WithExample("proposals", "list", "--model", "<model-id>").WithExample("proposals", "list", "--platform", "--state", "active");
            b.AddCommand<ProposalShowCommand>("show").WithDescription("A proposal with its actions and tally bar")
                .WithExample("proposals", "show", "<proposal-id>").WithExample("proposals", "show", "<proposal-id>", "--votes");
            b.AddCommand<ProposalVoteCommand>("vote").WithDescription("Vote with your balance at the proposal's snapshot")
                .WithExample("proposals", "vote", "<proposal-id>", "for").WithExample("proposals", "vote", "<proposal-id>", "against", "--reason", "\"too high\"");
            b.AddCommand<ProposalWatchCommand>("watch").WithDescription("Follow the tally live until voting is decided")
                .WithExample("proposals", "watch", "<proposal-id>").WithExample("proposals", "watch", "<proposal-id>", "--until-final");
            b.AddCommand<ProposalCancelCommand>("cancel").WithDescription("Cancel your proposal before voting ends")
                .WithExample("proposals", "cancel", "<proposal-id>");
        });
        config.AddBranch("dao", b =>
        {
            b.SetDescription("DAO settings");
            b.AddCommand<DaoShowCommand>("show").WithDescription("Governance settings of a sub-DAO or the platform DAO")
                .WithExample("dao", "show", "--model", "<model-id>").WithExample("dao", "show", "--platform");
            b.AddCommand<DaoListCommand>("list").WithDescription("Every model's sub-DAO").WithExample("dao", "list");
        });
        config.AddBranch("parameters", b =>
        {
            b.SetDescription("Platform parameters (set by platform proposals)");
            b.AddCommand<ParameterListCommand>("list").WithDescription("Every parameter with its value").WithExample("parameters", "list");
            b.AddCommand<ParameterShowCommand>("show").WithDescription("One parameter").WithExample("parameters", "show", "listing_requires_approval");
        });
        config.AddBranch("standards", b =>
        {
            b.SetDescription("Standards published by the platform DAO");
            b.AddCommand<StandardListCommand>("list").WithDescription("Published standards").WithExample("standards", "list");
            b.AddCommand<StandardShowCommand>("show").WithDescription("One standard with its text").WithExample("standards", "show", "<standard-id>");
        });
    }

    private static void ConfigureTreasury(IConfigurator config)
    {
        config.AddBranch("treasury", b =>
        {
            b.SetDescription("A model's treasury: revenue, payouts, distributions");
            b.AddCommand<TreasuryShowCommand>("show").WithDescription("Balance, revenue, paid out, distributed").WithExample("treasury", "show", "<model-id>");
            b.AddCommand<TreasuryRevenueCommand>("revenue").WithDescription("Revenue by day as a bar chart")
                .WithExample("treasury", "revenue", "<model-id>").WithExample("treasury", "revenue", "<model-id>", "--days", "30");
            b.AddCommand<TreasuryPayoutsCommand>("payouts").WithDescription("Treasury spends carried out").WithExample("treasury", "payouts", "<model-id>");
            b.AddCommand<TreasuryDistributionsCommand>("distributions").WithDescription("Reward distributions with their progress")
                .WithExample("treasury", "distributions", "<model-id>").WithExample("treasury", "distributions", "--id", "<distribution-id>");
            b.AddCommand<TreasuryReconcileCommand>("reconcile").WithDescription("Compare the treasury's revenue with the Ledger's")
                .WithExample("treasury", "reconcile", "<model-id>");
        });
    }
}
