import Foundation
import GRDB
import RelaisCore
import Testing

@testable import RelaisStorage

/// Schema `v6`, which makes an import write less per event. The `slots` table keeps
/// covered ranges only, and only for events of several slots (a one-slot event's window
/// test reads its row): date windows must list exactly what `EventQuery.matches` selects
/// whatever the slots become. The change log has no `AUTOINCREMENT` and no index by
/// import (imports keep their first and last change): sequences must go on as before and
/// a week's changes come back the same. A file of an earlier build must be upgraded
/// without losing anything.
@Suite struct SchemaV6Tests {
    @Test func onlyEventsOfSeveralSlotsHaveRowsAndTheRowsFollowRescheduling() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        var events = try syntheticEvents(50)  // every fifth event has a second slot
        try importEvents(events, into: catalogue)
        #expect(try slotRows(path) == expectedSlotRows(events))
        #expect(try slotColumns(path) == ["event_key", "position", "covered_start", "covered_end"])
        try expectWindowsMatchReference(catalogue, events)

        // Two slots become one, one becomes three, three stay three but move.
        events[0].slots = [try slot("2020-12-24T18:00", "2020-12-24T20:00")]
        events[1].slots = [
            try slot("2020-11-02T09:00", "2020-11-02T10:00"), try slot("2020-12-10"),
            try slot("2020-12-15", "2020-12-16"),
        ]
        let report = try importEvents(events, into: catalogue)
        #expect(report.rescheduled == 2)
        #expect(try slotRows(path) == expectedSlotRows(events))
        #expect(try slotRows(path)[0] == nil)
        #expect(try slotRows(path)[2]?.count == 3)
        try expectWindowsMatchReference(catalogue, events)

        events[1].slots = [try slot("2020-11-03T09:00", "2020-11-03T10:00"), try slot("2021-01-04")]
        try importEvents(events, into: catalogue)
        #expect(try slotRows(path) == expectedSlotRows(events))
        try expectWindowsMatchReference(catalogue, events)
    }

    @Test func aNewCatalogueGathersWordsInLargerSegments() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        _ = try SQLiteCatalogue(path: path)
        #expect(try ftsPendingWordsBytes(path) == CatalogueSchema.ftsPendingWordsBytes)
    }

    @Test func aCatalogueOfAnEarlierBuildIsUpgradedWithoutLosingAnything() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let clock = SteppingClock()
        var events = try syntheticEvents(40)
        let weekBefore: [EventChange]
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            catalogue.clock = clock.now
            try importEvents(events, into: catalogue)
            events[3].title = "Forum \(3)"
            events[5].slots = [try slot("2020-12-01")]
            try importEvents(events, into: catalogue)
            try importEvents(events, into: catalogue)  // changes nothing
            weekBefore = try catalogue.changes(recordedFrom: clock.start, before: clock.now(), after: 0, limit: 1_000)
        }
        #expect(weekBefore.count == 42)
        #expect(try SQLiteCatalogue(path: path).changes(after: 0, limit: 1_000) == weekBefore)
        try makeFileOfBuildBeforeV6(path: path)
        #expect(try slotColumns(path) == ["event_key", "position", "start", "end", "covered_start", "covered_end"])
        #expect(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM slots") } == 47)
        #expect(try ftsPendingWordsBytes(path) == nil)
        #expect(try changesDefinition(path).contains("AUTOINCREMENT"))
        #expect(try indexes(path).contains("changes_import"))

        let catalogue = try SQLiteCatalogue(path: path)
        catalogue.clock = clock.now
        #expect(try slotColumns(path) == ["event_key", "position", "covered_start", "covered_end"])
        #expect(try slotRows(path) == expectedSlotRows(events))
        #expect(try ftsPendingWordsBytes(path) == CatalogueSchema.ftsPendingWordsBytes)
        try expectWindowsMatchReference(catalogue, events)

        #expect(try changesDefinition(path).contains("AUTOINCREMENT") == false)
        #expect(try indexes(path).contains("changes_import") == false)
        #expect(try indexes(path).contains("changes_event"))
        #expect(try importRanges(path) == [[1, 40], [41, 42], [nil, nil]])
        #expect(
            try catalogue.changes(recordedFrom: clock.start, before: clock.now(), after: 0, limit: 1_000) == weekBefore)
        #expect(try catalogue.changes(ofEvent: events[3].id).map(\.sequence) == [4, 41])

        // Sequences go on from the last one, and the new import keeps its range.
        events[0].title = "Atelier renommé"
        events.append(try makeEvent("nouveau"))
        try importEvents(events, into: catalogue)
        #expect(try catalogue.lastChangeSequence() == 44)
        #expect(try importRanges(path).last == [43, 44])
        let week = try catalogue.changes(recordedFrom: clock.start, before: clock.now(), after: 41, limit: 1_000)
        #expect(week.map(\.sequence) == [42, 43, 44])
        #expect(week.map(\.eventID) == [events[5].id, events[0].id, "nouveau"])
    }

    // MARK: - Helpers

    /// Each event key's covered ranges in the `slots` table, by position.
    private func slotRows(_ path: String) throws -> [Int64: [[Double]]] {
        let rows = try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(
                db, sql: "SELECT event_key, covered_start, covered_end FROM slots ORDER BY event_key, position")
        }
        var ranges: [Int64: [[Double]]] = [:]
        for row in rows {
            ranges[row["event_key"] as Int64, default: []].append([row["covered_start"], row["covered_end"]])
        }
        return ranges
    }

    /// What ``slotRows(_:)`` should hold: keys are given in import order from 1, and only
    /// events of several slots have rows.
    private func expectedSlotRows(_ events: [Event]) -> [Int64: [[Double]]] {
        var ranges: [Int64: [[Double]]] = [:]
        for (index, event) in events.enumerated() where event.slots.count > 1 {
            ranges[Int64(index + 1)] = event.slots.map {
                [$0.coveredStart.timeIntervalSince1970, $0.coveredEnd.timeIntervalSince1970]
            }
        }
        return ranges
    }

    private func changesDefinition(_ path: String) throws -> String {
        try DatabaseQueue(path: path).read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'changes'") ?? ""
        }
    }

    private func indexes(_ path: String) throws -> Set<String> {
        try DatabaseQueue(path: path).read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'"))
        }
    }

    /// Each import's first and last change, in import order.
    private func importRanges(_ path: String) throws -> [[Int64?]] {
        try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT first_change, last_change FROM imports ORDER BY id").map {
                [$0[0] as Int64?, $0[1] as Int64?]
            }
        }
    }

    private func slotColumns(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('slots') ORDER BY cid")
        }
    }

    private func ftsPendingWordsBytes(_ path: String) throws -> Int? {
        try DatabaseQueue(path: path).read { db in
            try Int.fetchOne(db, sql: "SELECT v FROM events_fts_config WHERE k = 'hashsize'")
        }
    }

    /// Windows inside, across and outside both months' slots list what the reference
    /// semantics select.
    private func expectWindowsMatchReference(
        _ catalogue: SQLiteCatalogue, _ events: [Event], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let windows: [(String?, String?)] = [
            ("2020-11-10", "2020-11-10"), ("2020-11-05", "2020-11-20"), ("2020-12-01", "2020-12-31"),
            ("2020-12-10", "2020-12-10"), ("2020-12-24", nil), (nil, "2020-11-02"), ("2020-11-29", "2020-11-30"),
            ("2021-01-04", "2021-01-04"), ("2021-02-01", nil),
        ]
        var compared = 0
        for (from, to) in windows {
            var query = EventQuery()
            query.from = from.flatMap { CivilDate(parsing: $0) }
            query.to = to.flatMap { CivilDate(parsing: $0) }
            let expected = referenceIDs(events, query)
            #expect(try listedIDs(catalogue, query) == expected, "\(from ?? "…")–\(to ?? "…")", sourceLocation: sourceLocation)
            compared += expected.count
        }
        #expect(compared > 0, "the windows select nothing: the test compares nothing", sourceLocation: sourceLocation)
    }
}

/// A clock that moves a second each time it is read, from a fixed start.
final class SteppingClock: @unchecked Sendable {
    let start = Date(timeIntervalSince1970: 1_605_000_000)
    private let ticks = Locked(0)

    @Sendable func now() -> Date {
        start.addingTimeInterval(Double(ticks.withValue { tick in
            tick += 1
            return tick
        }))
    }
}

/// Turns the file into one of a build before `v6`: a `slots` row for every slot with the
/// slot's stored texts, FTS5's default size of pending words, and the change log with
/// `AUTOINCREMENT` and its index by import. Works on the tables alone (opening the
/// catalogue would apply the migrations it undoes).
func makeFileOfBuildBeforeV6(path: String) throws {
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
        let packed = try Row.fetchAll(db, sql: "SELECT event_key, slots FROM events")
        try db.execute(
            sql: """
                DROP TABLE slots;
                CREATE TABLE slots (
                    event_key INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    start TEXT NOT NULL,
                    "end" TEXT,
                    covered_start REAL NOT NULL,
                    covered_end REAL NOT NULL,
                    PRIMARY KEY (event_key, position)
                ) WITHOUT ROWID;
                DELETE FROM events_fts_config WHERE k = 'hashsize';

                CREATE TABLE changes_v1 (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    import_id INTEGER NOT NULL,
                    recorded_at REAL NOT NULL,
                    origin TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    before_json TEXT,
                    after_json TEXT NOT NULL
                );
                INSERT INTO changes_v1 SELECT * FROM changes ORDER BY sequence;
                DROP TABLE changes;
                ALTER TABLE changes_v1 RENAME TO changes;
                CREATE INDEX changes_import ON changes(import_id);
                CREATE INDEX changes_event ON changes(event_id);
                ALTER TABLE imports DROP COLUMN first_change;
                ALTER TABLE imports DROP COLUMN last_change;

                DELETE FROM grdb_migrations WHERE identifier = 'v6';
                """)
        for row in packed {
            let text: String = row["slots"]
            guard let slots = StoredEvent.unpackSlots(text) else {
                Issue.record("unreadable stored slots \(text)")
                continue
            }
            let texts = text.split(separator: ";").map { $0.split(separator: "/").map(String.init) }
            for (position, (times, slot)) in zip(texts, slots).enumerated() {
                try db.execute(
                    sql: "INSERT INTO slots VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        row["event_key"] as Int64, position, times.first, times.count > 1 ? times[1] : nil,
                        slot.coveredStart.timeIntervalSince1970, slot.coveredEnd.timeIntervalSince1970,
                    ])
            }
        }
    }
}
