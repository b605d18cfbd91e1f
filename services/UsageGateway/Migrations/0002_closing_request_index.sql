-- Retries and concurrent copies of a settle or cancel find their authorization by the closing request id; without an
-- index every one of them scanned the table.
create index authorizations_closing_request on usage_authorizations (closing_request_id) where closing_request_id is not null;
