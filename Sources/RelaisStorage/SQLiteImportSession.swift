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
    private var searchWords = SearchWords()
    private var timeTexts = TimeTextCache()

    private let selectStored: Statement
    private let markSeen: Statement
    private let insertEvent: Statement
    private let updateEvent: Statement
    private let deleteSlots: Statement
    private let insertSlot: Statement
    private let deleteWords: Statement
    private let insertWords: Statement
    private let insertChange: Statement

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
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS relais_import_seen (event_key INTEGER PRIMARY KEY)")
        try db.execute(sql: "DELETE FROM temp.relais_import_seen")

        selectStored = try db.cachedStatement(
            sql: "SELECT event_key, \(StoredEvent.columns) FROM events WHERE id = ?")
        markSeen = try db.cachedStatement(sql: "INSERT OR IGNORE INTO temp.relais_import_seen (event_key) VALUES (?)")
        insertEvent = try db.cachedStatement(
            sql: """
                INSERT INTO events (id, title, kind, status, slots, region, online, lab, organizer, place, url,
                    contact, audience, tags, description, first_start, last_end, slot_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO NOTHING
                """)
        updateEvent = try db.cachedStatement(
            sql: """
                UPDATE events SET title = ?, kind = ?, status = ?, slots = ?, region = ?, online = ?, lab = ?,
                    organizer = ?, place = ?, url = ?, contact = ?, audience = ?, tags = ?, description = ?,
                    first_start = ?, last_end = ?, slot_count = ?
                WHERE event_key = ?
                """)
        deleteSlots = try db.cachedStatement(sql: "DELETE FROM slots WHERE event_key = ?")
        insertSlot = try db.cachedStatement(
            sql: """
                INSERT INTO slots (event_key, position, start, "end", covered_start, covered_end)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
        deleteWords = try db.cachedStatement(sql: "DELETE FROM events_fts WHERE rowid = ?")
        insertWords = try db.cachedStatement(sql: "INSERT INTO events_fts (rowid, words) VALUES (?, ?)")
        insertChange = try db.cachedStatement(
            sql: """
                INSERT INTO changes (import_id, recorded_at, origin, kind, event_id, before_json, after_json)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
    }

    /// Stores `event` in its normal form (`Event.normalized()`) and records the change.
    /// Throws the event's `validationProblem()` (readers validate first; this keeps any
    /// other caller from storing what could not be exported), or a problem on field `id`
    /// when this batch already put that id; nothing of that event is written then.
    @discardableResult
    func put(_ event: Event) throws -> ChangeKind {
        guard isOpen else { throw CatalogueError("the import session was used after its import ended") }
        if let failure { throw failure }
        do {
            return try store(event)
        } catch let problem as EventFieldProblem {
            throw problem  // found before anything of the event was written
        } catch {
            failure = error
            throw error
        }
    }

    private func store(_ event: Event) throws -> ChangeKind {
        let incoming = ImportFastPaths.isNormalized(event) ? event : event.normalized()
        if let problem = incoming.validationProblem() { throw problem }
        let encoded = StoredEvent(incoming, texts: &timeTexts)

        if largestKeyBefore == 0 {
            // The catalogue was empty when the batch began: a row with this id can only
            // come from this batch, and inserting tells whether there is one.
            guard try insert(incoming, encoded) else { throw duplicate(incoming.id) }
            return record(.added)
        }
        guard let found = try lookUp(incoming, encoded) else {
            guard try insert(incoming, encoded) else { throw duplicate(incoming.id) }
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
        let values = encoded.fieldArguments(then: ranges.first, ranges.last, incoming.slots.count, key)
        try updateEvent.execute(arguments: StatementArguments(values))
        if !incoming.hasSameSlotsInOrder(as: stored) {
            try deleteSlots.execute(arguments: [key])
            try insertSlots(key, encoded, ranges.slots)
        }
        if incoming.searchableText != stored.searchableText {
            try deleteWords.execute(arguments: [key])
            try insertWords.execute(arguments: [key, searchWords.joinedWords(of: incoming)])
        }
        try appendChange(kind, incoming, encoded, before: CanonicalEventJSON.json(stored))
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
    private func insert(_ event: Event, _ encoded: StoredEvent) throws -> Bool {
        let ranges = Self.coveredRanges(event.slots)
        let values = [event.id] + encoded.fieldArguments(then: ranges.first, ranges.last, event.slots.count)
        try insertEvent.execute(arguments: StatementArguments(values))
        guard db.changesCount == 1 else { return false }
        let key = db.lastInsertedRowID
        try insertSlots(key, encoded, ranges.slots)
        try insertWords.execute(arguments: [key, searchWords.joinedWords(of: event)])
        try appendChange(.added, event, encoded, before: nil)
        return true
    }

    private func insertSlots(_ key: Int64, _ encoded: StoredEvent, _ ranges: [(Double, Double)]) throws {
        for (position, (times, range)) in zip(encoded.slotTimes, ranges).enumerated() {
            let values: [(any DatabaseValueConvertible)?] = [key, position, times.start, times.end, range.0, range.1]
            try insertSlot.execute(arguments: StatementArguments(values))
        }
    }

    private func appendChange(_ kind: ChangeKind, _ event: Event, _ encoded: StoredEvent, before: String?) throws {
        let after = CanonicalEventJSON.json(event, times: encoded.slotDescriptions)
        let values: [(any DatabaseValueConvertible)?] = [
            importID, recordedAt, origin, kind.rawValue, event.id, before, after,
        ]
        try insertChange.execute(arguments: StatementArguments(values))
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
