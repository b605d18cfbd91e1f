using Google.Protobuf.Reflection;
using Perspective.Contracts.Gateway.V1;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

public sealed class ConventionTests(TestInfrastructure infrastructure) : ServiceConventionTests(infrastructure)
{
    protected override BuildService Build => UsageGatewayHost.Build;

    protected override ServiceDescriptor Api => UsageGatewayService.Descriptor;

    protected override string Name => "gateway";
}
