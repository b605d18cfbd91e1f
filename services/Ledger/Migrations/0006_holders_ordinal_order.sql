-- ListHolders promises the ordinal (byte) order of account ids, but the column sorted by the database's default
-- collation: under en_US "a-x" comes before "B-x" and "_x" before both. The column takes collation "C", so the primary
-- key index is in ordinal order and serves the keyset comparison (account collate "C" > after) and the sort. Equality
-- is unchanged (both collations are deterministic); only the index is rebuilt, the rows are not rewritten.
alter table balance_history alter column account type text collate "C";
