using Perspective.ModelRegistry;

await ModelRegistryHost.Build(args).RunAsync();
