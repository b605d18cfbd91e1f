-- The writer inserts every posting and transfer in the same transaction as their journal entry, and nothing else
-- writes these tables. The foreign keys to journal ran one trigger query per row on the hottest path (three per
-- transfer) for a guarantee the writer already gives; VerifyJournal checks postings against the chain.
alter table postings drop constraint postings_sequence_fkey;
alter table transfers drop constraint transfers_sequence_fkey;
