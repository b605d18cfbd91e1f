-- What the sub-DAOs learn from other services' events.

-- Platform parameters that shape sub-DAOs (subdao_default_*, max_usage_fee_per_unit), from PlatformParameterChanged.
-- occurred_at orders them: events may arrive out of order, an older value never overwrites a newer one.
create table platform_parameters (
    key         text        primary key,
    value       text        not null,
    proposal_id text        not null,
    occurred_at timestamptz not null
);

-- Models banned by the platform. Kept apart from daos so a ban that arrives before ModelRegistered is not lost.
create table banned_models (
    model_id  text        primary key,
    banned_at timestamptz not null
);
