using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Governance.Data;

namespace Perspective.PlatformGovernance;

/// <summary>
/// Creates the platform DAO at the first start (after the migrations, which are registered before it). Replicas
/// starting together both try; the insert-if-missing makes one DAO.
/// </summary>
public sealed class PlatformBootstrap(NpgsqlDataSource dataSource, GovernanceStore store, IOptions<PlatformOptions> options, TimeProvider time)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await store.InsertDaoIfMissingAsync(db, null, PlatformDaoHost.DaoId, options.Value.VotingAsset,
            options.Value.PlatformSettings.ToSettings("Governance:PlatformSettings"), time.GetUtcNow(), cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
