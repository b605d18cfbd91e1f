using Perspective.UsageGateway;

await UsageGatewayHost.Build(args).RunAsync();
