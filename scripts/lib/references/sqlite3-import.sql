-- Timed by scripts/bench-references (reference "sqlite3-import"): run by the sqlite3 shell
-- with -bail, in WORKDIR (events.csv and slots.csv are read from there), on a new database.
-- Plain tables (the only index is the one id's PRIMARY KEY implies), both CSV files imported
-- in one transaction, then an FTS5 index over title and description. Default pragmas.
-- The tables come from schema.sql, read first (the runner passes it). Note: .import stores an empty CSV field as '' (not NULL).
BEGIN;
.import --csv --skip 1 events.csv events
.import --csv --skip 1 slots.csv slots
COMMIT;
CREATE VIRTUAL TABLE events_fts USING fts5(title, description, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO events_fts(rowid, title, description) SELECT rowid, title, description FROM events;
