-- Outbox: events written in the same transaction as the state change that causes them.
-- The dispatcher publishes unsent rows in position order and stamps sent_at. A row that can never be
-- published (its type unknown to this build, its payload unreadable) is parked, not retried forever,
-- so it does not hold back every later event; parked rows need an operator (last_error says why).
create table outbox_messages (
    position     bigint generated always as identity primary key,
    id           uuid        not null unique,  -- becomes the message id, so consumers can drop a republished copy
    message_type text        not null,
    payload      jsonb       not null,
    created_at   timestamptz not null,
    sent_at      timestamptz,
    parked_at    timestamptz,
    attempts     integer     not null default 0,
    last_error   text
);
create index outbox_messages_unsent on outbox_messages (position) where sent_at is null and parked_at is null;

-- Inbox: one row per (message, consumer), inserted in the same transaction as the consumer's effect.
-- A redelivered message finds its row and has no second effect.
create table inbox_messages (
    message_id  uuid        not null,
    consumer    text        not null,
    received_at timestamptz not null,
    primary key (message_id, consumer)
);
