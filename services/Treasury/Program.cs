using Perspective.Treasury;

await TreasuryHost.Build(args).RunAsync();
