-- The fence as a statement that fails: a batch that sends its COMMIT in the same round trip as its rows must stop
-- before the COMMIT when its writer's epoch is stale, and an error is what stops a batch of statements.
create function writer_fence_check(expected bigint) returns void language plpgsql as $$
begin
    update writer_fence set epoch = epoch where epoch = expected;
    if not found then
        raise exception 'writer epoch % is stale: another ledger writer has taken over', expected using errcode = 'LW001';
    end if;
end
$$;
