import Foundation
import GRDB
import RelaisCore
import RelaisStorage
import Testing

// `firstPossibleChange(after:kinds:)`: how far a reader of some kinds of change may pass
// over the change log unread, from each import's counts. Passing over too far would hide a
// change from a plugin's handlers, so every case also checks the answer against the log.

@Suite("Passing over changes of other kinds")
struct FirstPossibleChangeTests {
    /// A catalogue with three imports: five additions (1–5), then a cancellation and an
    /// update (6–7), then three additions (8–10).
    private static func catalogueOfThreeImports(in folder: ScratchFolder) throws -> SQLiteCatalogue {
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let first = try (1...5).map { try makeEvent("e\($0)") }
        _ = try catalogue.importBatch(origin: "first.json", dryRun: false) { session in
            for event in first { _ = try session.put(event) }
        }
        var cancelled = first[0]
        cancelled.status = .cancelled
        var updated = first[1]
        updated.title = "Atelier, nouvelle édition"
        _ = try catalogue.importBatch(origin: "second.json", dryRun: false) { session in
            _ = try session.put(cancelled)
            _ = try session.put(updated)
        }
        _ = try catalogue.importBatch(origin: "third.json", dryRun: false) { session in
            for number in 6...8 { _ = try session.put(try makeEvent("e\(number)")) }
        }
        return catalogue
    }

    /// Whether no change of `kinds` lies strictly between `after` and `possible`.
    private func nothingHidden(
        _ catalogue: SQLiteCatalogue, after: Int64, possible: Int64, kinds: Set<ChangeKind>
    ) throws -> Bool {
        try catalogue.changes(after: after, limit: 1000).allSatisfy { change in
            change.sequence >= possible || !kinds.contains(change.kind)
        }
    }

    @Test func importsWithoutTheWantedKindsArePassedOver() throws {
        let folder = try ScratchFolder()
        let catalogue = try Self.catalogueOfThreeImports(in: folder)
        let kinds = try catalogue.changes(after: 0, limit: 100).map(\.kind)
        try #require(kinds == [.added, .added, .added, .added, .added, .cancelled, .updated, .added, .added, .added])

        let cases: [(after: Int64, kinds: Set<ChangeKind>, expected: Int64)] = [
            (0, [.cancelled], 6),  // the first import holds additions only
            (3, [.cancelled], 6),  // from inside it, too
            (5, [.cancelled], 6),
            (6, [.cancelled], 7),  // the second holds a cancellation: read it through
            (7, [.cancelled], 11),  // the third holds additions only: past the log's end
            (0, [.rescheduled], 11),  // no rescheduling anywhere
            (0, [.cancelled, .rescheduled], 6),
            (0, [.added], 1),
            (5, [.added], 8),  // the second import counts no addition
            (0, [.updated], 6),
            (10, [.cancelled], 11),
            (42, [.cancelled], 43),  // beyond the log: nothing known, nothing skipped
            (0, [], 1),
        ]
        for item in cases {
            let possible = try catalogue.firstPossibleChange(after: item.after, kinds: item.kinds)
            #expect(possible == item.expected, "after \(item.after), kinds \(item.kinds.map(\.rawValue).sorted())")
            #expect(try nothingHidden(catalogue, after: item.after, possible: possible, kinds: item.kinds))
        }
    }

    @Test func aDryRunOrAFailedImportLeavesNothingToPassOver() throws {
        let folder = try ScratchFolder()
        let catalogue = try Self.catalogueOfThreeImports(in: folder)
        var cancelled = try makeEvent("e8")
        cancelled.status = .cancelled
        _ = try catalogue.importBatch(origin: "dry.json", dryRun: true) { session in _ = try session.put(cancelled) }
        #expect(throws: (any Error).self) {
            _ = try catalogue.importBatch(origin: "bad.json", dryRun: false) { session in
                _ = try session.put(cancelled)
                _ = try session.put(makeEvent("e9"))
                _ = try session.put(makeEvent("e9"))  // a duplicate id: the batch rolls back
            }
        }
        #expect(try catalogue.lastChangeSequence() == 10)
        #expect(try catalogue.firstPossibleChange(after: 7, kinds: [.cancelled]) == 11)
        // The cancellation imported for real is found.
        _ = try catalogue.importBatch(origin: "fourth.json", dryRun: false) { session in _ = try session.put(cancelled) }
        #expect(try catalogue.firstPossibleChange(after: 7, kinds: [.cancelled]) == 11)
        #expect(try catalogue.changes(after: 10, limit: 10).map(\.kind) == [.cancelled])
    }

    /// The catalogue of three imports, its `imports` table then mended by hand with `sql`.
    private static func catalogueOfThreeImports(in folder: ScratchFolder, mendedWith sql: String) throws
        -> SQLiteCatalogue
    {
        let path = folder.path("catalogue.sqlite")
        do { _ = try catalogueOfThreeImports(in: folder) }
        try DatabaseQueue(path: path).write { db in try db.execute(sql: sql) }
        return try SQLiteCatalogue(path: path)
    }

    @Test func changesNoImportAccountsForAreNeverPassedOver() throws {
        // The second import's row is lost (a file mended by hand, say): its changes are a
        // gap in the imports' ranges, which may hold anything.
        let folder = try ScratchFolder()
        let catalogue = try Self.catalogueOfThreeImports(
            in: folder, mendedWith: "DELETE FROM imports WHERE origin = 'second.json'")
        #expect(try catalogue.firstPossibleChange(after: 0, kinds: [.cancelled]) == 6)
        #expect(try catalogue.firstPossibleChange(after: 6, kinds: [.cancelled]) == 7)
        #expect(try catalogue.firstPossibleChange(after: 7, kinds: [.cancelled]) == 11)
        #expect(try nothingHidden(catalogue, after: 0, possible: 6, kinds: [.cancelled]))
    }

    @Test func anImportHoldingWantedKindsStopsTheWalkEvenOverlapped() throws {
        // The first import's range made to cover the second's (never written so, but the
        // walk must not pass over a cancellation however the ranges lie).
        let folder = try ScratchFolder()
        let catalogue = try Self.catalogueOfThreeImports(
            in: folder, mendedWith: "UPDATE imports SET last_change = 7 WHERE origin = 'first.json'")
        #expect(try catalogue.firstPossibleChange(after: 0, kinds: [.cancelled]) == 6)
        #expect(try catalogue.firstPossibleChange(after: 6, kinds: [.cancelled]) == 7)
        #expect(try nothingHidden(catalogue, after: 0, possible: 6, kinds: [.cancelled]))
    }
}
