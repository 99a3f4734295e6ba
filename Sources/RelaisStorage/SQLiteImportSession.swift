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

    private let selectStored: Statement
    private let markSeen: Statement
    private let insertEvent: DirectStatement
    private let updateEvent: DirectStatement
    private let deleteSlots: Statement
    private let insertSlot: DirectStatement
    private let deleteWords: Statement
    private let insertWords: DirectStatement
    private let insertChange: DirectStatement

    /// Starts the batch in `db`, which must be inside a write transaction.
    init(_ db: Database, origin: String, clock: @escaping @Sendable () -> Date) throws {
        self.db = db
        self.origin = origin
        self.clock = clock
        let now = clock()
        recordedAt = now.timeIntervalSince1970
        try db.execute(sql: "INSERT INTO imports (origin, started_at) VALUES (?, ?)", arguments: [origin, recordedAt])
        importID = db.lastInsertedRowID
        largestKeyBefore = try Int64.fetchOne(db, sql: "SELECT MAX(event_key) FROM events") ?? 0
        preparer = SQLiteImportPreparer(catalogueWasEmpty: largestKeyBefore == 0)
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
                INSERT INTO slots (event_key, position, start, "end", covered_start, covered_end)
                VALUES (?, ?, ?, ?, ?, ?)
                """), in: db)
        deleteWords = try db.cachedStatement(sql: "DELETE FROM events_fts WHERE rowid = ?")
        insertWords = try DirectStatement(
            db.cachedStatement(sql: "INSERT INTO events_fts (rowid, words) VALUES (?, ?)"), in: db)
        insertChange = try DirectStatement(db.cachedStatement(
            sql: """
                INSERT INTO changes (import_id, recorded_at, origin, kind, event_id, before_json, after_json)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """), in: db)
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
        let encoded = ready.encoded

        if largestKeyBefore == 0 {
            // The catalogue was empty when the batch began: a row with this id can only
            // come from this batch, and inserting tells whether there is one.
            guard try insert(ready) else { throw duplicate(incoming.id) }
            return record(.added)
        }
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

        let ranges = Self.coveredRanges(incoming.slots)
        try updateEvent.execute(
            encoded.fieldValues(
                then: .real(ranges.first), .real(ranges.last), .integer(Int64(incoming.slots.count)), .integer(key)))
        if !incoming.hasSameSlotsInOrder(as: stored) {
            try deleteSlots.execute(arguments: [key])
            try insertSlots(key, encoded, ranges.slots)
        }
        if incoming.searchableText != stored.searchableText {
            try deleteWords.execute(arguments: [key])
            try insertWords.execute([.integer(key), .text(ready.words ?? searchWords.joinedWords(of: incoming))])
        }
        try appendChange(kind, ready, before: CanonicalEventJSON.json(stored))
        return record(kind)
    }

    /// Writes the import's counts; called once `work` has returned. Throws the failure of
    /// an earlier `put`, if any, so that the batch rolls back.
    func finish() throws {
        if let failure { throw failure }
        try db.execute(
            sql: """
                UPDATE imports SET finished_at = ?, added = ?, updated = ?, rescheduled = ?, cancelled = ?,
                    unchanged = ? WHERE id = ?
                """,
            arguments: [
                clock().timeIntervalSince1970, report.added, report.updated, report.rescheduled, report.cancelled,
                report.unchanged, importID,
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
        let event = ready.event
        let encoded = ready.encoded
        let ranges = Self.coveredRanges(event.slots)
        try insertEvent.execute(
            [.text(event.id)]
                + encoded.fieldValues(then: .real(ranges.first), .real(ranges.last), .integer(Int64(event.slots.count))))
        guard db.changesCount == 1 else { return false }
        let key = db.lastInsertedRowID
        try insertSlots(key, encoded, ranges.slots)
        try insertWords.execute([.integer(key), .text(ready.words ?? searchWords.joinedWords(of: event))])
        try appendChange(.added, ready, before: nil, after: ChangeLog.implicitAfter)
        return true
    }

    private func insertSlots(_ key: Int64, _ encoded: StoredEvent, _ ranges: [(Double, Double)]) throws {
        for (position, (times, range)) in zip(encoded.slotTimes, ranges).enumerated() {
            try insertSlot.execute([
                .integer(key), .integer(Int64(position)), .text(times.start), DirectValue(times.end), .real(range.0),
                .real(range.1),
            ])
        }
    }

    /// Records the change; `after` is the event's JSON, made here unless given (an added
    /// event's is implicit: ``ChangeLog/implicitAfter``).
    private func appendChange(_ kind: ChangeKind, _ ready: SQLitePreparedEvent, before: String?, after: String? = nil)
        throws
    {
        let event = ready.event
        let after = after ?? CanonicalEventJSON.json(event, times: ready.encoded.slotDescriptions)
        try insertChange.execute([
            .integer(importID), .real(recordedAt), .text(origin), .text(kind.rawValue), .text(event.id), DirectValue(before),
            .text(after),
        ])
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

    /// Each slot's covered range in epoch seconds, and the first start and last end.
    private static func coveredRanges(_ slots: [Slot]) -> (slots: [(Double, Double)], first: Double, last: Double) {
        var ranges: [(Double, Double)] = []
        ranges.reserveCapacity(slots.count)
        var first = Double.infinity
        var last = -Double.infinity
        for slot in slots {
            let start = slot.coveredStart.timeIntervalSince1970
            let end = slot.coveredEnd.timeIntervalSince1970
            ranges.append((start, end))
            first = min(first, start)
            last = max(last, end)
        }
        return (ranges, first, last)
    }
}

extension Event {
    /// Whether the slots are the same, in the same order (the `slots` rows keep positions).
    fileprivate func hasSameSlotsInOrder(as other: Event) -> Bool { slots == other.slots }
}

/// An event normalised, checked and encoded for the catalogue's tables.
struct SQLitePreparedEvent: PreparedEvent {
    let event: Event
    let encoded: StoredEvent
    /// The full-text words, made ahead when the event will almost surely be written (an
    /// import into an empty catalogue); nil otherwise, and made by the session only for
    /// events that changed. (An added event's change-log JSON is implicit:
    /// ``ChangeLog/implicitAfter``.)
    let words: String?
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
        let incoming = ImportFastPaths.isNormalized(event) ? event : event.normalized()
        if let problem = incoming.validationProblem() { throw problem }
        let encoded = StoredEvent(incoming, texts: &timeTexts)
        guard catalogueWasEmpty else {
            return SQLitePreparedEvent(event: incoming, encoded: encoded, words: nil)
        }
        return SQLitePreparedEvent(event: incoming, encoded: encoded, words: searchWords.joinedWords(of: incoming))
    }
}
