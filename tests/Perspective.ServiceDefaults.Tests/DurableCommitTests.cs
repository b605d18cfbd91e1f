using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Perspective.Testing;

namespace Perspective.ServiceDefaults.Tests;

/// <summary>The test cluster runs with <c>synchronous_commit = off</c>; a service's own connections must not.</summary>
public sealed class DurableCommitTests(TestInfrastructure infrastructure) : ProbeTestBase(infrastructure)
{
    [Fact]
    public async Task A_service_commits_durably_even_when_the_servers_default_does_not()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var direct = new NpgsqlConnection(Probe.DatabaseConnectionString))
        {
            await direct.OpenAsync(ct);
            await using var server = new NpgsqlCommand("show synchronous_commit", direct);
            Assert.Equal("off", await server.ExecuteScalarAsync(ct));
        }

        await using var connection = await Probe.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("show synchronous_commit", connection);

        Assert.Equal("on", await command.ExecuteScalarAsync(ct));
    }
}
