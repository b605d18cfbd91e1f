-- A payout's Ledger Transfer may commit after its answer was lost (a timed-out call still queued in the Ledger's
-- writer). Once anything was sent, the local balance check can no longer decide a refusal: it may see the payout's own
-- debit. attempted_at marks that a Transfer was sent at least once (database clock); last_sent_at is the latest send
-- whose answer did not come back (null when every send was answered), which bounds how long a copy may still arrive.
alter table payouts add column attempted_at timestamptz;
alter table payouts add column last_sent_at timestamptz;
