import Foundation
import RelaisCore
import RelaisFormats
import Testing

/// The import pipeline spares a store's preparer the checks only for readers whose events
/// come straight from `EventRecordDecoding` (`givesCheckedEvents`): every other reader's
/// events are prepared with the checks, however they were made.
@Suite struct ImportPipelineCheckingTests {
    @Test func jsonReadersSayTheirEventsAreCheckedAndOthersDoNot() {
        #expect(JSONLinesReader().givesCheckedEvents)
        #expect(JSONArrayReader().givesCheckedEvents)
        // CSV rows and VEVENTs of one id are merged after decoding: the merged event is
        // checked by the store.
        #expect(!CSVReader().givesCheckedEvents)
        #expect(!ICalendarReader().givesCheckedEvents)
        #expect(!UncheckedReader(events: []).givesCheckedEvents)
    }

    @Test func eventsOfAJSONLinesFileArePreparedAsChecked() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.file(
            "events.jsonl",
            """
            {"id": "a", "title": "Atelier", "kind": "workshop", "slots": [{"start": "2020-11-10T09:30"}]}
            {"id": "b", "title": "Webinaire", "kind": "webinar", "slots": [{"start": "2020-11-12"}]}

            """)
        let target = RecordingTarget()
        let report = try ImportPipeline.run(
            ImportInput(url: URL(fileURLWithPath: path)), reader: JSONLinesReader(), into: target, dryRun: false)
        #expect(report.added == 2)
        #expect(target.preparer.calls == ["checked a", "checked b"])
    }

    @Test func eventsOfAnotherReaderArePreparedWithTheChecks() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.file("anything", "")
        let slot = Slot(start: try #require(EventTime(parsing: "2020-11-10")), end: nil)
        let events = [
            Event(id: "a", title: "  Atelier  ", kind: .workshop, slots: [slot]),
            Event(id: "b", title: "", kind: .workshop, slots: [slot]),
        ]
        let target = RecordingTarget()
        #expect(throws: (any Error).self) {
            try ImportPipeline.run(
                ImportInput(url: URL(fileURLWithPath: path)), reader: UncheckedReader(events: events), into: target,
                dryRun: false)
        }
        #expect(target.preparer.calls == ["unchecked a", "unchecked b"])

        let normalising = RecordingTarget()
        _ = try ImportPipeline.run(
            ImportInput(url: URL(fileURLWithPath: path)), reader: UncheckedReader(events: [events[0]]),
            into: normalising, dryRun: false)
        #expect(normalising.preparer.calls == ["unchecked a"])
        #expect(normalising.stored == ["Atelier"])
    }
}

/// A built-in-like reader that gives events it made itself.
private struct UncheckedReader: ReadAheadEventReader {
    let events: [Event]
    func read(_ input: ImportInput, _ body: (Event) throws -> Void) throws {
        for event in events { try body(event) }
    }
}

/// A store that records how its preparer was asked, and checks as a real one does.
private final class RecordingTarget: ImportTarget, ImportSession, @unchecked Sendable {
    let preparer = RecordingPreparer()
    private let lock = NSLock()
    private var storedTitles: [String] = []
    var stored: [String] { lock.withLock { storedTitles } }

    func importBatch(origin: String, dryRun: Bool, _ work: (any ImportSession) throws -> Void) throws -> ImportReport {
        try work(self)
        var report = ImportReport()
        report.added = stored.count
        return report
    }

    func put(_ event: Event) throws -> ChangeKind {
        lock.withLock { storedTitles.append(event.title) }
        return .added
    }

    func makePreparer() -> (any ImportPreparer)? { preparer }

    func put(prepared: any PreparedEvent) throws -> ChangeKind { try put(prepared.event) }
}

private final class RecordingPreparer: ImportPreparer, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    var calls: [String] { lock.withLock { recorded } }

    func prepare(_ event: Event) throws -> any PreparedEvent {
        lock.withLock { recorded.append("unchecked \(event.id)") }
        let normal = event.normalized()
        if let problem = normal.validationProblem() { throw problem }
        return Prepared(event: normal)
    }

    func prepare(checked event: Event) throws -> any PreparedEvent {
        lock.withLock { recorded.append("checked \(event.id)") }
        return Prepared(event: event)
    }
}

private struct Prepared: PreparedEvent {
    var event: Event
}
