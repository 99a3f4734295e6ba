import Foundation
import GRDB
import RelaisCore

/// The write side of one import, inside the IMMEDIATE transaction that
/// ``SQLiteCatalogue/importBatch(origin:dryRun:_:)`` opens.
///
/// Memory stays flat however many events arrive: nothing is kept per event. Duplicate ids
/// within the batch are found in the database itself: an event whose `event_key` is above
/// the largest key at the start of the batch was inserted by this batch (when the
/// catalogue was empty, the insert itself finds it), and the keys of existing events put
/// by this batch go to a temporary table (outside the catalogue file, and rolled back
/// with the transaction).
final class SQLiteImportSession: ImportSession {
    private(set) var report = ImportReport()
    /// The change-log sequences this batch wrote, or nil when it changed nothing.
    var sequences: ClosedRange<Int64>? {
        guard let firstSequence, let lastSequence else { return nil }
        return firstSequence...lastSequence
    }

    private let db: Database
    private let importID: Int64
    private let origin: String
    private let recordedAt: Double
    private let clock: @Sendable () -> Date
    private let largestKeyBefore: Int64
    private var firstSequence: Int64?
    private var lastSequence: Int64?
    private var isOpen = true
    /// A failure of the database in the middle of a `put`: that event may be half
    /// written, so the batch must not commit even if `work` catches the error.
    private var failure: (any Error)?
    /// The session's own preparer, for events `put` directly (not through a read-ahead
    /// pipeline's preparer).
    private let preparer: SQLiteImportPreparer
    private var searchWords = SearchWords()
    /// How many additions make this batch drop the listing index until it finishes.
    private let listingIndexDeferralPoint: Int
    /// The listing index's definition while this batch has it dropped.
    private var droppedListingIndexSQL: String?

    private let selectStored: Statement
    private let markSeen: Statement
    private let insertEvent: DirectStatement
    private let updateEvent: DirectStatement
    private let deleteSlots: Statement
    private let insertSlot: DirectStatement
    private let deleteWords: DirectStatement
    private let insertWords: DirectStatement
    private let insertChange: DirectStatement

    /// Starts the batch in `db`, which must be inside a write transaction.
    init(
        _ db: Database, origin: String, clock: @escaping @Sendable () -> Date,
        smallestBatchDeferringTheListingIndex: Int
    ) throws {
        self.db = db
        self.origin = origin
        self.clock = clock
        let now = clock()
        recordedAt = now.timeIntervalSince1970
        try db.execute(sql: "INSERT INTO imports (origin, started_at) VALUES (?, ?)", arguments: [origin, recordedAt])
        importID = db.lastInsertedRowID
        largestKeyBefore = try Int64.fetchOne(db, sql: "SELECT MAX(event_key) FROM events") ?? 0
        preparer = SQLiteImportPreparer(catalogueWasEmpty: largestKeyBefore == 0)
        // Keys are never reused and rows never deleted, so the largest key is the number of
        // events the catalogue holds.
        listingIndexDeferralPoint = max(smallestBatchDeferringTheListingIndex, Int(clamping: largestKeyBefore))
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS relais_import_seen (event_key INTEGER PRIMARY KEY)")
        try db.execute(sql: "DELETE FROM temp.relais_import_seen")

        selectStored = try db.cachedStatement(
            sql: "SELECT event_key, \(StoredEvent.columns) FROM events WHERE id = ?")
        markSeen = try db.cachedStatement(sql: "INSERT OR IGNORE INTO temp.relais_import_seen (event_key) VALUES (?)")
        insertEvent = try DirectStatement(db.cachedStatement(
            sql: """
                INSERT INTO events (id, title, kind, status, slots, region, online, lab, organizer, place, url,
                    contact, audience, tags, description, first_start, last_end, slot_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO NOTHING
                """), in: db)
        updateEvent = try DirectStatement(db.cachedStatement(
            sql: """
                UPDATE events SET title = ?, kind = ?, status = ?, slots = ?, region = ?, online = ?, lab = ?,
                    organizer = ?, place = ?, url = ?, contact = ?, audience = ?, tags = ?, description = ?,
                    first_start = ?, last_end = ?, slot_count = ?
                WHERE event_key = ?
                """), in: db)
        deleteSlots = try db.cachedStatement(sql: "DELETE FROM slots WHERE event_key = ?")
        insertSlot = try DirectStatement(db.cachedStatement(
            sql: """
                INSERT INTO slots (event_key, position, covered_start, covered_end) VALUES (?, ?, ?, ?)
                """), in: db)
        // The index is contentless (CatalogueSchema v5): a row goes with the words it was given.
        deleteWords = try DirectStatement(
            db.cachedStatement(sql: "INSERT INTO events_fts (events_fts, rowid, words) VALUES ('delete', ?, ?)"), in: db)
        insertWords = try DirectStatement(
            db.cachedStatement(sql: "INSERT INTO events_fts (rowid, words) VALUES (?, ?)"), in: db)
        // The session's own statement, not the connection's cached one: the import, its
        // time and its origin stay bound to it for the whole batch.
        insertChange = try DirectStatement(db.makeStatement(
            sql: """
                INSERT INTO changes (import_id, recorded_at, origin, kind, event_id, before_json, after_json)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """), in: db)
        try insertChange.bind(1, importID)
        try insertChange.bind(2, recordedAt)
        try insertChange.bind(3, origin)
    }

    /// Stores `event` in its normal form (`Event.normalized()`) and records the change.
    /// Throws the event's `validationProblem()` (readers validate first; this keeps any
    /// other caller from storing what could not be exported), or a problem on field `id`
    /// when this batch already put that id; nothing of that event is written then.
    @discardableResult
    func put(_ event: Event) throws -> ChangeKind {
        guard isOpen else { throw CatalogueError("the import session was used after its import ended") }
        return try put(prepared: preparer.prepare(event))
    }

    /// A preparer for a reader's thread: each has its own buffers.
    func makePreparer() -> (any ImportPreparer)? {
        SQLiteImportPreparer(catalogueWasEmpty: largestKeyBefore == 0)
    }

    @discardableResult
    func put(prepared: any PreparedEvent) throws -> ChangeKind {
        guard isOpen else { throw CatalogueError("the import session was used after its import ended") }
        guard let ready = prepared as? SQLitePreparedEvent else { return try put(prepared.event) }
        if let failure { throw failure }
        do {
            return try store(ready)
        } catch let problem as EventFieldProblem {
            throw problem  // found before anything of the event was written
        } catch {
            failure = error
            throw error
        }
    }

    private func store(_ ready: SQLitePreparedEvent) throws -> ChangeKind {
        let incoming = ready.event

        if largestKeyBefore == 0 {
            // The catalogue was empty when the batch began: a row with this id can only
            // come from this batch, and inserting tells whether there is one.
            guard try insert(ready) else { throw duplicate(incoming.id) }
            return record(.added)
        }
        let encoded = ready.storedForm
        guard let found = try lookUp(incoming, encoded) else {
            guard try insert(ready) else { throw duplicate(incoming.id) }
            return record(.added)
        }
        if found.key > largestKeyBefore { throw duplicate(incoming.id) }
        try markSeen.execute(arguments: [found.key])
        if db.changesCount == 0 { throw duplicate(incoming.id) }
        guard let stored = found.storedIfDifferent else { return record(.unchanged) }
        let key = found.key
        let kind = ChangeKind.between(stored: stored, incoming: incoming)
        if kind == .unchanged { return record(.unchanged) }

        let rowTexts = ready.texts
        try rowTexts.withTexts { texts in
            defer { updateEvent.clearBindings() }
            let next = try StoredEvent.bindFields(texts, online: incoming.online, to: updateEvent, from: 1)
            try bindCoveredRange(of: ready, to: updateEvent, from: next)
            try updateEvent.bind(next + 3, key)
            try updateEvent.run()
        }
        if !incoming.hasSameSlotsInOrder(as: stored) {
            try deleteSlots.execute(arguments: [key])
            try insertSlots(key, ready)
        }
        if incoming.searchableText != stored.searchableText {
            try deleteWords.bind(1, key)
            try deleteWords.bind(2, searchWords.joinedWords(of: stored))
            try deleteWords.run()
            try insertWords(key, ready, rowTexts)
        }
        try appendChange(kind, ready, rowTexts, before: CanonicalEventJSON.json(stored))
        return record(kind)
    }

    /// Writes the import's counts; called once `work` has returned. Throws the failure of
    /// an earlier `put`, if any, so that the batch rolls back.
    func finish() throws {
        if let failure { throw failure }
        if let droppedListingIndexSQL {
            let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? SQLiteCatalogue.writerCacheSize
            try db.execute(sql: "PRAGMA cache_size = \(SQLiteCatalogue.indexBuildCacheSize)")
            defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }
            try db.execute(sql: droppedListingIndexSQL)
            self.droppedListingIndexSQL = nil
        }
        try db.execute(
            sql: """
                UPDATE imports SET finished_at = ?, added = ?, updated = ?, rescheduled = ?, cancelled = ?,
                    unchanged = ?, first_change = ?, last_change = ? WHERE id = ?
                """,
            arguments: [
                clock().timeIntervalSince1970, report.added, report.updated, report.rescheduled, report.cancelled,
                report.unchanged, firstSequence, lastSequence, importID,
            ])
        try db.execute(sql: "DELETE FROM temp.relais_import_seen")
    }

    /// Ends the session: `db` is not valid once the transaction's closure has returned.
    func close() { isOpen = false }

    // MARK: - Writing one event

    /// The stored row with the id of `incoming`: its key, and the stored event unless the
    /// row holds exactly `encoded`. Reads the row in place through a cursor rather than
    /// copying it, and lets the cursor go (resetting the statement) before any write.
    private func lookUp(_ incoming: Event, _ encoded: StoredEvent) throws -> (key: Int64, storedIfDifferent: Event?)? {
        let rows = try Row.fetchCursor(selectStored, arguments: [incoming.id])
        guard let row = try rows.next() else { return nil }
        guard let key = try row.decode(Int64?.self, atIndex: 0) else {
            throw StoredDataProblem("event '\(incoming.id)' has no key")
        }
        if try encoded.isStored(in: row, at: 1) { return (key, nil) }
        return (key, try StoredEvent.decode(row, at: 1))
    }

    /// Inserts a new event with its slots, words and change; false (and nothing written)
    /// when an event with this id exists.
    private func insert(_ ready: SQLitePreparedEvent) throws -> Bool {
        if report.added == listingIndexDeferralPoint { try dropListingIndex() }
        let rowTexts = ready.texts
        try rowTexts.withTexts { texts in
            defer { insertEvent.clearBindings() }
            try insertEvent.bind(1, inPlace: texts.text(.id))
            let next = try StoredEvent.bindFields(texts, online: ready.event.online, to: insertEvent, from: 2)
            try bindCoveredRange(of: ready, to: insertEvent, from: next)
            try insertEvent.run()
        }
        guard db.changesCount == 1 else { return false }
        let key = db.lastInsertedRowID
        try insertSlots(key, ready)
        try insertWords(key, ready, rowTexts)
        try appendChange(.added, ready, rowTexts, before: nil, after: ChangeLog.implicitAfter)
        return true
    }

    /// Binds the first start, last end and slot count of the event's row from `first`.
    private func bindCoveredRange(of ready: SQLitePreparedEvent, to statement: DirectStatement, from first: Int32)
        throws
    {
        try statement.bind(first, ready.coveredRanges.first)
        try statement.bind(first + 1, ready.coveredRanges.last)
        try statement.bind(first + 2, Int64(ready.event.slots.count))
    }

    /// Writes the `slots` rows of an event of several slots; a one-slot event has none,
    /// its row's covered range being its slot's (CatalogueSchema v6).
    private func insertSlots(_ key: Int64, _ ready: SQLitePreparedEvent) throws {
        let slots = ready.event.slots
        guard slots.count > 1 else { return }
        for (position, slot) in slots.enumerated() {
            try insertSlot.bind(1, key)
            try insertSlot.bind(2, Int64(position))
            try insertSlot.bind(3, slot.coveredStart.timeIntervalSince1970)
            try insertSlot.bind(4, slot.coveredEnd.timeIntervalSince1970)
            try insertSlot.run()
        }
    }

    /// Indexes the words of `ready`'s event under `key`: those made ahead, else made now.
    private func insertWords(_ key: Int64, _ ready: SQLitePreparedEvent, _ rowTexts: RowTexts) throws {
        try insertWords.bind(1, key)
        guard rowTexts.hasWords else {
            try insertWords.bind(2, searchWords.joinedWords(of: ready.event))
            return try insertWords.run()
        }
        try rowTexts.withTexts { texts in
            defer { insertWords.clearBindings() }
            try insertWords.bind(2, inPlace: texts.text(.words))
            try insertWords.run()
        }
    }

    /// Drops the listing index until ``finish()`` builds it again. A batch that adds as
    /// many events as the catalogue held would otherwise insert each into an index whose
    /// pages are spread over the whole file (it is in date order, the events are not):
    /// building it once from the finished table sorts instead, which at a million events
    /// takes a third of the time. Rolling the batch back restores the index with the rest.
    private func dropListingIndex() throws {
        guard droppedListingIndexSQL == nil,
            let definition = try String.fetchOne(
                db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'events_listing'")
        else { return }
        try db.execute(sql: "DROP INDEX events_listing")
        droppedListingIndexSQL = definition
    }

    /// Records the change; `after` is the event's JSON, made here unless given (an added
    /// event's is implicit: ``ChangeLog/implicitAfter``).
    private func appendChange(
        _ kind: ChangeKind, _ ready: SQLitePreparedEvent, _ rowTexts: RowTexts, before: String?, after: String? = nil
    ) throws {
        let after =
            after ?? CanonicalEventJSON.json(ready.event, times: ready.storedForm.slotDescriptions)
        // The import, its time and its origin stay bound from the start of the batch.
        try insertChange.bind(4, kind.rawValue)
        try insertChange.bind(6, before)
        try insertChange.bind(7, after)
        try rowTexts.withTexts { texts in
            defer { insertChange.unbind(5) }
            try insertChange.bind(5, inPlace: texts.text(.id))
            try insertChange.run()
        }
        let sequence = db.lastInsertedRowID
        if firstSequence == nil { firstSequence = sequence }
        lastSequence = sequence
    }

    private func record(_ kind: ChangeKind) -> ChangeKind {
        report.count(kind)
        return kind
    }

    private func duplicate(_ id: String) -> EventFieldProblem {
        EventFieldProblem(field: "id", message: "duplicate id '\(id)' (already in this file)")
    }
}

extension Event {
    /// Whether the slots are the same, in the same order (the `slots` rows keep positions).
    fileprivate func hasSameSlotsInOrder(as other: Event) -> Bool { slots == other.slots }
}

/// An event normalised, checked and encoded for the catalogue's tables. A class: the
/// writing thread takes it out of its `any PreparedEvent` without copying the fields.
final class SQLitePreparedEvent: PreparedEvent {
    let event: Event
    /// The stored form, to compare with the row of the same id; nil in an import into an
    /// empty catalogue, where there is none.
    let encoded: StoredEvent?
    /// The texts to bind, laid out ahead with the full-text words in an import into an
    /// empty catalogue, which writes every event; nil otherwise. (An added event's
    /// change-log JSON is implicit: ``ChangeLog/implicitAfter``.)
    private let rowTexts: RowTexts?
    let coveredRanges: CoveredRanges

    /// The texts to bind: laid out ahead, or now (by the writing thread, without the
    /// words, which the session makes only for events whose words changed) for an event
    /// compared with the catalogue's row, which is mostly unchanged and not written.
    var texts: RowTexts { rowTexts ?? RowTexts(storedForm, words: nil) }

    /// The stored form: made now for an event of an import into an empty catalogue, which
    /// needs it only to describe a change other than an addition (none there).
    var storedForm: StoredEvent { encoded ?? StoredEvent(event) }

    /// An event to compare with the catalogue's row of its id.
    init(event: Event, encoded: StoredEvent) {
        self.event = event
        self.encoded = encoded
        rowTexts = nil
        coveredRanges = CoveredRanges(event.slots)
    }

    /// An event for an empty catalogue, with its search words.
    init(event: Event, texts: RowTexts) {
        self.event = event
        encoded = nil
        rowTexts = texts
        coveredRanges = CoveredRanges(event.slots)
    }
}

/// The first start and last end the slots cover, in epoch seconds: what the event's row
/// keeps for date windows and listing order (the `slots` rows, for events of several
/// slots only, are made from the slots themselves).
struct CoveredRanges: Sendable {
    var first = Double.infinity
    var last = -Double.infinity

    init(_ eventSlots: [Slot]) {
        for slot in eventSlots {
            first = min(first, slot.coveredStart.timeIntervalSince1970)
            last = max(last, slot.coveredEnd.timeIntervalSince1970)
        }
    }
}

/// Prepares events for ``SQLiteImportSession``: everything of storing one that needs no
/// database. Not for two threads at once (its buffers are reused).
final class SQLiteImportPreparer: ImportPreparer, @unchecked Sendable {
    private let catalogueWasEmpty: Bool
    private var searchWords = SearchWords()
    private var timeTexts = TimeTextCache()

    init(catalogueWasEmpty: Bool) {
        self.catalogueWasEmpty = catalogueWasEmpty
    }

    func prepare(_ event: Event) throws -> any PreparedEvent {
        let incoming = event.normalized()
        if let problem = incoming.validationProblem() { throw problem }
        return prepare(checked: incoming)
    }

    func prepare(checked incoming: Event) -> any PreparedEvent {
        guard catalogueWasEmpty else {
            return SQLitePreparedEvent(event: incoming, encoded: StoredEvent(incoming, texts: &timeTexts))
        }
        let texts = RowTexts(incoming, times: &timeTexts, words: searchWords.joinedWords(of: incoming))
        return SQLitePreparedEvent(event: incoming, texts: texts)
    }
}
