using Google.Protobuf.Reflection;
using Perspective.Contracts.SubDao.V1;
using Perspective.Testing;

namespace Perspective.SubDaoGovernance.Tests;

public sealed class ConventionTests(TestInfrastructure infrastructure) : ServiceConventionTests(infrastructure)
{
    protected override BuildService Build => SubDaoGovernanceHost.Build;

    protected override ServiceDescriptor Api => SubDaoGovernanceService.Descriptor;

    protected override string Name => "subdao";
}
