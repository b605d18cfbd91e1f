using Google.Protobuf.Reflection;
using Perspective.Contracts.Platform.V1;
using Perspective.Testing;

namespace Perspective.PlatformGovernance.Tests;

public sealed class ConventionTests(TestInfrastructure infrastructure) : ServiceConventionTests(infrastructure)
{
    protected override BuildService Build => PlatformGovernanceHost.Build;

    protected override ServiceDescriptor Api => PlatformGovernanceService.Descriptor;

    protected override string Name => "platform";
}
