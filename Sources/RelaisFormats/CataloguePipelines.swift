import Foundation
import RelaisCore

/// Reads a file into a catalogue in one transaction: the store's all-or-nothing batch
/// wraps the reader, so a bad record anywhere rolls back every record before it.
public enum ImportPipeline {
    /// Imports every event of `input`. `progress` receives the running count of events.
    /// Throws the reader's ``ImportError`` (nothing stored) or the store's errors.
    ///
    /// A ``ReadAheadEventReader``, on a file that can be read twice, reads on a thread of
    /// its own while the store writes: parsing and checking a record costs about as much
    /// as storing it, and the two overlap on a second core. Events cross in small batches
    /// through a bounded queue, so memory stays flat.
    public static func run(
        _ input: ImportInput, reader: any EventReader, into store: any ImportTarget, dryRun: Bool,
        progress: ((Int) -> Void)? = nil
    ) throws -> ImportReport {
        guard let concurrentReader = reader as? any ReadAheadEventReader, input.canBeReadTwice else {
            return try store.importBatch(origin: input.displayName, dryRun: dryRun) { session in
                var count = 0
                try reader.read(input) { event in
                    try session.put(event)
                    count += 1
                    progress?(count)
                }
            }
        }
        do {
            return try store.importBatch(origin: input.displayName, dryRun: dryRun) { session in
                try putReadAhead(input, reader: concurrentReader, into: session, progress: progress)
            }
        } catch let refused as RefusedRecord {
            // The store refused a record (a duplicate id): read again up to it, so that the
            // reader names where it is exactly as a reader on this thread would have.
            var count = 0
            try reader.read(input) { _ in
                count += 1
                if count == refused.ordinal { throw refused.problem }
            }
            throw refused.problem
        }
    }

    /// A record the session refused, by its position among the records read (from 1).
    private struct RefusedRecord: Error {
        var ordinal: Int
        var problem: EventFieldProblem
    }

    private static func putReadAhead(
        _ input: ImportInput, reader: any ReadAheadEventReader, into session: any ImportSession,
        progress: ((Int) -> Void)?
    ) throws {
        let queue = ReadAheadQueue<any PreparedEvent>(batchSize: 256, capacity: 8)
        let preparer = session.makePreparer()
        let checked = reader.givesCheckedEvents
        let stopReading = queue.startReading(threadName: "relais-import-reader") {
            try reader.read(input) { event in
                let ready: any PreparedEvent =
                    try (checked ? preparer?.prepare(checked: event) : preparer?.prepare(event))
                    ?? UnpreparedEvent(event: event)
                guard queue.push(ready) else { throw ReadAheadQueue<any PreparedEvent>.WriterStopped() }
            }
        }
        defer { stopReading() }
        var count = 0
        var spent: [any PreparedEvent] = []
        while let batch = try queue.nextBatch(returning: &spent) {
            for event in batch {
                count += 1
                do {
                    try session.put(prepared: event)
                } catch let problem as EventFieldProblem {
                    throw RefusedRecord(ordinal: count, problem: problem)
                }
                progress?(count)
            }
            spent = batch
        }
    }
}

/// An event read for a session that prepares nothing ahead (its `put(prepared:)` puts
/// the event itself).
private struct UnpreparedEvent: PreparedEvent {
    var event: Event
}

extension ImportInput {
    /// Whether the input is a regular file, which a second read finds unchanged (standard
    /// input and pipes are read once).
    var canBeReadTwice: Bool {
        var status = stat()
        return stat(url.path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }
}

/// Streams matching events from a catalogue into a writer, event by event.
public enum ExportPipeline {
    /// Writes every event that passes `query` and `filters` (filters the store cannot
    /// evaluate itself, such as Lua filters, applied after the built-in ones) to `writer`,
    /// calling `begin` and `finish` around them, and returns how many were written.
    /// `progress` receives the number of events written so far.
    ///
    /// With a ``SelfContainedEventWriter`` and no filters, events are read on a thread of
    /// their own while the writer writes: reading a row back and building its event costs
    /// about as much as writing it, and the two overlap on a second core. They cross in
    /// small batches through a bounded queue, so memory stays flat. (A Lua filter or
    /// exporter keeps everything on this thread: a plugin's Lua state, and the store it
    /// may read, serve one thread at a time.)
    @discardableResult
    public static func run(
        from store: any CatalogueStore, matching query: EventQuery, filters: [any EventPrefilter] = [],
        into writer: any EventWriter, progress: ((Int) -> Void)? = nil
    ) throws -> Int {
        try writer.begin()
        var written = 0
        let write: (Event) throws -> Bool = { event in
            try writer.write(event)
            written += 1
            progress?(written)
            return true
        }
        if filters.isEmpty, writer is any SelfContainedEventWriter {
            try readAhead(from: store, matching: query, write)
        } else if filters.isEmpty {
            try store.forEachEvent(matching: query, write)
        } else {
            let prefilter = filters.count == 1 ? filters[0] : AllOfPrefilters(filters)
            try store.forEachEvent(matching: query, passing: prefilter, write)
        }
        try writer.finish()
        return written
    }

    /// The store, handed to the reading thread. Only that thread uses it until the
    /// reading ends (the writer touches nothing but its output).
    private final class StoreForReader: @unchecked Sendable {
        let store: any CatalogueStore
        init(_ store: any CatalogueStore) { self.store = store }
    }

    private static func readAhead(
        from store: any CatalogueStore, matching query: EventQuery, _ write: (Event) throws -> Bool
    ) throws {
        let queue = ReadAheadQueue<Event>(batchSize: 256, capacity: 8)
        let reading = StoreForReader(store)
        let stopReading = queue.startReading(threadName: "relais-export-reader") {
            try reading.store.forEachEvent(matching: query) { (event: consuming Event) in
                guard queue.push(event) else { throw ReadAheadQueue<Event>.WriterStopped() }
                return true
            }
        }
        defer { stopReading() }
        // The batches are released here, not handed back: building an event costs the
        // reading thread more than writing it costs this one.
        var none: [Event] = []
        while let batch = try queue.nextBatch(returning: &none) {
            for event in batch {
                guard try write(event) else { return }
            }
        }
    }
}

/// An ``EventWriter`` that touches nothing but its own output — not the store, not a
/// plugin — so that events may be read on another thread while it writes.
public protocol SelfContainedEventWriter: EventWriter {}
