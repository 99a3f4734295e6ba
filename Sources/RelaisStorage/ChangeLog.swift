import Foundation
import GRDB
import RelaisCore

/// Reads the `changes` table back into ``EventChange`` values.
enum ChangeLog {
    /// The sequence of the last change recorded, 0 when there is none.
    static func lastSequence(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM changes") ?? 0
    }

    /// Changes with a sequence above `after` (and at most `through`), oldest first.
    static func changes(_ db: Database, after: Int64, through: Int64?, limit: Int) throws -> [EventChange] {
        // The import's commit time is known only at its end, after its changes were
        // written: it is kept once, in `imports`, and each row keeps its own time as well
        // in case the import's row were ever missing.
        var sql = """
            SELECT c.sequence, c.kind, c.event_id, c.before_json, c.after_json,
                COALESCE(i.finished_at, c.recorded_at), c.origin
            FROM changes c LEFT JOIN imports i ON i.id = c.import_id
            WHERE c.sequence > ?
            """
        var arguments: [any DatabaseValueConvertible] = [after]
        if let through {
            sql += " AND c.sequence <= ?"
            arguments.append(through)
        }
        sql += " ORDER BY c.sequence LIMIT ?"
        arguments.append(Int64(clamping: limit))
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
        var result: [EventChange] = []
        while let row = try rows.next() {
            result.append(try change(row, db))
        }
        return result
    }

    /// Changes with a sequence in `after+1 ... through` and one of `kinds`, oldest first:
    /// filtered before their events are decoded, which is most of the cost of reading one.
    static func changes(_ db: Database, after: Int64, through: Int64, kinds: Set<ChangeKind>, limit: Int) throws
        -> [EventChange]
    {
        guard !kinds.isEmpty, limit > 0, after < through else { return [] }
        let names = kinds.map(\.rawValue).sorted()
        let sql = """
            SELECT c.sequence, c.kind, c.event_id, c.before_json, c.after_json,
                COALESCE(i.finished_at, c.recorded_at), c.origin
            FROM changes c LEFT JOIN imports i ON i.id = c.import_id
            WHERE c.sequence > ? AND c.sequence <= ? AND c.kind IN (\(names.map { _ in "?" }.joined(separator: ", ")))
            ORDER BY c.sequence LIMIT ?
            """
        var arguments: [any DatabaseValueConvertible] = [after, through]
        arguments += names
        arguments.append(Int64(clamping: limit))
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
        var result: [EventChange] = []
        while let row = try rows.next() {
            result.append(try change(row, db))
        }
        return result
    }

    /// The lowest sequence above `after` that may hold a change of one of `kinds`.
    ///
    /// An import's changes have consecutive sequences (`first_change ... last_change`) and
    /// its row counts them by kind, in the same transaction. Walking the imports from the
    /// one holding `after + 1`, each whose counts of `kinds` are all zero is passed over;
    /// the walk stops at the first that has some, and at any sequence no import is known
    /// to hold (a gap), which may hold anything.
    static func firstPossibleChange(_ db: Database, after: Int64, kinds: Set<ChangeKind>) throws -> Int64 {
        var next = after &+ 1
        guard !kinds.isEmpty else { return next }
        let wanted = ChangeKind.allCases.filter(kinds.contains).map(countColumn)
        // Imports commit one after the other, so their ids follow their sequences: no sort.
        let sql = """
            SELECT first_change, last_change, \(wanted.joined(separator: " + "))
            FROM imports WHERE last_change >= ? ORDER BY id
            """
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: [next])
        while let row = try rows.next() {
            guard let first = try row.decode(Int64?.self, atIndex: 0), let last = try row.decode(Int64?.self, atIndex: 1),
                let count = try row.decode(Int64?.self, atIndex: 2)
            else { break }
            if first > next { break }
            // Were ranges ever to overlap, an import holding wanted kinds still stops the
            // walk at its own first change (`first <= next` here).
            if count != 0 { return max(after &+ 1, first) }
            next = max(next, last &+ 1)
        }
        return next
    }

    /// The column of `imports` that counts the logged changes of `kind`.
    private static func countColumn(_ kind: ChangeKind) -> String {
        switch kind {
        case .added: "added"
        case .updated: "updated"
        case .rescheduled: "rescheduled"
        case .cancelled: "cancelled"
        // Unchanged events are counted but leave no change in the log.
        case .unchanged: "0"
        }
    }

    /// Changes of the imports committed from `start` (included) to `end` (excluded), with a
    /// sequence above `after`, oldest first, at most `limit`.
    ///
    /// An import's changes have consecutive sequences, so the imports of the window (few,
    /// by their commit-time index) give sequence ranges (kept in `imports` since `v6`),
    /// and each page is a range scan of the change log's primary key: a week holding a
    /// million-event import pages through it without sorting it for every page.
    static func changes(_ db: Database, recordedFrom start: Date, before end: Date, after: Int64, limit: Int) throws
        -> [EventChange]
    {
        let ranges = try Row.fetchAll(
            db,
            sql: """
                SELECT first_change, last_change FROM imports
                WHERE finished_at >= ? AND finished_at < ? AND last_change > ? ORDER BY id
                """,
            arguments: [start.timeIntervalSince1970, end.timeIntervalSince1970, after])
        var result: [EventChange] = []
        for range in ranges where result.count < limit {
            guard let lowest = try range.decode(Int64?.self, atIndex: 0),
                let highest = try range.decode(Int64?.self, atIndex: 1)
            else { continue }
            let sql = """
                SELECT c.sequence, c.kind, c.event_id, c.before_json, c.after_json, i.finished_at, c.origin
                FROM changes c JOIN imports i ON i.id = c.import_id
                WHERE c.sequence > ? AND c.sequence <= ?
                ORDER BY c.sequence LIMIT ?
                """
            let rows = try Row.fetchCursor(
                db.cachedStatement(sql: sql),
                arguments: [max(after, lowest - 1), highest, Int64(clamping: limit - result.count)])
            while let row = try rows.next() {
                result.append(try change(row, db))
            }
        }
        return result
    }

    /// The changes of event `id`, oldest first.
    static func changes(_ db: Database, ofEvent id: String) throws -> [EventChange] {
        let sql = """
            SELECT c.sequence, c.kind, c.event_id, c.before_json, c.after_json,
                COALESCE(i.finished_at, c.recorded_at), c.origin
            FROM changes c LEFT JOIN imports i ON i.id = c.import_id
            WHERE c.event_id = ? ORDER BY c.sequence
            """
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: [id])
        var result: [EventChange] = []
        while let row = try rows.next() {
            result.append(try change(row, db))
        }
        return result
    }

    private static func change(_ row: Row, _ db: Database) throws -> EventChange {
        let sequence = try row.decode(Int64?.self, atIndex: 0) ?? 0
        guard let kindName = try row.decode(String?.self, atIndex: 1), let kind = ChangeKind(rawValue: kindName),
            let eventID = try row.decode(String?.self, atIndex: 2), let afterJSON = try row.decode(String?.self, atIndex: 4)
        else {
            throw StoredDataProblem("change \(sequence) of the change log is incomplete")
        }
        let before = try row.decode(String?.self, atIndex: 3).map { try event(fromJSON: $0, sequence: sequence) }
        let after =
            afterJSON == implicitAfter
            ? try implicitEvent(db, id: eventID, after: sequence)
            : try event(fromJSON: afterJSON, sequence: sequence)
        let recordedAt = try row.decode(Double?.self, atIndex: 5) ?? 0
        return EventChange(
            sequence: sequence, kind: kind, eventID: eventID, before: before, after: after,
            recordedAt: Date(timeIntervalSince1970: recordedAt), source: try row.decode(String?.self, atIndex: 6) ?? "")
    }

    /// What an added event's change stores as its `after_json`: nothing. Its event is the
    /// `before` of the event's next change or, when there is none, the event's row: every
    /// write to a row records a change, and rows are never deleted. An import of a million
    /// new events so writes half the bytes (the JSON of each event was the largest part of
    /// the catalogue). Logs written before this keep their JSON and read as before.
    static let implicitAfter = ""

    /// The event as it was right after change `sequence` of event `id`, whose JSON the log
    /// left implicit.
    private static func implicitEvent(_ db: Database, id: String, after sequence: Int64) throws -> Event {
        let next = try String.fetchOne(
            db.cachedStatement(
                sql: "SELECT before_json FROM changes WHERE event_id = ? AND sequence > ? ORDER BY sequence LIMIT 1"),
            arguments: [id, sequence])
        if let next { return try event(fromJSON: next, sequence: sequence) }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(StoredEvent.columns) FROM events WHERE id = ?"), arguments: [id])
        else {
            throw StoredDataProblem("change \(sequence) of the change log names event '\(id)', which is not in the catalogue")
        }
        return try StoredEvent.decode(row, at: 0)
    }

    /// The event a change-log JSON object describes.
    ///
    /// The log holds the canonical JSON of events that were normalized and validated when
    /// they were put, so that exact shape is read directly (`CanonicalEventJSON`); any
    /// other shape (a log written by another version, say) goes through
    /// `EventRecordDecoding`, the rules every imported record follows.
    static func event(fromJSON json: String, sequence: Int64) throws -> Event {
        if let event = CanonicalEventJSON.event(json) { return event }
        let value: InterchangeValue
        do {
            value = try JSONValueParser.parse(json)
        } catch {
            throw StoredDataProblem("change \(sequence) of the change log is not readable JSON (\(error))")
        }
        guard case .object(let record) = value else {
            throw StoredDataProblem("change \(sequence) of the change log is not a JSON object")
        }
        do {
            return try EventRecordDecoding.event(from: record)
        } catch {
            throw StoredDataProblem("change \(sequence) of the change log holds an invalid event: \(error)")
        }
    }
}
