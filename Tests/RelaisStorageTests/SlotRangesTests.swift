import Foundation
import GRDB
import RelaisCore
import Testing

@testable import RelaisStorage

/// The `slots` table of schema `v6`: covered ranges only, and only for events of several
/// slots (a one-slot event's window test reads its row). Date windows must list exactly
/// what `EventQuery.matches` selects whatever the slots become, and a file of an earlier
/// build must be upgraded without losing a window's answer.
@Suite struct SlotRangesTests {
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

    @Test func aCatalogueOfAnEarlierBuildKeepsOnlyTheRangesWindowsRead() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let events = try syntheticEvents(40)
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            try importEvents(events, into: catalogue)
        }
        try makeSlotsKeepTheirTexts(path: path)
        #expect(try slotColumns(path) == ["event_key", "position", "start", "end", "covered_start", "covered_end"])
        #expect(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM slots") } == 48)
        #expect(try ftsPendingWordsBytes(path) == nil)

        let catalogue = try SQLiteCatalogue(path: path)
        #expect(try slotColumns(path) == ["event_key", "position", "covered_start", "covered_end"])
        #expect(try slotRows(path) == expectedSlotRows(events))
        #expect(try ftsPendingWordsBytes(path) == CatalogueSchema.ftsPendingWordsBytes)
        try expectWindowsMatchReference(catalogue, events)
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

/// Turns the file into one of a build before `v6`: a `slots` row for every slot with the
/// slot's stored texts, and FTS5's default size of pending words. Works on the tables
/// alone (opening the catalogue would apply the migrations it undoes).
func makeSlotsKeepTheirTexts(path: String) throws {
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
                DELETE FROM grdb_migrations WHERE identifier = 'v6';
                """)
        for row in packed {
            let text: String = row["slots"]
            guard let slots = StoredEvent.unpackSlots(text) else {
                Issue.record("unreadable stored slots \(text)")
                continue
            }
            let texts = text.split(separator: ";").map { $0.split(separator: "/").map(String.init) }
            for (position, (times, range)) in zip(texts, CoveredRanges(slots).slots).enumerated() {
                try db.execute(
                    sql: "INSERT INTO slots VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        row["event_key"] as Int64, position, times.first, times.count > 1 ? times[1] : nil,
                        range.start, range.end,
                    ])
            }
        }
    }
}
