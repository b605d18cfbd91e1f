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
            return new NpgsqlDataSourceBuilder(connectionString).Build();
        });
        builder.Services.AddSingleton<Migrator>();
        // Registered before the web server's own hosted service, so the schema is in place before the first request.
        builder.Services.AddHostedService<MigrationHostedService>();
    }
}
