using Perspective.Governance.Data;
using Perspective.Governance.Domain;

namespace Perspective.Governance.Engine;

/// <summary>Reads both DAO APIs share: the tally with its digest.</summary>
public sealed class GovernanceQueries(GovernanceStore store)
{
    /// <summary>The digest of a proposal's votes: stored when voting ended, else computed from the votes recorded so far.</summary>
    public async Task<string> DigestAsync(ProposalRow p, CancellationToken ct) =>
        p.VotesDigest ?? Tally.Digest(p.ProposalId, p.SnapshotSequence, (await store.AllVotesAsync(p.ProposalId, ct)).Select(v => v.Record));
}
