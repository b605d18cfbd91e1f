create table notes (
    note_id text primary key,
    text    text not null
);

-- One row per effect of a NoteRecorded message: more than one row for a note means a duplicate effect.
create table note_effects (
    effect_id bigint generated always as identity primary key,
    note_id   text not null
);
