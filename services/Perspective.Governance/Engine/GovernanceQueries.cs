using System.Data;
using Npgsql;
using Perspective.Governance.Data;
using Perspective.Governance.Domain;

namespace Perspective.Governance.Engine;

/// <summary>Reads both DAO APIs share: a proposal with the digest of its votes.</summary>
public sealed class GovernanceQueries(NpgsqlDataSource dataSource, GovernanceStore store)
{
    /// <summary>
    /// The proposal and the digest of its votes (stored when voting ended, else computed from the votes recorded so far),
    /// read in one REPEATABLE READ snapshot: read apart, a vote committed in between would give a digest of more votes
    /// than the tally counts. Null when there is no such proposal.
    /// </summary>
    public async Task<(ProposalRow Proposal, string Digest)?> ProposalAsync(Guid proposalId, CancellationToken ct)
    {
        await using var db = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await db.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var p = await store.GetAsync(tx, proposalId, ct);
        if (p is null)
        {
            return null;
        }
        var digest = p.VotesDigest
            ?? Tally.Digest(p.ProposalId, p.SnapshotSequence, (await store.AllVotesAsync(db, tx, p.ProposalId, ct)).Select(v => v.Record));
        await tx.CommitAsync(ct);
        return (p, digest);
    }
}
