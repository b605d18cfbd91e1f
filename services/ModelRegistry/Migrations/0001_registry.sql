-- Models. A registration first inserts its row as 'pending' (keyed by request id), then creates the AI token on
-- the Ledger, then marks the row 'complete'; a retry after a crash between the steps finds the pending row and
-- resumes, so one request ends in one model and one asset. Only complete rows are ever visible through the API.
-- A registration the Ledger refused (its symbol taken there) is kept as 'rejected' so a retry answers the same
-- way; it no longer holds its name or symbol.
create table models (
    position           bigint generated always as identity unique, -- creation order, the ListModels cursor
    model_id           uuid        primary key,
    request_id         uuid        not null unique,
    request_hash       text        not null,
    registration       text        not null check (registration in ('pending', 'complete', 'rejected')),
    name               text        not null,
    description        text        not null,
    creator_account    text        not null,
    provider_account   text        not null,
    token_symbol       text        not null check (token_symbol = upper(token_symbol)),
    token_name         text        not null,
    token_decimals     integer     not null check (token_decimals between 0 and 9),
    token_total_supply bigint      not null check (token_total_supply > 0),
    price_per_unit     bigint      not null check (price_per_unit >= 0),
    price_unit         smallint    not null check (price_unit between 1 and 4),
    status             smallint    not null check (status between 1 and 4),
    ledger_sequence    bigint,
    version            bigint      not null,
    created_at         timestamptz not null,
    updated_at         timestamptz not null
);
-- Names are unique case-insensitively (like symbols): "GPT-X" and "gpt-x" would confuse every user.
create unique index models_name on models (lower(name)) where registration <> 'rejected';
create unique index models_symbol on models (token_symbol) where registration <> 'rejected';
create index models_creator on models (creator_account, position);
create index models_provider on models (provider_account, position);
create index models_status on models (status, position);

-- Every recorded change of a model, version 1 being the registration.
create table model_history (
    model_id       uuid        not null references models (model_id),
    version        bigint      not null,
    kind           smallint    not null,
    source         smallint    not null,
    proposal_id    text        not null,
    actor_account  text        not null,
    old_status     smallint    not null,
    new_status     smallint    not null,
    old_price      bigint,
    old_price_unit smallint,
    new_price      bigint      not null,
    new_price_unit smallint    not null,
    reason         text        not null,
    changed_at     timestamptz not null,
    primary key (model_id, version)
);

-- Idempotency of UpdateModelMetadata and RetireModel: the request's content hash and the original answer
-- (the model as that request left it), written in the same transaction as the change.
create table model_requests (
    request_id   uuid        primary key,
    rpc          text        not null,
    request_hash text        not null,
    response     jsonb,
    created_at   timestamptz not null
);

-- Governance actions already answered, so a decision delivered again (even as a new message) acts once.
create table governance_actions (
    dao_id       text        not null,
    proposal_id  text        not null,
    action_index integer     not null,
    succeeded    boolean     not null,
    detail       text        not null,
    handled_at   timestamptz not null,
    primary key (dao_id, proposal_id, action_index)
);

-- Platform parameters the registry obeys, as set by PlatformParameterChanged; a key not here falls back to
-- configuration (Registry:ListingRequiresApproval).
create table platform_parameters (
    key         text        primary key,
    value       text        not null,
    proposal_id text        not null,
    changed_at  timestamptz not null
);
