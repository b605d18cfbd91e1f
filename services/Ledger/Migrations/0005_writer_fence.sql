-- The writer's fencing token. A process that takes the writer lock raises the epoch before it writes, and every
-- batch commits only if the epoch is still the one its writer took: a writer whose lock session died unnoticed
-- while another replica took over can never commit again.
create table writer_fence (
    id    boolean primary key default true check (id),
    epoch bigint  not null
);
insert into writer_fence (id, epoch) values (true, 0);
