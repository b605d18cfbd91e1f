using Perspective.Contracts.Ledger.V1;
using Perspective.Ledger.Data;
using Perspective.Ledger.Domain;

namespace Perspective.Ledger.Api;

/// <summary>Recomputes the hash chain from the stored entries and postings, in pages, and reports the first break.</summary>
public static class JournalVerifier
{
    private const int PageEntries = 1000;

    public static async Task<VerifyJournalResponse> VerifyAsync(LedgerReads reads, long from, long to, CancellationToken ct)
    {
        var response = new VerifyJournalResponse { Valid = true, FromSequence = from, ToSequence = to };
        var previous = await reads.HashAtAsync(from - 1, ct) ?? JournalRecord.GenesisHash;
        var expectedSequence = from;
        for (var pageStart = from; pageStart <= to; pageStart += PageEntries)
        {
            var pageEnd = Math.Min(to, pageStart + PageEntries - 1);
            var rows = await reads.JournalAsync(pageStart, pageEnd, ct);
            var postings = await reads.PostingsAsync(pageStart, pageEnd, ct);
            foreach (var row in rows)
            {
                var entry = new JournalRecord(row.Sequence, (EntryKind)row.Kind, row.ReferenceId, row.Memo, row.CommittedAtMicros,
                    postings[row.Sequence].Select(p => new PostingRecord(p.Account, p.Asset, (Bucket)p.Bucket, p.Amount)).ToList());
                var expected = entry.ComputeHash(previous);
                var reason = row.Sequence != expectedSequence ? $"sequence gap: expected {expectedSequence}"
                    : !row.PreviousHash.AsSpan().SequenceEqual(previous) ? "previous_hash does not link to the entry before"
                    : !entry.Balances() ? "postings do not balance"
                    : !expected.AsSpan().SequenceEqual(row.Hash) ? "hash differs from the entry's content"
                    : null;
                if (reason is not null)
                {
                    response.Valid = false;
                    response.FirstMismatch = new JournalMismatch
                    {
                        Sequence = row.Sequence,
                        ExpectedHash = Convert.ToHexStringLower(expected),
                        StoredHash = Convert.ToHexStringLower(row.Hash),
                        Reason = reason,
                    };
                    return response;
                }
                response.EntriesChecked++;
                previous = row.Hash;
                expectedSequence++;
            }
            if (rows.Count < pageEnd - pageStart + 1)
            {
                response.Valid = false;
                response.FirstMismatch = new JournalMismatch { Sequence = expectedSequence, Reason = $"sequence gap: entry {expectedSequence} is missing" };
                return response;
            }
        }
        return response;
    }
}
