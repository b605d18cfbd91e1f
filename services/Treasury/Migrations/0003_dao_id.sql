-- The model id exactly as the execution request spelled it: the answers (ProposalActionExecuted / Failed) echo it as
-- their DaoId, so the requester can match them by string whatever case it wrote the UUID in. Rows from before this
-- migration get the canonical form the answers used then.
alter table payouts add column dao_id text not null default '';
update payouts set dao_id = model_id::text;
alter table distributions add column dao_id text not null default '';
update distributions set dao_id = model_id::text;
