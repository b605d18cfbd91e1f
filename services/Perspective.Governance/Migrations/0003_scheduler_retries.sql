-- A proposal whose scheduler step keeps failing is retried later and later (not first on every pass, which would
-- let many such rows crowd out the others): how many steps failed in a row and the last error, for the back-off and
-- for an operator. Named 0003 so it applies after each host's own 0002.
alter table proposals
    add column step_failures   integer not null default 0 check (step_failures >= 0),
    add column last_step_error text    not null default '';
