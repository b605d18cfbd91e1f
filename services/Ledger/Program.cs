using Perspective.Ledger;

await LedgerHost.Build(args).RunAsync();
