"""The text query inside one process: the FTS5 query run twice on an open connection
(Python's sqlite3, which is the system's libsqlite3), printing the second run's seconds
(time.perf_counter, all rows fetched) and the row count. The first run pays for opening the
file and reading its first pages, as the REPL's first question does.

Usage: python3 fts-query-in-process.py DATABASE
"""
import sqlite3
import sys
import time

QUERY = (
    "SELECT e.id, e.title FROM events_fts f JOIN events e ON e.rowid = f.rowid "
    "WHERE events_fts MATCH '\"innovation\"* \"numerique\"*' LIMIT 50"
)

connection = sqlite3.connect(sys.argv[1])
rows = connection.execute(QUERY).fetchall()
start = time.perf_counter()
rows = connection.execute(QUERY).fetchall()
elapsed = time.perf_counter() - start
print(f"{elapsed:.6f} {len(rows)}")
