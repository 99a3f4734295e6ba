import Foundation
import GRDB
import RelaisCore
@testable import RelaisStorage
import Testing

/// A first import (into a catalogue without events) writes through SQLite's rollback
/// journal instead of the WAL, when no other connection has the file open, and leaves the
/// file in WAL mode (`SQLiteCatalogue.leaveWALForFirstImport`). A rollback journal exists as
/// `<path>-journal` while the import writes; under WAL that file never appears.
@Suite struct FirstImportJournalTests {
    /// A new catalogue in a folder of its own, which lives as long as this value.
    struct FreshCatalogue {
        let folder: ScratchFolder
        let path: String
        let catalogue: SQLiteCatalogue

        init() throws {
            folder = try ScratchFolder()
            path = folder.path("catalogue.sqlite")
            catalogue = try SQLiteCatalogue(path: path)
        }
    }

    /// Whether SQLite keeps a rollback journal beside the catalogue right now.
    func hasRollbackJournal(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "-journal")
    }

    /// The journal mode recorded in the file, read on a connection of its own.
    func journalMode(_ path: String) throws -> String? {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
    }

    @Test func aFirstImportWritesWithARollbackJournalAndLeavesTheFileInWAL() throws {
        let fresh = try FreshCatalogue()
        let (path, catalogue) = (fresh.path, fresh.catalogue)
        let events = try syntheticEvents(40)
        var journaled = false
        _ = try catalogue.importBatch(origin: "first.jsonl", dryRun: false) { session in
            for event in events { try session.put(event) }
            journaled = hasRollbackJournal(path)
        }
        #expect(journaled, "the first import wrote through a rollback journal")
        #expect(!hasRollbackJournal(path))
        #expect(try journalMode(path) == "wal")
        #expect(try listedIDs(catalogue) == referenceIDs(events, EventQuery()))

        // The next import adds to a catalogue that has events, which others may be reading.
        let more = try syntheticEvents(5, idPrefix: "more")
        var journaledAgain = true
        var listedDuringImport: [String] = []
        _ = try catalogue.importBatch(origin: "second.jsonl", dryRun: false) { session in
            for event in more { try session.put(event) }
            journaledAgain = hasRollbackJournal(path)
            listedDuringImport = try listedIDs(catalogue)
        }
        #expect(!journaledAgain, "an import into a catalogue with events keeps the WAL")
        #expect(listedDuringImport == referenceIDs(events, EventQuery()), "a listing sees the last commit")
        #expect(try listedIDs(catalogue) == referenceIDs(events + more, EventQuery()))
    }

    @Test func aListingInsideAFirstImportIsRefusedAndTheCatalogueReadsAfterIt() throws {
        let fresh = try FreshCatalogue()
        let (path, catalogue) = (fresh.path, fresh.catalogue)
        // The catalogue's reader has been used: the first import closes it and opens it again.
        #expect(try listedIDs(catalogue).isEmpty)
        let events = try syntheticEvents(10)
        var refusal: String?
        _ = try catalogue.importBatch(origin: "first.jsonl", dryRun: false) { session in
            for event in events { try session.put(event) }
            do {
                _ = try listedIDs(catalogue)
            } catch let error as CatalogueError {
                refusal = error.message
            }
        }
        let message = try #require(refusal, "a read during a first import is refused, not left waiting")
        #expect(message.contains(path) && message.contains("first import"))
        #expect(try listedIDs(catalogue) == referenceIDs(events, EventQuery()))
        #expect(try journalMode(path) == "wal")
    }

    @Test func anotherOpenConnectionKeepsTheWAL() throws {
        let fresh = try FreshCatalogue()
        let (path, catalogue) = (fresh.path, fresh.catalogue)
        // As another process would: its connections stay open on the file.
        let other = try SQLiteCatalogue(path: path)
        #expect(try listedIDs(other).isEmpty)
        let events = try syntheticEvents(10)
        var journaled = true
        var listedByOther: [String]?
        _ = try catalogue.importBatch(origin: "first.jsonl", dryRun: false) { session in
            for event in events { try session.put(event) }
            journaled = hasRollbackJournal(path)
            listedByOther = try listedIDs(other)
        }
        #expect(!journaled)
        #expect(listedByOther == [], "the other connection reads the empty catalogue during the import")
        #expect(try listedIDs(other) == referenceIDs(events, EventQuery()))
        #expect(try journalMode(path) == "wal")
    }

    @Test func aFailedFirstImportLeavesAnEmptyCatalogueInWAL() throws {
        struct Interrupted: Error {}
        let fresh = try FreshCatalogue()
        let (path, catalogue) = (fresh.path, fresh.catalogue)
        let events = try syntheticEvents(30)
        #expect(throws: Interrupted.self) {
            try catalogue.importBatch(origin: "first.jsonl", dryRun: false) { session in
                for event in events { try session.put(event) }
                throw Interrupted()
            }
        }
        #expect(!hasRollbackJournal(path))
        #expect(try journalMode(path) == "wal")
        #expect(try listedIDs(catalogue).isEmpty)
        // Still a first import, and it succeeds.
        try importEvents(events, into: catalogue)
        #expect(try listedIDs(catalogue) == referenceIDs(events, EventQuery()))
    }

    @Test func aDryRunOfAFirstImportKeepsTheWAL() throws {
        let fresh = try FreshCatalogue()
        let (path, catalogue) = (fresh.path, fresh.catalogue)
        let events = try syntheticEvents(10)
        var journaled = true
        var listedDuringDryRun: [String]?
        let report = try catalogue.importBatch(origin: "first.jsonl", dryRun: true) { session in
            for event in events { try session.put(event) }
            journaled = hasRollbackJournal(path)
            listedDuringDryRun = try listedIDs(catalogue)
        }
        #expect(report.dryRun && report.added == 10)
        #expect(!journaled)
        #expect(listedDuringDryRun == [])
        #expect(try listedIDs(catalogue).isEmpty)
    }
}
