using Google.Protobuf.Reflection;
using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;

namespace Perspective.Treasury.Tests;

public sealed class ConventionTests(TestInfrastructure infrastructure) : ServiceConventionTests(infrastructure)
{
    protected override BuildService Build => TreasuryHost.Build;

    protected override ServiceDescriptor Api => TreasuryService.Descriptor;

    protected override string Name => "treasury";
}
