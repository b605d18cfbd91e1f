using Perspective.SubDaoGovernance;

await SubDaoGovernanceHost.Build(args).RunAsync();
