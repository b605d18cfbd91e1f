using Npgsql;

namespace Perspective.ServiceDefaults.Data;

/// <summary>Statements for the hottest transactions of a service.</summary>
public static class HotPath
{
    /// <summary>
    /// First statement of a hot transaction's batch, whose statements are prepared (<c>NpgsqlBatch.PrepareAsync</c>: parsed
    /// once per connection): they use their generic plan, planned once per connection too, instead of being planned again
    /// at every execution — for this transaction only. Use it only where every statement's generic plan has been checked:
    /// over <c>unnest</c> of an array parameter the generic plan assumes 100 elements, and an index lookup written as a
    /// join on <c>unnest</c> got a scan as its generic plan (docs/BENCHMARKS.md).
    /// </summary>
    public static NpgsqlBatchCommand GenericPlans() => new("set local plan_cache_mode = force_generic_plan");

    /// <summary>
    /// COMMIT as the last statement of a transaction's batch, saving the commit's own round trip. If a statement before it
    /// fails, the batch stops there and nothing commits; PostgreSQL's answer to the COMMIT tells Npgsql the transaction
    /// has ended, so disposing the <c>NpgsqlTransaction</c> afterwards sends nothing.
    /// </summary>
    public static NpgsqlBatchCommand Commit() => new("commit");
}
