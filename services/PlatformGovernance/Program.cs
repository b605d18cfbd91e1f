using Perspective.PlatformGovernance;

await PlatformGovernanceHost.Build(args).RunAsync();
