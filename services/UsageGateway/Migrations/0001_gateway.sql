-- Allowances: what a payer lets a model's provider charge (ERC-20 approve). SetAllowance replaces the cap and
-- restarts used_amount; reserved_amount (open usage authorizations) carries over, so it can exceed a new cap:
-- remaining = max(0, cap - used - reserved) is computed, not stored.
create table allowances (
    payer_account   text        not null,
    model_id        text        not null,
    cap_amount      bigint      not null check (cap_amount >= 0),
    used_amount     bigint      not null default 0 check (used_amount >= 0),
    reserved_amount bigint      not null default 0 check (reserved_amount >= 0),
    expires_at      timestamptz,
    revoked_at      timestamptz,
    updated_at      timestamptz not null,
    primary key (payer_account, model_id)
);

-- Idempotency of the mutating RPCs other than ChargeUsage: one row per request id, with a hash of the request and
-- its caller. response is null while a multi-step request (authorize, settle, cancel) is still in progress.
create table requests (
    request_id   uuid        primary key,
    kind         text        not null,
    content_hash bytea       not null,
    response     bytea,
    created_at   timestamptz not null
);

-- Payments. A charge is inserted 'pending' with its allowance reservation in one transaction, then the Ledger
-- transfer is made (its id derived from the request id), then it becomes 'paid' with the UsagePaid event.
-- status: 1 pending, 2 paid. kind: 1 charge, 2 metered.
create table payments (
    payment_id         uuid        primary key,
    request_id         uuid        not null unique,
    content_hash       bytea       not null,
    kind               smallint    not null,
    status             smallint    not null,
    model_id           text        not null,
    payer_account      text        not null,
    provider_account   text        not null,
    units              bigint      not null check (units > 0),
    unit               smallint    not null,
    amount_per_unit    bigint      not null check (amount_per_unit >= 0),
    amount             bigint      not null check (amount >= 0),
    authorization_id   uuid,
    ledger_transfer_id text,                 -- null when the amount is 0 (a free model: nothing moves)
    ledger_sequence    bigint,
    ledger_hash        text,
    created_at         timestamptz not null,
    response           bytea
);
create index payments_by_payer on payments (payer_account, created_at, payment_id) where status = 2;
create index payments_by_model on payments (model_id, created_at, payment_id) where status = 2;
create index payments_pending on payments (created_at) where status = 1;

-- Usage authorizations (metered, two-phase). status: 0 creating (hold being placed), 1 authorized, 2 settled,
-- 3 canceled, 4 expired, 5 settling, 6 canceling, 7 expiring (the Ledger call of the close is under way).
create table usage_authorizations (
    authorization_id   uuid        primary key,
    request_id         uuid        not null unique,
    model_id           text        not null,
    payer_account      text        not null,
    provider_account   text        not null,
    max_units          bigint      not null check (max_units > 0),
    unit               smallint    not null,
    amount_per_unit    bigint      not null check (amount_per_unit >= 0),
    max_amount         bigint      not null check (max_amount >= 0),
    status             smallint    not null,
    units_used         bigint      not null default 0,
    payment_id         uuid,
    ledger_hold_id     uuid,                 -- null when max_amount is 0
    closing_request_id uuid,
    created_at         timestamptz not null,
    expires_at         timestamptz not null,
    closed_at          timestamptz,
    updated_at         timestamptz not null
);
create index usage_authorizations_by_payer on usage_authorizations (payer_account, created_at, authorization_id);
create index usage_authorizations_by_model on usage_authorizations (model_id, created_at, authorization_id);
create index usage_authorizations_open on usage_authorizations (expires_at) where status = 1;
create index usage_authorizations_in_flight on usage_authorizations (updated_at) where status in (0, 5, 6, 7);
