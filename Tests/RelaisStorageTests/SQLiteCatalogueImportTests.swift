import Foundation
import RelaisCore
import RelaisStorage
import Testing

/// Imports: change detection, the change log, all-or-nothing, duplicates, dry runs and
/// publication on the bus.
@Suite struct SQLiteCatalogueImportTests {
    @Test func detectsChangesAcrossReimports() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let first = [
            try makeEvent("e1", title: "Inchangé"),
            try makeEvent("e2", title: "Ancien titre"),
            try makeEvent("e3", title: "Déplacé"),
            try makeEvent("e4", title: "Annulé"),
            try makeEvent("e5", title: "Absent ensuite"),
        ]
        let report1 = try importEvents(first, into: catalogue, origin: "first.jsonl")
        #expect(report1.added == 5 && report1.total == 5 && !report1.dryRun)

        var second = first
        second.removeLast()
        second[1].title = "Nouveau titre"
        second[2].slots = [try slot("2020-11-12T14:00", "2020-11-12T16:00")]
        second[3].status = .cancelled
        second[3].slots = [try slot("2020-11-13")]
        second.append(try makeEvent("e6", title: "Nouveau"))
        var kinds: [ChangeKind] = []
        let report2 = try catalogue.importBatch(origin: "second.jsonl", dryRun: false) { session in
            for event in second { kinds.append(try session.put(event)) }
        }
        #expect(kinds == [.unchanged, .updated, .rescheduled, .cancelled, .added])
        let counts: [Int] = [report2.added, report2.updated, report2.rescheduled, report2.cancelled, report2.unchanged]
        #expect(counts == [1, 1, 1, 1, 1])

        let log = try catalogue.changes(after: 0, limit: 100)
        #expect(log.count == 9)
        #expect(log.map(\.sequence) == Array(1...9))
        #expect(log.prefix(5).allSatisfy { $0.kind == .added && $0.before == nil && $0.source == "first.jsonl" })
        #expect(log.prefix(5).map(\.after) == first)
        let latest = Array(log.suffix(4))
        #expect(latest.map(\.kind) == [.updated, .rescheduled, .cancelled, .added])
        #expect(latest.map(\.eventID) == ["e2", "e3", "e4", "e6"])
        #expect(latest.map(\.before) == [first[1], first[2], first[3], nil])
        #expect(latest.map(\.after) == [second[1], second[2], second[3], second[4]])
        #expect(latest.allSatisfy { $0.source == "second.jsonl" })
        #expect(abs(latest[0].recordedAt.timeIntervalSinceNow) < 600)

        #expect(try catalogue.event(id: "e2")?.title == "Nouveau titre")
        #expect(try catalogue.event(id: "e4")?.status == .cancelled)
        #expect(try catalogue.event(id: "e5") == first[4], "an event missing from a later file is kept")

        // Paging through the log.
        #expect(try catalogue.changes(after: 5, limit: 2).map(\.sequence) == [6, 7])
        #expect(try catalogue.changes(after: 9, limit: 10).isEmpty)
        #expect(try catalogue.changes(after: 0, limit: 0).isEmpty)

        // The same file again changes nothing and logs nothing.
        let report3 = try importEvents(second, into: catalogue)
        #expect(report3.unchanged == 5 && report3.total == 5)
        #expect(try catalogue.changes(after: 0, limit: 100).count == 9)
    }

    @Test func cancellationWinsOverRescheduling() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        var event = try makeEvent("e1")
        try importEvents([event], into: catalogue)
        event.status = .cancelled
        event.slots = [try slot("2020-11-30")]
        event.title = "Autre"
        #expect(try importEvents([event], into: catalogue).cancelled == 1)
        // Still cancelled, but moved: rescheduled.
        event.slots = [try slot("2020-12-01")]
        #expect(try importEvents([event], into: catalogue).rescheduled == 1)
        // Back to scheduled with the same slots: updated.
        event.status = .scheduled
        #expect(try importEvents([event], into: catalogue).updated == 1)
    }

    @Test func rescheduledEventsMoveInListingsAndWindows() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        var early = try makeEvent("early", title: "Numérique", slots: [slot("2020-11-02")])
        let late = try makeEvent("late", slots: [slot("2020-11-20")])
        try importEvents([early, late], into: catalogue)
        early.slots = [try slot("2020-11-25"), try slot("2020-11-26")]
        early.title = "Données"
        try importEvents([early], into: catalogue)
        #expect(try listedIDs(catalogue) == ["late", "early"])
        var query = EventQuery()
        query.from = CivilDate(parsing: "2020-11-01")
        query.to = CivilDate(parsing: "2020-11-10")
        #expect(try listedIDs(catalogue, query).isEmpty)
        query = EventQuery()
        query.text = "numerique"
        #expect(try listedIDs(catalogue, query).isEmpty, "the full-text index follows the new title")
        query.text = "donnees"
        #expect(try listedIDs(catalogue, query) == ["early"])
    }

    @Test func aFailedImportLeavesTheFileByteForByteUnchanged() throws {
        struct Broken: Error {}
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let events = try syntheticEvents(50)
        let catalogue = try SQLiteCatalogue(path: path)
        try importEvents(events, into: catalogue)
        // After a checkpoint the file alone holds everything committed.
        try catalogue.checkpoint()
        #expect(try folder.contents("catalogue.sqlite-wal").isEmpty)
        let before = try folder.contents("catalogue.sqlite")

        var changed = events[1]
        changed.title = "Changé"
        var puts = 0
        #expect(throws: Broken.self) {
            _ = try catalogue.importBatch(origin: "broken.jsonl", dryRun: false) { session in
                try session.put(try makeEvent("new-one"))
                try session.put(changed)
                try session.put(events[2])
                puts = 3
                throw Broken()
            }
        }
        #expect(puts == 3)
        #expect(try catalogue.changes(after: 0, limit: 1_000).count == 50)
        #expect(try catalogue.event(id: "new-one") == nil)
        #expect(try catalogue.event(id: events[1].id) == events[1])
        try catalogue.checkpoint()
        #expect(try folder.contents("catalogue.sqlite") == before)
    }

    @Test func aRejectedImportInAnotherRunLeavesTheFileUnchanged() throws {
        // As the command line does it: each run opens the catalogue, imports, closes it.
        struct Broken: Error {}
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            try importEvents(try syntheticEvents(20), into: catalogue)
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let before = try folder.contents("catalogue.sqlite")
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            #expect(try catalogue.count(matching: EventQuery()) == 20)
            #expect(throws: Broken.self) {
                _ = try catalogue.importBatch(origin: "broken.jsonl", dryRun: false) { session in
                    try session.put(try makeEvent("new-one"))
                    throw Broken()
                }
            }
            _ = try importEvents([try makeEvent("dry")], into: catalogue, dryRun: true)
        }
        #expect(try folder.contents("catalogue.sqlite") == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func duplicateIDsInOneBatchAreRejected() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        // Into an empty catalogue (found by the insert itself)…
        var problem: EventFieldProblem?
        do {
            _ = try catalogue.importBatch(origin: "dup.jsonl", dryRun: false) { session in
                try session.put(try makeEvent("a"))
                try session.put(try makeEvent("b"))
                try session.put(try makeEvent("a", title: "Encore"))
            }
        } catch let error as EventFieldProblem {
            problem = error
        }
        #expect(problem == EventFieldProblem(field: "id", message: "duplicate id 'a' (already in this file)"))
        #expect(try catalogue.count(matching: EventQuery()) == 0)
        #expect(try catalogue.changes(after: 0, limit: 10).isEmpty)
        // …and into one that has events (found by looking the id up).
        try importEvents([try makeEvent("old")], into: catalogue)
        for duplicated in ["new", "old"] {
            var problem: EventFieldProblem?
            do {
                _ = try catalogue.importBatch(origin: "dup.jsonl", dryRun: false) { session in
                    try session.put(try makeEvent("other"))
                    try session.put(try makeEvent(duplicated, title: "Un"))
                    try session.put(try makeEvent(duplicated, title: "Deux"))
                }
            } catch let error as EventFieldProblem {
                problem = error
            }
            #expect(problem?.field == "id")
            #expect(problem?.message == "duplicate id '\(duplicated)' (already in this file)")
        }
        #expect(try listedIDs(catalogue) == ["old"])
        #expect(try catalogue.changes(after: 0, limit: 10).count == 1)
        // The same ids in separate batches are ordinary updates.
        #expect(try importEvents([try makeEvent("old", title: "Deux")], into: catalogue).updated == 1)
        #expect(try importEvents([try makeEvent("old", title: "Trois")], into: catalogue).updated == 1)
    }

    @Test func invalidEventsAreRefusedAndStoredEventsAreNormalized() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        var broken = try makeEvent("broken")
        broken.slots = []
        #expect(throws: EventFieldProblem(field: "slots", message: "at least one slot is required")) {
            try importEvents([broken], into: catalogue)
        }
        // Whatever rule the core has, the store applies it.
        let controlled = try makeEvent("controlled", tags: ["ok", "bell\u{7}"])
        if let problem = controlled.validationProblem() {
            #expect(throws: problem) { try importEvents([controlled], into: catalogue) }
        }
        #expect(try catalogue.count(matching: EventQuery()) == 0)
        let padded = try makeEvent("padded", title: "  Atelier  ", organizer: "   ", tags: ["", " data "])
        try importEvents([padded], into: catalogue)
        #expect(try catalogue.event(id: "padded") == padded.normalized())
        #expect(try importEvents([padded], into: catalogue).unchanged == 1)
    }

    @Test func aDryRunWritesNothing() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents([try makeEvent("e1")], into: catalogue)
        try catalogue.checkpoint()
        let before = try folder.contents("catalogue.sqlite")

        let published = Locked(0)
        catalogue.bus.subscribe { changes in published.withValue { $0 += changes.count } }
        let report = try importEvents(
            [try makeEvent("e1", title: "Changé"), try makeEvent("e2")], into: catalogue, dryRun: true)
        #expect(report.dryRun)
        #expect(report.added == 1 && report.updated == 1)
        #expect(try catalogue.event(id: "e1")?.title == "Atelier")
        #expect(try catalogue.event(id: "e2") == nil)
        #expect(try catalogue.changes(after: 0, limit: 10).count == 1)
        #expect(published.current == 0)
        // Duplicates are found in a dry run too.
        #expect(throws: EventFieldProblem.self) {
            try importEvents([try makeEvent("e3"), try makeEvent("e3")], into: catalogue, dryRun: true)
        }
        try catalogue.checkpoint()
        #expect(try folder.contents("catalogue.sqlite") == before)
    }

    @Test func theBusReceivesCommittedChangesInOrder() throws {
        struct Broken: Error {}
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        let received = Locked<[[EventChange]]>([])
        let visibleAtPublication = Locked<[Bool]>([])
        catalogue.bus.subscribe { changes in
            received.withValue { $0.append(changes) }
            // Another connection already sees the change: publication follows the commit.
            let reader = try? SQLiteCatalogue(path: path)
            let seen = changes.allSatisfy { change in (try? reader?.event(id: change.eventID)) == change.after }
            visibleAtPublication.withValue { $0.append(seen) }
        }
        try importEvents([try makeEvent("a"), try makeEvent("b"), try makeEvent("c")], into: catalogue)
        try importEvents([try makeEvent("b", title: "Modifié"), try makeEvent("c")], into: catalogue)
        #expect(throws: Broken.self) {
            try catalogue.importBatch(origin: "broken", dryRun: false) { session in
                try session.put(try makeEvent("d"))
                throw Broken()
            }
        }
        let pages = received.current
        #expect(pages.count == 2)
        #expect(pages.flatMap { $0 }.map(\.eventID) == ["a", "b", "c", "b"])
        #expect(pages.flatMap { $0 }.map(\.kind) == [.added, .added, .added, .updated])
        #expect(pages.flatMap { $0 }.map(\.sequence) == [1, 2, 3, 4])
        #expect(visibleAtPublication.current == [true, true])

        // A large batch arrives in pages, still in log order.
        received.withValue { $0 = [] }
        let synthetic = try syntheticEvents(1_234)
        try importEvents(synthetic, into: catalogue)
        let large = received.current
        #expect(large.count == 3)
        #expect(large.allSatisfy { $0.count <= 500 })
        let sequences = large.flatMap { $0 }.map(\.sequence)
        #expect(sequences == Array(5...Int64(4 + 1_234)))
        #expect(large.flatMap { $0 }.map(\.eventID) == synthetic.map(\.id))
        #expect(try catalogue.changes(after: 4, limit: 2_000).map(\.eventID) == synthetic.map(\.id))
    }

    @Test func twoConnectionsImportingAtOnceBothSucceed() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        // Both threads open the file as it is being created, then import at the same time:
        // each waits for the other's transaction instead of failing.
        let outcomes = Locked<[String: String]>([:])
        let group = DispatchGroup()
        for prefix in ["left", "right"] {
            DispatchQueue.global().async(group: group) {
                do {
                    let catalogue = try SQLiteCatalogue(path: path)
                    let events = try syntheticEvents(3_000, idPrefix: prefix)
                    for start in stride(from: 0, to: events.count, by: 1_000) {
                        let report = try importEvents(Array(events[start..<(start + 1_000)]), into: catalogue)
                        guard report.added == 1_000 else { throw CatalogueError("unexpected \(report)") }
                    }
                    outcomes.withValue { $0[prefix] = "ok" }
                } catch {
                    outcomes.withValue { $0[prefix] = "\(error)" }
                }
            }
        }
        group.wait()
        #expect(outcomes.current == ["left": "ok", "right": "ok"])
        let catalogue = try SQLiteCatalogue(path: path)
        #expect(try catalogue.count(matching: EventQuery()) == 6_000)
        #expect(try catalogue.changes(after: 0, limit: 10_000).map(\.sequence) == Array(1...6_000))
    }

    @Test func changesOfSomeKindsInASequenceRange() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents((0..<6).map { try makeEvent("e\($0)") }, into: catalogue)  // 1...6 added
        try importEvents(
            [
                try makeEvent("e1", status: .cancelled),  // 7
                try makeEvent("e2", slots: [try slot("2020-11-12T14:00", "2020-11-12T16:00")]),  // 8
                try makeEvent("e3", title: "Autre titre"),  // 9
                try makeEvent("e4", status: .cancelled),  // 10
            ], into: catalogue)
        let wanted: Set<ChangeKind> = [.cancelled, .rescheduled]
        func sequences(after: Int64, through: Int64, limit: Int = 100) throws -> [Int64] {
            try catalogue.changes(after: after, through: through, kinds: wanted, limit: limit).map(\.sequence)
        }
        #expect(try sequences(after: 0, through: 10) == [7, 8, 10])
        #expect(try sequences(after: 7, through: 9) == [8])
        #expect(try sequences(after: 0, through: 10, limit: 2) == [7, 8])
        #expect(try sequences(after: 10, through: 10).isEmpty)
        #expect(try catalogue.changes(after: 0, through: 10, kinds: [], limit: 100).isEmpty)
        let cancelled = try catalogue.changes(after: 0, through: 10, kinds: [.cancelled], limit: 100)
        #expect(cancelled.map(\.eventID) == ["e1", "e4"])
        #expect(cancelled.allSatisfy { $0.before?.status == .scheduled && $0.after.status == .cancelled })
    }

    @Test func manyConnectionsCreatingOneCatalogueAtOnceAllOpenIt() throws {
        // SQLite fails some of the losers of this race at once instead of making them wait
        // (switching a new file to WAL, a migration another connection just applied): the
        // opening starts again until the schema is complete.
        for _ in 0..<10 {
            let folder = try ScratchFolder()
            let path = folder.path("catalogue.sqlite")
            let outcomes = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                do {
                    let catalogue = try SQLiteCatalogue(path: path)
                    _ = try catalogue.count(matching: EventQuery())
                    outcomes.withValue { $0.append("ok") }
                } catch {
                    outcomes.withValue { $0.append("\(error)") }
                }
            }
            #expect(outcomes.current == Array(repeating: "ok", count: 6))
        }
    }

    @Test func callsFromInsideClosures() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents([try makeEvent("a"), try makeEvent("b")], into: catalogue)

        // Reading and importing from inside a listing.
        var titles: [String] = []
        try catalogue.forEachEvent(matching: EventQuery()) { event in
            titles.append(try catalogue.event(id: event.id)?.title ?? "?")
            #expect(try catalogue.count(matching: EventQuery()) == 2)
            try catalogue.forEachEvent(matching: EventQuery()) { _ in false }
            #expect(throws: CatalogueError.self) { try catalogue.checkpoint() }
            try importEvents([try makeEvent("seen-\(event.id)")], into: catalogue)
            return true
        }
        #expect(titles == ["Atelier", "Atelier"])
        #expect(try catalogue.count(matching: EventQuery()) == 4)

        // Reading from inside an import sees the last commit; imports do not nest.
        var kept: (any ImportSession)?
        _ = try catalogue.importBatch(origin: "outer", dryRun: false) { session in
            kept = session
            try session.put(try makeEvent("c"))
            #expect(try catalogue.event(id: "c") == nil)
            #expect(try catalogue.count(matching: EventQuery()) == 4)
            #expect(throws: CatalogueError.self) { try importEvents([try makeEvent("d")], into: catalogue) }
        }
        #expect(try catalogue.event(id: "c") != nil)
        // A session kept after its import refuses to write.
        #expect(throws: CatalogueError.self) { try kept?.put(try makeEvent("late")) }
    }
}
