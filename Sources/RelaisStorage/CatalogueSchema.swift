import GRDB

/// The catalogue's tables, created and upgraded by versioned migrations.
///
/// A migration, once released, is never edited: a later schema is a new migration appended
/// to ``migrator``. A file that has migrations this build does not know was written by a
/// newer Relais, and is refused rather than misread.
///
/// Tables (schema `v1`):
///
/// - `events`: one row per event id. `event_key` is an explicit integer key (so `VACUUM`
///   keeps it) that `slots` and the full-text index refer to. Every interchange field has
///   a column; `slots`, `audience` and `tags` are packed text (see `StoredEvent`).
///   `first_start` / `last_end` are the first and last instants the slots cover, in Unix
///   epoch seconds: listing order and a cheap window pre-filter.
/// - `slots`: one row per slot (`start`/`end` as stored text, `covered_start` and
///   `covered_end` in epoch seconds), for the date window of queries. `WITHOUT ROWID`
///   with the key `(event_key, position)`: the window test probes the slots of one event,
///   and finds their covered ranges in the key's own b-tree. Since `v6` only events of
///   several slots have rows, and the rows keep only the covered ranges.
/// - `events_fts`: FTS5 over the folded words of title, description, organizer, place and
///   tags (`TextFolding.words`, joined by spaces), rowid = `event_key`. Contentless since
///   `v5` (see there).
/// - `imports`: one row per committed import: origin, when it began (`started_at`) and
///   when it committed (`finished_at`, written just before the commit), counts, and since
///   `v6` the sequences of its first and last change (`first_change`, `last_change`).
/// - `changes`: the change log, one row per change, never deleted: the import, its
///   origin, `recorded_at` (when the import began writing; the commit time is the
///   import's `finished_at`), the kind, the event id, and the canonical JSON of the event
///   before (NULL when added) and after. Times are Unix epoch seconds. Since `v6` the
///   sequence is a plain `INTEGER PRIMARY KEY` (no `AUTOINCREMENT`) and the only index is
///   by event id.
///
/// Tables added by `v2`:
///
/// - `outbox`: one row per queued delivery, `key` unique (queueing a key twice is a
///   no-op); `status` pending/delivered/dead, `next_attempt_at`, and a lease
///   (`lease_owner`, `lease_until`) that a delivering process holds while it sends.
/// - `outbox_attempts`: every attempt of a delivery (time, outcome, short detail).
/// - `handler_cursors`: for each plugin with change handlers, the last change handled,
///   and the change its handlers last failed on.
enum CatalogueSchema {
    /// Marks a SQLite file as a Relais catalogue (`PRAGMA application_id`, "RLAI").
    static let applicationID: Int32 = 0x524C_4149

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(
                sql: """
                    CREATE TABLE imports (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        origin TEXT NOT NULL,
                        started_at REAL NOT NULL,
                        finished_at REAL,
                        added INTEGER NOT NULL DEFAULT 0,
                        updated INTEGER NOT NULL DEFAULT 0,
                        rescheduled INTEGER NOT NULL DEFAULT 0,
                        cancelled INTEGER NOT NULL DEFAULT 0,
                        unchanged INTEGER NOT NULL DEFAULT 0
                    );

                    CREATE TABLE events (
                        event_key INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        title TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        status TEXT NOT NULL,
                        slots TEXT NOT NULL,
                        region TEXT,
                        online INTEGER NOT NULL,
                        lab TEXT,
                        organizer TEXT,
                        place TEXT,
                        url TEXT,
                        contact TEXT,
                        audience TEXT,
                        tags TEXT,
                        description TEXT,
                        first_start REAL NOT NULL,
                        last_end REAL NOT NULL,
                        slot_count INTEGER NOT NULL
                    );
                    -- The one index listings use: it is in listing order, and it holds every
                    -- column the built-in filters test, so a filtered listing walks it in
                    -- order, tests each entry without reading the row, and reads only the
                    -- rows it returns: no sort, streaming, and an early stop costs nothing.
                    -- (Separate indexes per filter cost more at import than they save.)
                    CREATE INDEX events_listing
                        ON events(first_start, id, last_end, slot_count, region, kind, status, lab, online);

                    CREATE TABLE slots (
                        event_key INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        start TEXT NOT NULL,
                        "end" TEXT,
                        covered_start REAL NOT NULL,
                        covered_end REAL NOT NULL,
                        PRIMARY KEY (event_key, position)
                    ) WITHOUT ROWID;

                    -- The words are folded and split by Relais (TextFolding.words) and joined
                    -- by spaces. The ascii tokenizer splits only on ASCII punctuation and
                    -- spaces and keeps every other character, so its tokens are exactly those
                    -- words and a prefix query means what EventQuery.matches means. Queries
                    -- are single-token prefix terms, so positions are not needed (detail=none),
                    -- and results are not ranked, so neither are document sizes (columnsize=0).
                    CREATE VIRTUAL TABLE events_fts
                        USING fts5(words, tokenize = 'ascii', detail = 'none', columnsize = 0);

                    CREATE TABLE changes (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                        import_id INTEGER NOT NULL,
                        recorded_at REAL NOT NULL,
                        origin TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        before_json TEXT,
                        after_json TEXT NOT NULL
                    );
                    """)
        }
        // v2: the outbox (issue: notifications). Deliveries commit in the same database as
        // the changes that caused them; each plugin's handlers keep a cursor in the change log.
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        key TEXT NOT NULL UNIQUE,
                        origin TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        recipient TEXT NOT NULL,
                        subject TEXT,
                        body TEXT NOT NULL,
                        html TEXT,
                        headers TEXT,
                        change_sequence INTEGER,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        created_at REAL NOT NULL,
                        next_attempt_at REAL NOT NULL,
                        lease_owner TEXT,
                        lease_until REAL,
                        delivered_at REAL,
                        last_error TEXT
                    );
                    -- What `outbox deliver` asks: pending deliveries in the order they fall due.
                    CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

                    CREATE TABLE outbox_attempts (
                        delivery_id INTEGER NOT NULL,
                        attempted_at REAL NOT NULL,
                        outcome TEXT NOT NULL,
                        detail TEXT NOT NULL
                    );
                    CREATE INDEX outbox_attempts_delivery ON outbox_attempts(delivery_id);

                    CREATE TABLE handler_cursors (
                        plugin TEXT PRIMARY KEY,
                        sequence INTEGER NOT NULL,
                        failed_sequence INTEGER,
                        failure TEXT,
                        failed_at REAL
                    );
                    """)
        }
        // v3: digests read the changes recorded during a week: imports by commit time, then
        // their changes.
        migrator.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    CREATE INDEX imports_finished ON imports(finished_at);
                    CREATE INDEX changes_import ON changes(import_id);
                    """)
        }
        // v4: the REPL's saved queries, shared by everyone using the catalogue, and an
        // event's history (`:show ID`) read without walking the change log.
        migrator.registerMigration("v4") { db in
            try db.execute(
                sql: """
                    CREATE TABLE saved_queries (
                        name TEXT PRIMARY KEY,
                        text TEXT NOT NULL,
                        saved_at REAL NOT NULL
                    );
                    CREATE INDEX changes_event ON changes(event_id);
                    """)
        }
        // v5: the full-text index keeps no copy of the words it indexes (`content = ''`): at a
        // million events the copy was a sixth of the file and of an import's writes. FTS5
        // then cannot find an old row's words by itself: the import removes a row with the
        // words it was given (`'delete'`), made again from the stored event. So the words
        // an event gives must not change while it is stored: a change to the folding
        // (`TextFolding`, `SearchWords`) comes with a migration that rebuilds this table.
        migrator.registerMigration("v5") { db in
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE events_fts_contentless
                        USING fts5(words, tokenize = 'ascii', detail = 'none', columnsize = 0, content = '');
                    INSERT INTO events_fts_contentless (rowid, words) SELECT rowid, words FROM events_fts;
                    DROP TABLE events_fts;
                    ALTER TABLE events_fts_contentless RENAME TO events_fts;
                    """)
        }
        // v6: an import writes less per event. The change log loses two costs of every row:
        // `AUTOINCREMENT` (a read and a write of `sqlite_sequence` per insert; sequences
        // are not reused anyway, since changes are never deleted and a rolled-back import
        // rolls its sequences back under both) and the `changes_import` index, whose only
        // use was finding an import's first and last change: the import keeps them
        // (`first_change`, `last_change`; NULL when it changed nothing), its changes
        // having consecutive sequences. A date window tests a one-slot event on its
        // row (`first_start`, `last_end` are that slot's covered range), so `slots` keeps
        // rows only for events of several slots, and only their covered ranges: the slot
        // texts were a second copy of the row's `slots` column that nothing read (96 MB of
        // a million-event file, 1.4 rows an event). FTS5 gathers an import's words in
        // memory and writes them as one segment each time that buffer fills; at its 1 MiB
        // default a million events make hundreds of small segments that its merges then
        // read and write again (measured: the index's build 2.0 s → 1.1 s of SQLite at 8
        // MiB, for about 9 MB more memory during an import).
        migrator.registerMigration("v6") { db in
            try db.execute(
                sql: """
                    CREATE TABLE slot_ranges (
                        event_key INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        covered_start REAL NOT NULL,
                        covered_end REAL NOT NULL,
                        PRIMARY KEY (event_key, position)
                    ) WITHOUT ROWID;
                    INSERT INTO slot_ranges (event_key, position, covered_start, covered_end)
                        SELECT s.event_key, s.position, s.covered_start, s.covered_end
                        FROM slots s JOIN events e ON e.event_key = s.event_key
                        WHERE e.slot_count > 1;
                    DROP TABLE slots;
                    ALTER TABLE slot_ranges RENAME TO slots;
                    INSERT INTO events_fts (events_fts, rank) VALUES ('hashsize', \(ftsPendingWordsBytes));

                    ALTER TABLE imports ADD COLUMN first_change INTEGER;
                    ALTER TABLE imports ADD COLUMN last_change INTEGER;
                    UPDATE imports SET
                        first_change = (SELECT MIN(sequence) FROM changes WHERE import_id = imports.id),
                        last_change = (SELECT MAX(sequence) FROM changes WHERE import_id = imports.id);

                    CREATE TABLE changes_v6 (
                        sequence INTEGER PRIMARY KEY,
                        import_id INTEGER NOT NULL,
                        recorded_at REAL NOT NULL,
                        origin TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        before_json TEXT,
                        after_json TEXT NOT NULL
                    );
                    INSERT INTO changes_v6 SELECT sequence, import_id, recorded_at, origin, kind, event_id, before_json, after_json
                        FROM changes ORDER BY sequence;
                    DROP TABLE changes;
                    ALTER TABLE changes_v6 RENAME TO changes;
                    CREATE INDEX changes_event ON changes(event_id);
                    DELETE FROM sqlite_sequence WHERE name = 'changes';
                    """)
        }
        return migrator
    }()

    /// How many bytes of pending words FTS5 gathers before it writes them out as a segment
    /// (its `hashsize`; v6).
    static let ftsPendingWordsBytes = 8 * 1024 * 1024

    /// The migrations this build knows, for error messages.
    static var knownVersions: [String] { migrator.migrations }
}
