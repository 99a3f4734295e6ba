import Foundation
import RelaisTesting
import Testing

// A first import (into a catalogue without events) writes through SQLite's rollback journal
// rather than the WAL. The import reads a named pipe, so the test decides when it may end:
// the pipe stays open once SQLite has written into the file, and the import is then either
// killed or let finish. Bounded: every wait has a deadline.

@Suite("A first import written without WAL", .serialized)
struct FirstImportCrashTests {
    static let eventCount = 20_000

    /// Events with long descriptions, so that the import outgrows SQLite's page cache and
    /// writes into the file before it commits.
    static func bulkyEvents() -> String {
        let words = ["innovation", "numérique", "usagers", "données", "simplification", "atelier", "agents", "territoires"]
        var lines = ""
        for index in 1...eventCount {
            var description = ""
            for word in 0..<90 { description += words[(index + word * 7) % words.count] + " \(word % 13) " }
            lines += """
                {"id":"bulk-\(index)","title":"Atelier \(index)","kind":"workshop","slots":[{"start":"2020-11-\(String(format: "%02d", 1 + index % 28))T09:30"}],"description":"\(description)"}

                """
        }
        return lines
    }

    /// A named pipe that a thread fills with `text` once its reader opens it, then keeps
    /// open until ``close()``.
    final class Feed: @unchecked Sendable {
        let path: String
        private let text: String
        private let lock = NSLock()
        private var descriptor: Int32 = -1
        private var written = false
        private var failure: String?
        private let closing = DispatchSemaphore(value: 0)

        init(path: String, text: String) throws {
            self.path = path
            self.text = text
            guard mkfifo(path, 0o600) == 0 else { throw FeedError(message: "mkfifo \(path): errno \(errno)") }
            // A reader that died makes writes fail with EPIPE rather than kill the tests.
            signal(SIGPIPE, SIG_IGN)
            Thread { self.run() }.start()
        }

        private func run() {
            // Non-blocking open fails until the reader opens the pipe: bounded retries.
            var handle: Int32 = -1
            let deadline = Date().addingTimeInterval(60)
            while handle < 0 && Date() < deadline {
                handle = open(path, O_WRONLY | O_NONBLOCK)
                if handle < 0 { usleep(5_000) }
            }
            guard handle >= 0 else { return finish(failure: "nobody opened \(path)") }
            _ = fcntl(handle, F_SETFL, fcntl(handle, F_GETFL) & ~O_NONBLOCK)
            lock.withLock { descriptor = handle }
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let count = bytes.withUnsafeBytes { write(handle, $0.baseAddress, $0.count) }
                guard count > 0 else { return finish(failure: "write to \(path): errno \(errno)") }
                bytes = bytes.dropFirst(count)
            }
            lock.withLock { written = true }
            closing.wait()
            finish(failure: nil)
        }

        private func finish(failure: String?) {
            lock.withLock {
                self.failure = failure
                if descriptor >= 0 { Foundation.close(descriptor) }
                descriptor = -1
            }
        }

        /// Whether every byte went into the pipe.
        var isWritten: Bool { lock.withLock { written } }
        var problem: String? { lock.withLock { failure } }

        /// Ends the input: the reader sees the end of the file.
        func close() { closing.signal() }
    }

    struct FeedError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    func startImport(catalogue: String, file: String) throws -> Process {
        try RelaisProcess.start(["--catalogue", catalogue, "import", file])
    }

    /// Waits until the feed is written and SQLite has written pages into the catalogue
    /// file itself, with its rollback journal beside it.
    func waitForWritesIntoTheFile(_ catalogue: String, _ feed: Feed, _ process: Process) throws {
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline && process.isRunning {
            let size = (try? FileManager.default.attributesOfItem(atPath: catalogue)[.size] as? Int) ?? 0
            if feed.isWritten && size > 4_000_000 && FileManager.default.fileExists(atPath: catalogue + "-journal") {
                return
            }
            usleep(20_000)
        }
        throw FeedError(message: "the import did not write into \(catalogue) in time (running: \(process.isRunning), feed: \(feed.problem ?? "ok"))")
    }

    func lines(_ text: String) -> Int { text.split(separator: "\n").count }

    @Test func aQueryStartedDuringAFirstImportWaitsAndSeesItWhole() throws {
        let folder = try TemporaryDirectory()
        let catalogue = folder.path("c.sqlite")
        let feed = try Feed(path: folder.path("feed.jsonl"), text: Self.bulkyEvents())
        let importing = try startImport(catalogue: catalogue, file: feed.path)
        defer { if importing.isRunning { kill(importing.processIdentifier, SIGKILL) } }
        try waitForWritesIntoTheFile(catalogue, feed, importing)

        // Under WAL it would list the empty catalogue at once; here it waits for the commit.
        let query = QueryOutcome()
        let querying = Thread {
            query.set(Result { try RelaisProcess.run(["--catalogue", catalogue, "query", "--format", "jsonl"], timeout: 120) })
        }
        querying.start()
        usleep(300_000)
        feed.close()
        importing.waitUntilExit()
        #expect(importing.terminationStatus == 0)
        let result = try query.wait(seconds: 120).get()
        #expect(result.status == 0, "\(result)")
        #expect(lines(result.standardOutput) == Self.eventCount, "all of the import or nothing, never a part")
        #expect(!FileManager.default.fileExists(atPath: catalogue + "-journal"))
    }

    @Test func aFirstImportKilledAfterWritingLeavesAnEmptyCatalogueThatImportsAgain() throws {
        let folder = try TemporaryDirectory()
        let catalogue = folder.path("c.sqlite")
        let events = Self.bulkyEvents()
        let file = try folder.write("events.jsonl", events)
        let feed = try Feed(path: folder.path("feed.jsonl"), text: events)
        let importing = try startImport(catalogue: catalogue, file: feed.path)
        defer { if importing.isRunning { kill(importing.processIdentifier, SIGKILL) } }
        try waitForWritesIntoTheFile(catalogue, feed, importing)
        kill(importing.processIdentifier, SIGKILL)
        importing.waitUntilExit()
        feed.close()
        #expect(importing.terminationReason == .uncaughtSignal)
        #expect(FileManager.default.fileExists(atPath: catalogue + "-journal"), "the cut-off import left its journal")

        // The next run rolls the journal back: the catalogue is as before the import.
        let empty = try RelaisProcess.run(["--catalogue", catalogue, "query", "--format", "jsonl"])
        #expect(empty.status == 0, "\(empty)")
        #expect(empty.standardOutput.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: catalogue + "-journal"))

        let again = try RelaisProcess.run(["--catalogue", catalogue, "import", file], timeout: 120)
        #expect(again.status == 0, "\(again)")
        #expect(again.standardOutput.contains("\(Self.eventCount) added"), "\(again)")
        let listed = try RelaisProcess.run(["--catalogue", catalogue, "query", "--format", "jsonl"], timeout: 120)
        #expect(lines(listed.standardOutput) == Self.eventCount)
    }
}

/// One result handed from a thread to the test.
private final class QueryOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<ProcessResult, any Error>?

    func set(_ result: Result<ProcessResult, any Error>) {
        lock.withLock { self.result = result }
        done.signal()
    }

    struct TimedOut: Error {}

    func wait(seconds: Double) throws -> Result<ProcessResult, any Error> {
        guard done.wait(timeout: .now() + seconds) == .success else { throw TimedOut() }
        return lock.withLock { result } ?? .failure(TimedOut())
    }
}
