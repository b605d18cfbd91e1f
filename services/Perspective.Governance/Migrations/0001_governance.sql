-- The governance engine's tables (services/Perspective.Governance), applied by each DAO service in its own database.
-- Settings are stored as JSON of GovernanceSettings (the domain record); a proposal holds its own frozen copy.

create table daos (
    position            bigint generated always as identity unique, -- creation order, the ListDaos cursor
    dao_id              text        primary key,                     -- a model id, or 'platform'
    voting_asset        text        not null,
    settings            jsonb       not null,
    accepting_proposals boolean     not null default true,
    created_at          timestamptz not null,
    settings_updated_at timestamptz not null
);

-- Every mutating request by id: the same id with the same content answers the first result; other content is refused.
create table requests (
    request_id   uuid        primary key,
    rpc          text        not null,
    request_hash text        not null,
    proposal_id  uuid        not null,
    created_at   timestamptz not null
);

create table proposals (
    position               bigint generated always as identity unique, -- the ListProposals cursor (newest first)
    proposal_id            uuid        primary key,
    dao_id                 text        not null references daos (dao_id),
    proposer               text        not null,
    title                  text        not null,
    description            text        not null,
    actions                jsonb       not null,  -- the host's action list (protobuf JSON), opaque to the engine
    action_count           integer     not null check (action_count between 1 and 10),
    state                  smallint    not null check (state between 1 and 9),
    snapshot_sequence      bigint      not null check (snapshot_sequence >= 1),
    supply_at_snapshot     bigint      not null check (supply_at_snapshot >= 0),
    settings               jsonb       not null,  -- frozen at creation
    created_at             timestamptz not null,
    voting_starts_at       timestamptz not null,
    voting_ends_at         timestamptz not null,
    voting_extended        boolean     not null default false,
    quorum_reached_at      timestamptz,
    decided_at             timestamptz,
    executable_at          timestamptz,
    expires_at             timestamptz,
    execution_requested_at timestamptz,
    executed_at            timestamptz,
    canceled_at            timestamptz,
    failure_reason         text        not null default '',
    for_count              bigint      not null default 0,
    against_count          bigint      not null default 0,
    abstain_count          bigint      not null default 0,
    for_weight             bigint      not null default 0 check (for_weight >= 0),
    against_weight         bigint      not null default 0 check (against_weight >= 0),
    abstain_weight         bigint      not null default 0 check (abstain_weight >= 0),
    votes_digest           text,                 -- set when voting ends (the final tally)
    next_due_at            timestamptz           -- when the scheduler must look at it next; null once final
);
-- The spam rule, enforced by the database so two concurrent creations cannot both pass: one live
-- (Pending or Active) proposal per proposer per DAO.
create unique index proposals_one_live on proposals (dao_id, proposer) where state in (1, 2);
create index proposals_due on proposals (next_due_at) where next_due_at is not null;
create index proposals_dao on proposals (dao_id, position);

create table votes (
    proposal_id uuid        not null references proposals (proposal_id),
    ordinal     bigint      not null check (ordinal >= 1),
    voter       text        not null,
    support     smallint    not null check (support between 1 and 3),
    weight      bigint      not null check (weight > 0),
    reason      text        not null,
    cast_at     timestamptz not null,
    primary key (proposal_id, ordinal),
    unique (proposal_id, voter)
);

-- What the carrying-out services answered, one row per action: a redelivered answer finds its row.
create table proposal_actions (
    proposal_id  uuid        not null references proposals (proposal_id),
    action_index integer     not null,
    succeeded    boolean     not null,
    executed_by  text        not null,
    detail       text        not null,
    answered_at  timestamptz not null,
    primary key (proposal_id, action_index)
);
