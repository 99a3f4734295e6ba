import Foundation
import RelaisCore

/// Reads iCalendar (RFC 5545) files per contract §1.
///
/// Each VEVENT is an event: `UID`→id, `SUMMARY`→title, `DTSTART`/`DTEND` or `DURATION`→a
/// slot (DATE, UTC, floating read in Europe/Paris, or any IANA `TZID`), `STATUS:CANCELLED`,
/// `LOCATION`→place, `URL`, `DESCRIPTION`, `CATEGORIES`→tags, `ORGANIZER;CN=…:mailto:…`→
/// organizer and contact, and the `X-RELAIS-*` properties ``ICalendarWriter`` writes.
/// `RRULE` (DAILY or WEEKLY, with COUNT or UNTIL), `RDATE` and `EXDATE` are expanded into
/// slots, at most 1000 per VEVENT. VEVENTs sharing `X-RELAIS-ID` are the slots of one
/// event; `RECURRENCE-ID` instances change or cancel one occurrence of their UID.
///
/// ```swift
/// try ICalendarReader().read(ImportInput(url: url)) { event in events.append(event) }
/// ```
///
/// The file is read in chunks and each event is passed on once it is complete: when the
/// VEVENTs of ``groupingWindow`` more have come after its first, or at the end (see
/// ``ICalendarEventBuilder/Grouper``), so memory does not grow with the file. A problem
/// later in the file stops the import after `body` has seen earlier events: the store's
/// batch rolls them back with the rest. Every problem is an ``ImportError`` naming the
/// file, the VEVENT (by UID and the line of its `BEGIN:VEVENT`, or by line) and the
/// property. Events come in the order of their first VEVENT.
public struct ICalendarReader: ReadAheadEventReader {
    public init() {}

    /// How many VEVENTs after an event's first may still belong to it.
    public static let groupingWindow = 10_000

    public func read(_ input: ImportInput, _ body: (Event) throws -> Void) throws {
        let grouper = ICalendarEventBuilder.Grouper(
            builder: ICalendarEventBuilder(file: input.displayName), window: Self.groupingWindow)
        func pass(_ built: ICalendarEventBuilder.Built) throws {
            do {
                try body(built.event)
            } catch let problem as EventFieldProblem {
                throw ImportError(
                    file: input.displayName, location: built.origin.location,
                    field: ICalendarEventBuilder.property(for: problem.field, in: built.origin), message: problem.message)
            }
        }
        // The unfolder drops a byte-order mark itself: only one, as before.
        let file = try ChunkedFileReader(input, keepsByteOrderMark: true)
        var document = ICalendarDocument(file: input.displayName)
        var unfolder = ICalendarUnfolder()
        func take(_ line: ICalendarLogicalLine) throws {
            try document.consume(line) { vevent in try grouper.add(vevent, pass) }
        }
        do {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(ChunkedFileReader.chunkSize)
            while try file.readChunk(into: &chunk) {
                try unfolder.feed(chunk[...], take)
                chunk.removeAll(keepingCapacity: true)
            }
            try unfolder.finish(take)
        } catch let problem as ICalendarUnfolder.TooLong {
            throw ImportError(file: input.displayName, location: .line(problem.line), message: problem.message)
        }
        try document.finish()
        try grouper.finish(pass)
    }
}
