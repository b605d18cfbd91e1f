-- Two-phase holds: amount moves from the owner's available to held; posting moves part of it to to_account and
-- releases the rest; voiding or expiry releases it all. hold_id is the creating request's id.
create table holds (
    hold_id            text primary key,
    from_account       text        not null,
    to_account         text        not null,
    asset              text        not null references assets (code),
    amount             bigint      not null check (amount > 0),
    status             smallint    not null, -- 1 pending, 2 posted, 3 voided, 4 expired
    posted_amount      bigint      not null default 0,
    posted_transfer_id text        not null default '',
    expires_at         timestamptz not null,
    memo               text        not null,
    created_by         text        not null,
    created_sequence   bigint      not null,
    closed_sequence    bigint
);
create index holds_pending_expiry on holds (expires_at) where status = 1;
create index holds_from on holds (from_account, hold_id);

-- Locks: amount frozen in the owner's balance until a time, then released (by Unlock or automatically).
create table locks (
    lock_id           text primary key,
    account           text        not null,
    asset             text        not null references assets (code),
    amount            bigint      not null check (amount > 0),
    until             timestamptz not null,
    status            smallint    not null, -- 1 active, 2 released
    memo              text        not null,
    created_sequence  bigint      not null,
    released_sequence bigint
);
create index locks_active_until on locks (until) where status = 1;
create index locks_account on locks (account, lock_id);
