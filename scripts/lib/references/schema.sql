-- The reference imports' tables (sqlite3-import.sql reads it, python-import.py executes it):
-- plain tables, the only index the one that id's PRIMARY KEY implies.
CREATE TABLE events (id TEXT PRIMARY KEY, title TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, region TEXT, online INTEGER NOT NULL, lab TEXT, organizer TEXT, place TEXT, url TEXT, contact TEXT, audience TEXT, tags TEXT, description TEXT);
CREATE TABLE slots (event_id TEXT NOT NULL, start TEXT NOT NULL, "end" TEXT);
