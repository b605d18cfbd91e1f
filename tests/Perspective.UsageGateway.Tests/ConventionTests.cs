using Google.Protobuf.Reflection;
using Microsoft.Extensions.Configuration;
using Perspective.Contracts.Gateway.V1;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

public sealed class ConventionTests(TestInfrastructure infrastructure) : ServiceConventionTests(infrastructure)
{
    // Addresses of the Ledger and the Registry are required at start; nothing here calls them.
    protected override BuildService Build => (args, configure) => UsageGatewayHost.Build(args, builder =>
    {
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Services:Ledger"] = "http://127.0.0.1:9",
            ["Services:ModelRegistry"] = "http://127.0.0.1:9",
        });
        configure?.Invoke(builder);
    });

    protected override ServiceDescriptor Api => UsageGatewayService.Descriptor;

    protected override string Name => "gateway";
}
