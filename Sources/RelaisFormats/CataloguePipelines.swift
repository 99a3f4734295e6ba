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

/// Streams matching events from a catalogue into a writer, event by event.
public enum ExportPipeline {
    /// Writes every event that passes `query` and `filters` (filters the store cannot
    /// evaluate itself, such as Lua filters, applied after the built-in ones) to `writer`,
    /// calling `begin` and `finish` around them, and returns how many were written.
    /// `progress` receives the number of events written so far.
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
        if filters.isEmpty {
            try store.forEachEvent(matching: query, write)
        } else {
            let prefilter = filters.count == 1 ? filters[0] : AllOfPrefilters(filters)
            try store.forEachEvent(matching: query, passing: prefilter, write)
        }
        try writer.finish()
        return written
    }
}
