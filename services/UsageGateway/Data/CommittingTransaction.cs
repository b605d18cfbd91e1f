using Npgsql;
using Perspective.ServiceDefaults.Data;

namespace Perspective.UsageGateway.Data;

/// <summary>A transaction of <see cref="GatewayStore.InCommittingTransactionAsync"/>: its work ends with <see cref="ExecuteAndCommitAsync"/>.</summary>
public sealed class CommittingTransaction(NpgsqlTransaction transaction)
{
    public NpgsqlTransaction Transaction { get; } = transaction;

    internal bool Committed { get; private set; }

    /// <summary>Sends <paramref name="commands"/> and then COMMIT in one round trip (<see cref="HotPath.Commit"/>).</summary>
    public async Task ExecuteAndCommitAsync(IReadOnlyList<NpgsqlBatchCommand> commands, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(Transaction.Connection, Transaction);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }
        batch.BatchCommands.Add(HotPath.Commit());
        await batch.PrepareAsync(cancellationToken); // no round trip once this connection has prepared them
        await batch.ExecuteNonQueryAsync(cancellationToken);
        Committed = true;
    }
}
