namespace Perspective.Testing;

/// <summary>
/// PostgreSQL and RabbitMQ for one test assembly, started once (in parallel, about 5–10 s) and stopped when the
/// assembly is done, pass or fail. Declare it per test assembly with <c>[assembly: AssemblyFixture(typeof(TestInfrastructure))]</c>.
/// </summary>
public sealed class TestInfrastructure : IAsyncLifetime
{
    public PostgresServer Postgres { get; private set; } = null!;

    public RabbitMqServer RabbitMq { get; private set; } = null!;

    /// <summary>Production durability for PostgreSQL (benchmarks); tests run with fsync off.</summary>
    public bool DurablePostgres { get; init; }

    public async ValueTask InitializeAsync()
    {
        var postgres = PostgresServer.StartAsync(DurablePostgres);
        var rabbit = RabbitMqServer.StartAsync();
        try
        {
            await Task.WhenAll(postgres, rabbit);
        }
        catch
        {
            // Whichever did start must not outlive a failed start.
            if (postgres.IsCompletedSuccessfully)
            {
                await postgres.Result.DisposeAsync();
            }
            if (rabbit.IsCompletedSuccessfully)
            {
                await rabbit.Result.DisposeAsync();
            }
            throw;
        }
        Postgres = postgres.Result;
        RabbitMq = rabbit.Result;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Postgres is not null)
            {
                await Postgres.DisposeAsync();
            }
        }
        finally
        {
            if (RabbitMq is not null)
            {
                await RabbitMq.DisposeAsync();
            }
        }
    }

    /// <summary>A fresh database with a unique name, so each test class works alone.</summary>
    public Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}".ToLowerInvariant();
        return Postgres.CreateDatabaseAsync(name.Length <= 63 ? name : name[^63..]);
    }
}
