-- One row per model with a treasury. Opened by ModelRegistered or by the model's first UsagePaid, whichever arrives
-- first (they travel on different exchanges, in no order); creator and token stay null until ModelRegistered.
create table treasuries (
    model_id        uuid        primary key,
    creator_account text,
    token_asset     text,
    opened_at       timestamptz not null,
    registered_at   timestamptz
);

-- Every usage payment counted, once: the primary key makes a second copy of the same payment (even under another
-- message id) a no-op, and only a first insert adds to revenue_days.
create table counted_payments (
    payment_id         text        primary key,
    model_id           uuid        not null,
    amount             bigint      not null check (amount >= 0),
    ledger_transfer_id text        not null,  -- empty for a zero amount (nothing moved at the Ledger)
    ledger_sequence    bigint      not null,
    paid_at            timestamptz not null,
    day                date        not null,  -- UTC date of paid_at
    counted_at         timestamptz not null
);
create index counted_payments_model on counted_payments (model_id, paid_at);
create index counted_payments_transfer on counted_payments (model_id, ledger_transfer_id) where ledger_transfer_id <> '';

-- Revenue per model and UTC day. bigint addition in PostgreSQL raises on overflow, so a total never wraps.
create table revenue_days (
    model_id      uuid   not null,
    day           date   not null,
    amount        bigint not null check (amount >= 0),
    payment_count bigint not null check (payment_count >= 0),
    primary key (model_id, day)
);

-- Payouts and distributions are jobs of one executor, run in creation order: one sequence numbers both.
create sequence treasury_jobs;

-- TreasurySpend actions: inserted 'pending' by the execution consumer, carried out by the executor.
create table payouts (
    position           bigint      not null default nextval('treasury_jobs') unique,
    payout_id          uuid        primary key,  -- derived from (proposal, action index)
    model_id           uuid        not null,
    proposal_id        text        not null,
    action_index       integer     not null,
    recipient_account  text        not null,
    amount             bigint      not null,     -- as requested; the executor refuses a non-positive one
    purpose            text        not null,
    status             text        not null check (status in ('pending', 'paid', 'failed')),
    failure_reason     text        not null default '',
    ledger_transfer_id text        not null default '',
    ledger_sequence    bigint      not null default 0,
    ledger_hash        text        not null default '',
    created_at         timestamptz not null,
    executed_at        timestamptz
);
create index payouts_model on payouts (model_id, position);
create index payouts_unfinished on payouts (position) where status = 'pending';

-- DistributeRewards actions: pending → paying (lines stored) → completed, or failed before anything was paid.
create table distributions (
    position          bigint      not null default nextval('treasury_jobs') unique,
    distribution_id   uuid        primary key,  -- derived from (proposal, action index)
    model_id          uuid        not null,
    proposal_id       text        not null,
    action_index      integer     not null,
    amount            bigint      not null,
    token_asset       text        not null default '',
    snapshot_sequence bigint      not null,
    supply_held       bigint      not null default 0,
    status            text        not null check (status in ('pending', 'paying', 'completed', 'failed')),
    line_count        bigint      not null default 0,
    lines_paid        bigint      not null default 0,
    amount_paid       bigint      not null default 0,
    lines_digest      text        not null default '',
    failure_reason    text        not null default '',
    created_at        timestamptz not null,
    completed_at      timestamptz,
    check (lines_paid between 0 and line_count),
    check (amount_paid between 0 and greatest(amount, 0))
);
create index distributions_model on distributions (model_id, position);
create index distributions_unfinished on distributions (position) where status in ('pending', 'paying');

-- One line per holder at the snapshot, numbered 1..line_count in ordinal (byte) order of the account: the order of
-- the digest and of payment. Lines are paid in that order, so every line_no ≤ distributions.lines_paid is paid.
create table distribution_lines (
    distribution_id    uuid    not null references distributions (distribution_id),
    line_no            bigint  not null,
    holder_account     text    collate "C" not null,
    holder_balance     bigint  not null check (holder_balance > 0),
    share              bigint  not null check (share >= 0),
    remainder_unit     boolean not null,
    paid               boolean not null default false,
    ledger_transfer_id text    not null default '',
    ledger_sequence    bigint  not null default 0,
    primary key (distribution_id, line_no),
    unique (distribution_id, holder_account)
);
