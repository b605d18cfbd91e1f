using Google.Protobuf.Reflection;
using Perspective.Contracts.Registry.V1;
using Perspective.Testing;

namespace Perspective.ModelRegistry.Tests;

public sealed class ConventionTests(TestInfrastructure infrastructure) : ServiceConventionTests(infrastructure)
{
    protected override BuildService Build => ModelRegistryHost.Build;

    protected override ServiceDescriptor Api => ModelRegistryService.Descriptor;

    protected override string Name => "registry";
}
