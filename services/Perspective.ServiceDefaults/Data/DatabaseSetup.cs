using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Perspective.ServiceDefaults.Data;

internal static class DatabaseSetup
{
    /// <summary>The service's own PostgreSQL database (connection string <c>ConnectionStrings:Database</c>), migrated at start.</summary>
    public static void AddPerspectiveDatabase(this WebApplicationBuilder builder)
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        builder.Services.AddSingleton(services =>
        {
            var connectionString = services.GetRequiredService<IConfiguration>().GetConnectionString("Database");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("ConnectionStrings:Database is not set: the service needs its own PostgreSQL database.");
            }
            return new NpgsqlDataSourceBuilder(Durable(connectionString)).Build();
        });
        builder.Services.AddSingleton<Migrator>();
        // Registered before the web server's own hosted service, so the schema is in place before the first request.
        builder.Services.AddHostedService<MigrationHostedService>();
    }

    /// <summary>
    /// An answered commit must survive a crash whatever the server's default: a server (or a test cluster) running with
    /// <c>synchronous_commit = off</c> loses commits already answered when it crashes (found by the fault runs,
    /// docs/RELIABILITY.md). A transaction that may lose its commit says so itself (<c>set local</c>, the gateway's paid
    /// mark); a connection string that sets <c>synchronous_commit</c> in its Options keeps its own choice.
    /// </summary>
    internal static string Durable(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.Options?.Contains("synchronous_commit", StringComparison.Ordinal) != true)
        {
            builder.Options = $"{builder.Options} -c synchronous_commit=on".Trim();
        }
        return builder.ConnectionString;
    }
}
