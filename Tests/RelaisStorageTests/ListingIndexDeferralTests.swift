import Foundation
import GRDB
import RelaisCore
@testable import RelaisStorage
import Testing

/// An import that adds at least as many events as the catalogue held drops the listing
/// index and builds it again before it commits (`SQLiteImportSession`). The threshold is
/// lowered so that small batches cross it; the schema version (which SQLite bumps on
/// every `DROP` and `CREATE`) tells whether a batch did.
@Suite struct ListingIndexDeferralTests {
    static let listingIndex = """
        CREATE INDEX events_listing
            ON events(first_start, id, last_end, slot_count, region, kind, status, lab, online)
        """

    @Test func aLargeBatchBuildsTheSameIndexAgain() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        catalogue.smallestBatchDeferringTheListingIndex = 10
        let events = try syntheticEvents(45)
        let versionBefore = try schemaVersion(path)
        try importEvents(events, into: catalogue)
        #expect(try schemaVersion(path) > versionBefore, "the batch dropped and built the index")
        #expect(try listingIndexDefinition(path) == Self.listingIndex)
        try expectListingsMatchReference(catalogue, path: path, events: events)
    }

    @Test func aBatchSmallerThanTheCatalogueKeepsItsIndex() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        catalogue.smallestBatchDeferringTheListingIndex = 10
        let first = try syntheticEvents(30, idPrefix: "a")
        try importEvents(first, into: catalogue)

        let second = try syntheticEvents(20, idPrefix: "b")
        var version = try schemaVersion(path)
        try importEvents(second, into: catalogue)
        #expect(try schemaVersion(path) == version, "20 additions to 30 events leave the index in place")

        let third = try syntheticEvents(60, idPrefix: "c")
        version = try schemaVersion(path)
        try importEvents(third, into: catalogue)
        #expect(try schemaVersion(path) > version, "60 additions to 50 events rebuild it")
        #expect(try listingIndexDefinition(path) == Self.listingIndex)
        try expectListingsMatchReference(catalogue, path: path, events: first + second + third)
    }

    @Test func aFailedOrDryRunBatchLeavesTheIndexAndTheFileAsTheyWere() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        let events = try syntheticEvents(12, idPrefix: "a")
        try importEvents(events, into: catalogue)
        catalogue.smallestBatchDeferringTheListingIndex = 10
        try catalogue.checkpoint()
        let before = try folder.contents("catalogue.sqlite")
        let version = try schemaVersion(path)

        // The batch crosses the threshold, then meets a duplicate id.
        var incoming = try syntheticEvents(30, idPrefix: "b")
        incoming.append(incoming[3])
        #expect(throws: EventFieldProblem.self) { try importEvents(incoming, into: catalogue) }
        let report = try importEvents(Array(incoming.dropLast()), into: catalogue, dryRun: true)
        #expect(report.added == 30)

        try catalogue.checkpoint()
        #expect(try folder.contents("catalogue.sqlite") == before)
        #expect(try schemaVersion(path) == version)
        #expect(try listingIndexDefinition(path) == Self.listingIndex)
        try expectListingsMatchReference(catalogue, path: path, events: events)
    }

    private func schemaVersion(_ path: String) throws -> Int {
        try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "PRAGMA schema_version") ?? -1 }
    }

    private func listingIndexDefinition(_ path: String) throws -> String? {
        try DatabaseQueue(path: path).read {
            try String.fetchOne($0, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'events_listing'")
        }
    }

    /// Listings in date order, with the filters the index serves, equal the reference
    /// semantics; SQLite finds the file and the index consistent.
    private func expectListingsMatchReference(
        _ catalogue: SQLiteCatalogue, path: String, events: [Event], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var queries = [EventQuery()]
        var byKind = EventQuery()
        byKind.kinds = [.webinar, .workshop]
        queries.append(byKind)
        var window = EventQuery()
        window.from = CivilDate(parsing: "2020-11-10")
        window.to = CivilDate(parsing: "2020-11-20")
        queries.append(window)
        var limited = EventQuery()
        limited.limit = 7
        queries.append(limited)
        for query in queries {
            #expect(try listedIDs(catalogue, query) == referenceIDs(events, query), sourceLocation: sourceLocation)
        }
        let check = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
        #expect(check == ["ok"], sourceLocation: sourceLocation)
    }
}
