-- Over-the-counter swap offers: the maker's give leg is escrowed in its own held balance until the offer is
-- accepted (both legs move in one entry), canceled or expires. offer_id is the creating request's id.
create table swap_offers (
    offer_id             text primary key,
    maker_account        text        not null,
    give_asset           text        not null references assets (code),
    give_amount          bigint      not null check (give_amount > 0),
    want_asset           text        not null references assets (code),
    want_amount          bigint      not null check (want_amount > 0),
    counterparty_account text        not null, -- '' = anyone
    expires_at           timestamptz not null,
    status               smallint    not null, -- 1 open, 2 accepted, 3 canceled, 4 expired
    taker_account        text        not null default '',
    memo                 text        not null,
    created_sequence     bigint      not null,
    closed_sequence      bigint,
    check (give_asset <> want_asset)
);
create index swap_offers_open_expiry on swap_offers (expires_at) where status = 1;
create index swap_offers_maker on swap_offers (maker_account, offer_id);
