import Foundation
import RelaisCore

/// A VEVENT as written in the file: its own properties (not those of a VALARM inside it),
/// values still raw.
struct ICalendarVEvent {
    /// The line of its `BEGIN:VEVENT`.
    var beginLine: Int
    /// Properties by upper-cased name, each list in file order.
    var properties: [String: [ICalendarContentLine]] = [:]

    init(beginLine: Int) {
        self.beginLine = beginLine
    }

    /// The UID as written (unescaped), if any; error locations use it.
    var uid: String? {
        guard let raw = properties["UID"]?.first?.value else { return nil }
        let uid = ICalendarText.trimmed(ICalendarText.unescape(raw))
        return uid.isEmpty ? nil : uid
    }

    /// Where errors about this VEVENT point: its UID and BEGIN line, or the line alone.
    var location: RecordLocation {
        if let uid { return .uid(uid, line: beginLine) }
        return .line(beginLine)
    }

    /// Every occurrence of a property.
    func all(_ name: String) -> [ICalendarContentLine] { properties[name] ?? [] }

    /// The property, which may appear at most once.
    func single(_ name: String) throws(ICalendarProblem) -> ICalendarContentLine? {
        guard let found = properties[name] else { return nil }
        if found.count > 1 {
            throw ICalendarProblem(
                field: name, message: "appears \(found.count) times (lines \(found.map { String($0.line) }.joined(separator: ", "))); at most once is allowed")
        }
        return found.first
    }

    /// A TEXT property that may appear at most once, unescaped.
    func text(_ name: String) throws(ICalendarProblem) -> String? {
        try single(name).map { ICalendarText.unescape($0.value) }
    }

    /// A multi-valued TEXT property (`CATEGORIES`), over all its lines.
    func textList(_ name: String) -> [String] {
        all(name).flatMap { ICalendarText.unescapeList($0.value) }
    }
}

/// Checks the BEGIN/END structure of a file and collects its VEVENTs.
///
/// A file holds one or more VCALENDARs; VEVENTs sit directly in a VCALENDAR. Other
/// components (VTIMEZONE, VALARM, VTODO, …) are checked for nesting and otherwise skipped.
/// Lines come one at a time (``consume(_:_:)``, then ``finish()``), from a file read in
/// chunks, and each VEVENT goes on as soon as it ends; a VEVENT keeps only the properties
/// the reader reads (``readProperties``), so what a file carries besides them (`X-`
/// properties, alarms, time zones) costs no memory.
struct ICalendarDocument {
    let file: String
    /// The VEVENTs of a file parsed whole (``init(file:bytes:)``).
    private(set) var events: [ICalendarVEvent] = []

    /// The properties ``ICalendarEventBuilder`` reads; a VEVENT's others are checked for
    /// syntax and dropped.
    static let readProperties: Set<String> = [
        "UID", "SUMMARY", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "STATUS",
        "LOCATION", "URL", "DESCRIPTION", "CATEGORIES", "ORGANIZER", "X-RELAIS-ID", "X-RELAIS-KIND",
        "X-RELAIS-STATUS", "X-RELAIS-REGION", "X-RELAIS-ONLINE", "X-RELAIS-LAB", "X-RELAIS-ORGANIZER",
        "X-RELAIS-CONTACT", "X-RELAIS-URL", "X-RELAIS-AUDIENCE", "X-RELAIS-SAME-DAY-END",
    ]

    private struct Open {
        var name: String
        var line: Int
    }

    private var stack: [Open] = []
    private var current: ICalendarVEvent?
    private var sawCalendar = false

    init(file: String) {
        self.file = file
    }

    /// Parses a whole file held in memory; throws an ``ImportError`` naming the line at
    /// the first problem.
    init(file: String, bytes: [UInt8]) throws(ImportError) {
        self.init(file: file)
        var unfolder = ICalendarUnfolder()
        var document = self
        var events: [ICalendarVEvent] = []
        do {
            try unfolder.feed(bytes[...]) { line in try document.consume(line) { events.append($0) } }
            try unfolder.finish { line in try document.consume(line) { events.append($0) } }
        } catch let problem as ICalendarUnfolder.TooLong {
            throw ImportError(file: file, location: .line(problem.line), message: problem.message)
        } catch let error as ImportError {
            throw error
        } catch {
            throw ImportError(file: file, location: nil, message: "\(error)")
        }
        try document.finish()
        document.events = events
        self = document
    }

    private func failure(_ location: RecordLocation?, _ message: String, field: String? = nil) -> ImportError {
        ImportError(file: file, location: location, field: field, message: message)
    }

    /// Where to point for an unclosed component: the VEVENT by UID, or the line.
    private func openLocation(_ open: Open) -> RecordLocation {
        if open.name == "VEVENT", let current, current.beginLine == open.line { return current.location }
        return .line(open.line)
    }

    /// Takes the next unfolded line; `finished` gets each VEVENT as its END is read (and
    /// may throw whatever it likes, which comes out of here as it is).
    mutating func consume(_ logical: ICalendarLogicalLine, _ finished: (ICalendarVEvent) throws -> Void) throws {
        guard ICalendarText.isValidUTF8(logical.bytes) else {
            throw failure(.line(logical.number), "is not valid UTF-8 (save the file as UTF-8)")
        }
        let line: ICalendarContentLine
        switch ICalendarLines.parse(logical) {
        case .success(let parsed): line = parsed
        case .failure(let problem): throw failure(.line(logical.number), problem.message)
        }
        switch line.name {
        case "BEGIN":
            let name = ICalendarText.keyword(line.value)
            guard !name.isEmpty else { throw failure(.line(line.line), "BEGIN without a component name") }
            if let top = stack.last {
                if name == "VCALENDAR" || (name == "VEVENT" && top.name == "VEVENT") {
                    throw failure(
                        openLocation(top),
                        "BEGIN:\(name) at line \(line.line) inside the \(top.name) that starts at line \(top.line): END:\(top.name) is missing"
                    )
                }
                if name == "VEVENT" && stack.count != 1 {
                    throw failure(
                        .line(line.line), "BEGIN:VEVENT inside \(top.name) (line \(top.line)): a VEVENT must be directly in a VCALENDAR")
                }
            } else {
                guard name == "VCALENDAR" else {
                    throw failure(.line(line.line), "expected BEGIN:VCALENDAR, found BEGIN:\(name.prefix(30))")
                }
                sawCalendar = true
            }
            if name == "VEVENT" { current = ICalendarVEvent(beginLine: line.line) }
            stack.append(Open(name: name, line: line.line))
        case "END":
            let name = ICalendarText.keyword(line.value)
            guard let top = stack.last else {
                throw failure(.line(line.line), "END:\(name.prefix(30)) without a matching BEGIN")
            }
            guard top.name == name else {
                throw failure(
                    top.name == "VEVENT" ? openLocation(top) : .line(line.line),
                    "END:\(name.prefix(30)) at line \(line.line) while the \(top.name) that starts at line \(top.line) is open: END:\(top.name) is missing"
                )
            }
            stack.removeLast()
            if name == "VEVENT", let vevent = current {
                current = nil
                try finished(vevent)
            }
        default:
            guard let top = stack.last else {
                throw failure(.line(line.line), "'\(line.name.prefix(30))' outside BEGIN:VCALENDAR … END:VCALENDAR")
            }
            if top.name == "VEVENT", stack.count == 2, Self.readProperties.contains(line.name) {
                current?.properties[line.name, default: []].append(line)
            }
        }
    }

    /// Checks that the file ended with every component closed.
    func finish() throws(ImportError) {
        if let top = stack.last {
            throw failure(openLocation(top), "BEGIN:\(top.name) at line \(top.line) has no END:\(top.name)")
        }
        if !sawCalendar {
            throw failure(nil, "is not an iCalendar file: no BEGIN:VCALENDAR")
        }
    }
}
