import Foundation
import RelaisCore
import Testing

@testable import RelaisFormats

// ExportPipeline reads events on a thread of its own while a self-contained writer writes:
// the same output, in the same order, as reading on the writer's thread; a store that fails
// part-way fails the export; a writer that fails stops the reading; nothing hangs.

@Suite("Export pipeline", .timeLimit(.minutes(1)))
struct ExportPipelineTests {
    private static func events(_ count: Int) -> [Event] {
        (0..<count).map { index in
            Event(
                id: String(format: "evt-%05d", index), title: "Atelier n° \(index) — « Données »", kind: .workshop,
                slots: [Slot(start: .instant(Date(timeIntervalSince1970: 1_604_995_200 + Double(index) * 3600)), end: nil)])
        }
    }

    /// Runs the pipeline into a JSON Lines writer (self-contained: read ahead) or the same
    /// writer behind a wrapper that is not (read on this thread).
    private func export(_ store: MemoryStore, readAhead: Bool) throws -> (text: String, count: Int) {
        let output = CollectingOutput()
        let jsonLines = JSONLinesWriter(output: output)
        let writer: any EventWriter = readAhead ? jsonLines : PlainWriter(jsonLines)
        let count = try ExportPipeline.run(from: store, matching: EventQuery(), into: writer)
        return (output.text, count)
    }

    @Test func readingAheadWritesTheSameEventsInTheSameOrder() throws {
        let store = MemoryStore(Self.events(2_000))
        let ahead = try export(store, readAhead: true)
        let here = try export(store, readAhead: false)
        #expect(ahead.count == 2_000 && here.count == 2_000)
        #expect(ahead.text == here.text)
        let me = pthread_self()
        let threads = store.listingThreads
        #expect(threads.count == 2)
        #expect(threads.count == 2 && pthread_equal(threads[0], me) == 0, "read ahead on a thread of its own")
        #expect(threads.count == 2 && pthread_equal(threads[1], me) != 0, "read on the writer's thread")
    }

    @Test func aStoreThatFailsPartWayFailsTheExportWithoutFinishing() throws {
        let store = MemoryStore(Self.events(1_000), failingAfter: 600)
        let output = CollectingOutput()
        let writer = FinishRecordingWriter(JSONLinesWriter(output: output))
        #expect(throws: MemoryStore.Failure.self) {
            try ExportPipeline.run(from: store, matching: EventQuery(), into: writer)
        }
        #expect(!writer.finished, "an export that failed is not finished (no closing lines, no rename)")
        #expect(writer.written <= 600)
    }

    @Test func aWriterThatFailsStopsTheReading() throws {
        let store = MemoryStore(Self.events(50_000))
        let writer = FinishRecordingWriter(JSONLinesWriter(output: CollectingOutput()), failingAt: 300)
        #expect(throws: FinishRecordingWriter.Full.self) {
            try ExportPipeline.run(from: store, matching: EventQuery(), into: writer)
        }
        // The reader is bounded by the queue (a few batches ahead), then stops at once.
        #expect(store.given < 5_000, "the reader went on to \(store.given) events")
        #expect(store.stoppedEarly)
    }
}

// MARK: - Helpers

/// Text written, kept in memory.
private final class CollectingOutput: TextOutput {
    private(set) var text = ""
    func write(_ text: String) throws { self.text += text }
}

/// A writer that is not self-contained, so the pipeline reads on the writer's thread.
private final class PlainWriter: EventWriter {
    private let inner: any EventWriter
    init(_ inner: any EventWriter) { self.inner = inner }
    func begin() throws { try inner.begin() }
    func write(_ event: Event) throws { try inner.write(event) }
    func finish() throws { try inner.finish() }
}

/// A self-contained writer that records whether it finished, and may fail at event `n`.
private final class FinishRecordingWriter: SelfContainedEventWriter {
    struct Full: Error {}
    private let inner: any EventWriter
    private let failingAt: Int?
    private(set) var written = 0
    private(set) var finished = false
    init(_ inner: any EventWriter, failingAt: Int? = nil) {
        self.inner = inner
        self.failingAt = failingAt
    }
    func begin() throws { try inner.begin() }
    func write(_ event: Event) throws {
        if written == failingAt { throw Full() }
        try inner.write(event)
        written += 1
    }
    func finish() throws {
        try inner.finish()
        finished = true
    }
}

/// Events in memory, listed in order; may fail after a number of events.
private final class MemoryStore: CatalogueStore, @unchecked Sendable {
    struct Failure: Error {}
    private let lock = NSLock()
    private let events: [Event]
    private let failingAfter: Int?
    let bus = EventBus()
    private var threads: [pthread_t] = []
    private var givenCount = 0
    private var stopped = false

    init(_ events: [Event], failingAfter: Int? = nil) {
        self.events = events
        self.failingAfter = failingAfter
    }

    /// The thread of each listing.
    var listingThreads: [pthread_t] { lock.withLock { threads } }
    var given: Int { lock.withLock { givenCount } }
    var stoppedEarly: Bool { lock.withLock { stopped } }

    func forEachEvent(matching query: EventQuery, _ body: (consuming Event) throws -> Bool) throws {
        lock.withLock {
            threads.append(pthread_self())
            givenCount = 0
        }
        for (index, event) in events.enumerated() {
            if index == failingAfter { throw Failure() }
            lock.withLock { givenCount += 1 }
            let goOn: Bool
            do {
                goOn = try body(event)
            } catch {
                lock.withLock { stopped = true }
                throw error
            }
            guard goOn else {
                lock.withLock { stopped = true }
                return
            }
        }
    }

    func importBatch(origin: String, dryRun: Bool, _ work: (any ImportSession) throws -> Void) throws -> ImportReport {
        throw Failure()
    }
    func count(matching query: EventQuery) throws -> Int { events.count }
    func event(id: String) throws -> Event? { events.first { $0.id == id } }
    func changes(after sequence: Int64, limit: Int) throws -> [EventChange] { [] }
}
