-- Assets: POV and one per model. The whole supply is minted at creation and never changes.
create table assets (
    code                   text primary key,
    name                   text        not null,
    decimals               integer     not null check (decimals between 0 and 9),
    total_supply           bigint      not null check (total_supply > 0),
    initial_holder_account text        not null,
    created_sequence       bigint      not null,
    created_at             timestamptz not null
);

-- Current balances. total = available + held + locked; only issuance:* accounts may be negative.
create table balances (
    account          text   not null,
    asset            text   not null references assets (code),
    total            bigint not null,
    held             bigint not null default 0 check (held >= 0),
    locked           bigint not null default 0 check (locked >= 0),
    updated_sequence bigint not null,
    primary key (account, asset),
    check (account like 'issuance:%' or total - held - locked >= 0)
);

-- The hash chain: one row per committed change, gap-free.
create table journal (
    sequence      bigint primary key check (sequence > 0),
    kind          smallint    not null,
    reference_id  text        not null,
    memo          text        not null,
    committed_at  timestamptz not null,
    committed_at_micros bigint not null, -- the exact value hashed (timestamptz is microseconds too; kept explicit)
    previous_hash bytea       not null,
    hash          bytea       not null
);

-- The postings of each entry, in the order they were hashed.
create table postings (
    sequence bigint   not null references journal (sequence),
    ordinal  integer  not null,
    account  text     not null,
    asset    text     not null,
    bucket   smallint not null,
    amount   bigint   not null,
    primary key (sequence, ordinal)
);

-- Every movement of value between two accounts.
create table transfers (
    transfer_id  text        primary key,
    kind         smallint    not null,
    from_account text        not null,
    to_account   text        not null,
    asset        text        not null,
    amount       bigint      not null check (amount > 0),
    memo         text        not null,
    reference_id text        not null,
    sequence     bigint      not null references journal (sequence),
    committed_at timestamptz not null
);
create index transfers_from on transfers (from_account, sequence);
create index transfers_to on transfers (to_account, sequence);
create index transfers_asset on transfers (asset, sequence);

-- An account's total after every entry that changed it: "balance as of sequence N" is the last row at or
-- before N, one index probe however many transfers came since.
create table balance_history (
    asset    text   not null,
    account  text   not null,
    sequence bigint not null,
    total    bigint not null,
    primary key (asset, account, sequence)
);

-- Idempotency: the first result of every mutating request, replayed for a retry with the same content.
create table requests (
    request_id   text   primary key,
    operation    text   not null,
    content_hash bytea  not null,
    response     bytea  not null,
    sequence     bigint not null
);
