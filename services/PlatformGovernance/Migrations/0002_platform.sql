-- The platform DAO's own records: parameters it has set and the standards it has published.

-- Only parameters a SetParameter decision has set; a key without a row has its default (docs/governance.md).
create table parameters (
    key                    text        primary key,
    value                  text        not null,
    updated_by_proposal_id uuid        not null,
    updated_at             timestamptz not null
);

create table standards (
    position     bigint generated always as identity unique, -- the ListStandards cursor (newest first)
    standard_id  uuid        primary key,
    title        text        not null,
    version      text        not null,
    text         text        not null,
    text_digest  text        not null check (text_digest ~ '^[0-9a-f]{64}$'),
    proposal_id  uuid        not null,
    published_at timestamptz not null,
    unique (title, version)
);
