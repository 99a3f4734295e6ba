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
/// The whole file is read and checked before `body` sees any event, so nothing of a bad
/// file is passed on. Every problem is an ``ImportError`` naming the file, the VEVENT (by
/// UID and the line of its `BEGIN:VEVENT`, or by line) and the property. Events come in
/// the order of their first VEVENT.
public struct ICalendarReader: ReadAheadEventReader {
    public init() {}

    public func read(_ input: ImportInput, _ body: (Event) throws -> Void) throws {
        let bytes = try Self.contents(of: input)
        let document = try ICalendarDocument(file: input.displayName, bytes: bytes)
        let events = try ICalendarEventBuilder(file: input.displayName).events(from: document.events)
        for built in events {
            do {
                try body(built.event)
            } catch let problem as EventFieldProblem {
                throw ImportError(
                    file: input.displayName, location: built.origin.location,
                    field: ICalendarEventBuilder.property(for: problem.field, in: built.origin), message: problem.message)
            }
        }
    }

    private static func contents(of input: ImportInput) throws(ImportError) -> [UInt8] {
        do {
            let handle = try FileHandle(forReadingFrom: input.url)
            defer { try? handle.close() }
            return [UInt8](try handle.readToEnd() ?? Data())
        } catch {
            throw ImportError(file: input.displayName, location: nil, message: "cannot be read: \(error.localizedDescription)")
        }
    }
}
