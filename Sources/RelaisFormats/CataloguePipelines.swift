import Foundation
import RelaisCore

/// Reads a file into a catalogue in one transaction: the store's all-or-nothing batch
/// wraps the reader, so a bad record anywhere rolls back every record before it.
public enum ImportPipeline {
    /// Imports every event of `input`. `progress` receives the running count of events.
    /// Throws the reader's ``ImportError`` (nothing stored) or the store's errors.
    public static func run(
        _ input: ImportInput, reader: any EventReader, into store: any CatalogueStore, dryRun: Bool,
        progress: ((Int) -> Void)? = nil
    ) throws -> ImportReport {
        try store.importBatch(origin: input.displayName, dryRun: dryRun) { session in
            var count = 0
            try reader.read(input) { event in
                try session.put(event)
                count += 1
                progress?(count)
            }
        }
    }
}

/// A filter the store cannot evaluate itself (a Lua filter, say), applied after the
/// store has narrowed by the built-in filters.
public typealias EventPredicate = (Event) throws -> Bool

/// Streams matching events from a catalogue into a writer, event by event.
public enum ExportPipeline {
    /// Writes every event that passes `query` and `predicates` to `writer`, calling
    /// `begin` and `finish` around them, and returns how many were written.
    /// `progress` receives the number of events read from the store so far.
    @discardableResult
    public static func run(
        from store: any CatalogueStore, matching query: EventQuery, predicates: [EventPredicate] = [],
        into writer: any EventWriter, progress: ((Int) -> Void)? = nil
    ) throws -> Int {
        try writer.begin()
        var read = 0
        var written = 0
        // With predicates the store cannot apply the limit: it would count events the
        // predicates then drop. Apply it here instead.
        var storeQuery = query
        if !predicates.isEmpty { storeQuery.limit = nil }
        try store.forEachEvent(matching: storeQuery) { event in
            read += 1
            progress?(read)
            for predicate in predicates where try !predicate(event) { return true }
            try writer.write(event)
            written += 1
            return query.limit.map { written < $0 } ?? true
        }
        try writer.finish()
        return written
    }
}
