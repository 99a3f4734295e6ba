#!/usr/bin/env python3
"""Reference "python-import" of scripts/bench-references: what a user would write with the
standard library alone. Timed as a whole process.

Usage: python-import.py EVENTS.jsonl DATABASE   (DATABASE must not exist yet)

Reads the JSON Lines line by line with json.loads, inserts events and slots with
executemany in batches, all in one transaction, then builds the same FTS5 table as
sqlite3-import.sql (same schema; absent fields are stored as NULL here). Default pragmas.
Prints "EVENTS SLOTS" inserted.
"""

import json
import os
import sqlite3
import sys

BATCH = 5000

# The same tables as the sqlite3 reference.
SCHEMA = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.sql"), encoding="utf-8").read()

INSERT_EVENT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_SLOT = "INSERT INTO slots VALUES (?, ?, ?)"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: python-import.py EVENTS.jsonl DATABASE")
    source, database = sys.argv[1], sys.argv[2]
    connection = sqlite3.connect(database, isolation_level=None)
    connection.executescript(SCHEMA)
    events, slots = [], []
    total_events = total_slots = 0

    def flush():
        nonlocal total_events, total_slots
        connection.executemany(INSERT_EVENT, events)
        connection.executemany(INSERT_SLOT, slots)
        total_events += len(events)
        total_slots += len(slots)
        events.clear()
        slots.clear()

    connection.execute("BEGIN")
    with open(source, encoding="utf-8-sig") as lines:
        for line in lines:
            if not line.strip():
                continue
            e = json.loads(line)
            events.append((
                e["id"], e["title"], e["kind"], e.get("status") or "scheduled", e.get("region"),
                1 if e.get("online") else 0, e.get("lab"), e.get("organizer"), e.get("place"),
                e.get("url"), e.get("contact"),
                ";".join(e.get("audience") or []), ";".join(e.get("tags") or []),
                e.get("description"),
            ))
            for slot in e["slots"]:
                slots.append((e["id"], slot["start"], slot.get("end")))
            if len(events) >= BATCH:
                flush()
    flush()
    connection.execute("COMMIT")
    connection.execute("CREATE VIRTUAL TABLE events_fts USING fts5("
                       "title, description, tokenize = 'unicode61 remove_diacritics 2')")
    connection.execute("INSERT INTO events_fts(rowid, title, description) "
                       "SELECT rowid, title, description FROM events")
    connection.close()
    print(total_events, total_slots)


if __name__ == "__main__":
    main()
