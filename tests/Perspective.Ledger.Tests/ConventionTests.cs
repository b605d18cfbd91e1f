using Google.Protobuf.Reflection;
using Perspective.Contracts.Ledger.V1;
using Perspective.Testing;

namespace Perspective.Ledger.Tests;

public sealed class ConventionTests(TestInfrastructure infrastructure) : ServiceConventionTests(infrastructure)
{
    protected override BuildService Build => LedgerHost.Build;

    protected override ServiceDescriptor Api => LedgerService.Descriptor;

    protected override string Name => "ledger";

    // One replica writes; the other waits for the writer lock as a standby and is not ready until it takes over.
    protected override bool ReplicasAreAllReady => false;
}
