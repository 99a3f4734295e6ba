import Foundation
import RelaisCore

/// Writes iCalendar (RFC 5545) per contract §1, one VEVENT per slot, streaming.
///
/// `begin` writes the VCALENDAR header and a VTIMEZONE for Europe/Paris; `write` writes
/// the VEVENTs of one event; `finish` closes the VCALENDAR. Lines end in CRLF and are
/// folded at 75 octets without splitting a UTF-8 character.
///
/// A one-slot event's UID is its id; the slots of a several-slot event get the UIDs
/// `<id>#1`, `<id>#2`, … and carry `X-RELAIS-ID:<id>`. All-day slots are `VALUE=DATE`
/// with the exclusive DTEND of iCalendar (the inclusive end plus one day); instants are
/// Paris wall-clock times with `TZID=Europe/Paris`, or UTC for the rare instant that
/// wall-clock text cannot name (the second 02:30 of an autumn night).
///
/// What standard properties cannot hold goes into `X-RELAIS-*` properties, so that
/// ``ICalendarReader`` gives back equal events: `X-RELAIS-KIND`, `-REGION`, `-ONLINE`,
/// `-LAB`, `-AUDIENCE`, `-STATUS` (postponed), `-CONTACT` and `-ORGANIZER` (when the
/// contact is not an e-mail address), `-URL` (when the URL holds control characters) and
/// `-SAME-DAY-END` (an all-day slot whose end is given and equals its start).
///
/// TEXT cannot hold control characters other than tab and line breaks: they are left
/// out, and a CR or CRLF is written as a line break.
public final class ICalendarWriter: SelfContainedEventWriter {
    private let output: any TextOutput
    private let options: ExportOptions
    /// DTSTAMP's value, the same in every VEVENT.
    private let stamp: [UInt8]
    private var state = State.initial
    /// The VEVENTs of the event being written.
    private var lines = ICalendarOutputLines(capacity: 16 * 1024)
    /// The properties its VEVENTs share.
    private var common = ICalendarOutputLines(capacity: 8 * 1024)

    private enum State { case initial, open, finished }

    public init(output: any TextOutput, options: ExportOptions) {
        self.output = output
        self.options = options
        self.stamp = Self.utcStamp(options.now)
    }

    public func begin() throws {
        guard state == .initial else { throw ICalendarWriterMisuse(message: "begin() called twice") }
        var lines = ICalendarOutputLines(capacity: 2048)
        let header: [StaticString] = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Relais//Relais//FR", "CALSCALE:GREGORIAN",
        ]
        for line in header + Self.parisTimeZone {
            lines.line(line)
        }
        try output.write(utf8: lines.bytes)
        state = .open
    }

    /// Writes one VEVENT per slot. Throws an ``EventFieldProblem`` for an event without
    /// slots or with an invalid slot, which no valid catalogue holds.
    public func write(_ event: Event) throws {
        if state == .initial { try begin() }
        guard state == .open else { throw ICalendarWriterMisuse(message: "write(_:) called after finish()") }
        if event.slots.isEmpty {
            throw EventFieldProblem(field: "slots", message: "event '\(event.id.prefix(80))' has no slot to export")
        }
        for (index, slot) in event.slots.enumerated() {
            if let problem = slot.problem {
                throw EventFieldProblem(field: "slots[\(index)]", message: "event '\(event.id.prefix(80))': \(problem)")
            }
        }
        // Content lines are built as UTF-8 bytes and folded as they are copied, into
        // buffers kept from one event to the next: a million events pass through here,
        // and `String` appends and fresh arrays cost more than the escaping.
        // Worked on as locals: inout access to a class's stored property is checked for
        // exclusivity at run time, on every call.
        var lines = ICalendarOutputLines()
        var common = ICalendarOutputLines()
        swap(&lines, &self.lines)
        swap(&common, &self.common)
        defer {
            swap(&lines, &self.lines)
            swap(&common, &self.common)
        }
        lines.removeAll()
        common.removeAll()
        commonProperties(event, into: &common)
        let several = event.slots.count > 1
        for (index, slot) in event.slots.enumerated() {
            lines.line("BEGIN:VEVENT")
            if several {
                lines.property("UID:") { line in
                    ICalendarText.appendEscaped(event.id, to: &line)
                    line.append(UInt8(ascii: "#"))
                    CivilDate.appendDigits(index + 1, width: 1, to: &line)
                }
            } else {
                lines.property("UID:", escaping: event.id)
            }
            lines.property("DTSTAMP:") { $0.append(contentsOf: stamp) }
            appendSlot(slot, to: &lines)
            if several { lines.property("X-RELAIS-ID:", escaping: event.id) }
            lines.append(common)
            lines.line("END:VEVENT")
        }
        try output.write(utf8: lines.bytes)
    }

    public func finish() throws {
        if state == .initial { try begin() }
        guard state == .open else { throw ICalendarWriterMisuse(message: "finish() called twice") }
        try output.write("END:VCALENDAR\r\n")
        state = .finished
    }

    // MARK: Properties

    private func appendSlot(_ slot: Slot, to lines: inout ICalendarOutputLines) {
        switch slot.start {
        case .allDay(let day):
            lines.property("DTSTART;VALUE=DATE:") { Self.appendBasic(day, to: &$0) }
            var last = day
            if case .allDay(let end)? = slot.end { last = end }
            lines.property("DTEND;VALUE=DATE:") { Self.appendBasic(last.adding(days: 1), to: &$0) }
            if slot.end == slot.start { lines.line("X-RELAIS-SAME-DAY-END:TRUE") }
        case .instant(let start):
            lines.property("DTSTART") { self.appendDateTime(start, to: &$0) }
            if case .instant(let end)? = slot.end { lines.property("DTEND") { self.appendDateTime(end, to: &$0) } }
        }
    }

    /// The properties every VEVENT of the event repeats, folded.
    private func commonProperties(_ event: Event, into lines: inout ICalendarOutputLines) {
        lines.property("SUMMARY:", escaping: event.title)
        if let description = event.description { lines.property("DESCRIPTION:", escaping: description) }
        if let place = event.place { lines.property("LOCATION:", escaping: place) }
        if let url = event.url {
            // Control characters are ASCII, so their bytes are never part of another character.
            if !ICalendarText.containsControlCharacter(url) {
                lines.property("URL:", url)
            } else {
                lines.property("X-RELAIS-URL:", escaping: url)
            }
        }
        if let contact = event.contact, Self.isPlainEmailAddress(contact) {
            lines.property("ORGANIZER") { line in
                if let organizer = event.organizer {
                    line.append(contentsOf: ";CN=".utf8)
                    ICalendarText.appendQuotedParameter(organizer, to: &line)
                }
                line.append(contentsOf: ":mailto:".utf8)
                line.appendUTF8(of: contact)
            }
        } else {
            if let organizer = event.organizer { lines.property("X-RELAIS-ORGANIZER:", escaping: organizer) }
            if let contact = event.contact { lines.property("X-RELAIS-CONTACT:", escaping: contact) }
        }
        if !event.tags.isEmpty { lines.property("CATEGORIES:", escapingList: event.tags) }
        switch event.status {
        case .scheduled: lines.line("STATUS:CONFIRMED")
        case .cancelled: lines.line("STATUS:CANCELLED")
        case .postponed:
            lines.line("STATUS:TENTATIVE")
            lines.line("X-RELAIS-STATUS:postponed")
        }
        lines.property("X-RELAIS-KIND:", event.kind.rawValue)
        if let region = event.region { lines.property("X-RELAIS-REGION:", region.code) }
        lines.line(event.online ? "X-RELAIS-ONLINE:TRUE" : "X-RELAIS-ONLINE:FALSE")
        if let lab = event.lab { lines.property("X-RELAIS-LAB:", escaping: lab) }
        if !event.audience.isEmpty { lines.property("X-RELAIS-AUDIENCE:", escapingList: event.audience) }
    }

    /// An address that fits `mailto:` unchanged: ASCII letters, digits and `._+-`, one `@`.
    static func isPlainEmailAddress(_ text: String) -> Bool {
        var text = text
        return text.withUTF8(isPlainEmailAddress)
    }

    private static func isPlainEmailAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var atSeen = false
        var partLength = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "@"):
                guard !atSeen, partLength > 0 else { return false }
                atSeen = true
                partLength = 0
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "."), UInt8(ascii: "-"):
                partLength += 1
            case UInt8(ascii: "_"), UInt8(ascii: "+"):
                guard !atSeen else { return false }  // allowed before the `@` only
                partLength += 1
            default:
                return false
            }
        }
        return atSeen && partLength > 0
    }

    // MARK: Times

    /// Appends `;TZID=Europe/Paris:20201110T093000`, or `:20201025T013000Z` when the
    /// Paris wall clock would not read back as this instant (the repeated autumn hour, or
    /// a date the VTIMEZONE below does not describe, before 1996).
    private func appendDateTime(_ instant: Date, to bytes: inout [UInt8]) {
        let seconds = Self.wholeSeconds(instant)
        let offset = ParisTime.offset(at: Date(timeIntervalSince1970: Double(seconds)))
        let local = ICalendarTime.utcLocal(epochSeconds: seconds + offset)
        // Away from a clock change (the common case) the wall clock surely reads back;
        // near one, ask the rule the reader uses.
        let steady = ParisTime.offset(at: Date(timeIntervalSince1970: Double(seconds - 7200))) == offset
        if local.date.year >= 1970, local.date.year <= 9999, offset == summerTime.offset(seconds),
            steady || ICalendarTime.epochSeconds(local, .floating) == seconds
        {
            bytes.append(contentsOf: ";TZID=Europe/Paris:".utf8)
            Self.appendBasic(local, to: &bytes)
        } else {
            bytes.append(UInt8(ascii: ":"))
            Self.appendBasic(ICalendarTime.utcLocal(epochSeconds: seconds), to: &bytes)
            bytes.append(UInt8(ascii: "Z"))
        }
    }

    /// The Paris offset by the rule the VTIMEZONE states: summer time from the last Sunday
    /// of March to the last Sunday of October, 01:00 UTC.
    static func europeanUnionOffset(_ seconds: Int) -> Int {
        var rule = SummerTimeRule()
        return rule.offset(seconds)
    }

    /// The European Union's summer time of the last year asked for: a million slots,
    /// mostly of a few years, are written.
    private var summerTime = SummerTimeRule()

    /// The rule of ``europeanUnionOffset(_:)``, remembering the bounds of one year.
    struct SummerTimeRule {
        private var start = 0
        private var end = 0

        /// The UTC seconds of that year.
        private var seconds = 0..<0

        mutating func offset(_ seconds: Int) -> Int {
            if !self.seconds.contains(seconds) {
                let year = ICalendarTime.utcLocal(epochSeconds: seconds).date.year
                func lastSunday(_ month: Int) -> Int {
                    let last = CivilDate(year: year, month: month, day: 31)
                    return (last.daysSinceEpoch - last.isoWeekday % 7) * 86400 + 3600
                }
                start = lastSunday(3)
                end = lastSunday(10)
                self.seconds =
                    CivilDate(year: year, month: 1, day: 1).daysSinceEpoch * 86400
                    ..< CivilDate(year: year + 1, month: 1, day: 1).daysSinceEpoch * 86400
            }
            return seconds >= start && seconds < end ? 7200 : 3600
        }
    }

    private static func utcStamp(_ date: Date) -> [UInt8] {
        var bytes: [UInt8] = []
        appendBasic(ICalendarTime.utcLocal(epochSeconds: wholeSeconds(date)), to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return bytes
    }

    /// Seconds since 1970, rounded down; dates beyond ±100,000 years are held there, so
    /// no conversion can overflow.
    static func wholeSeconds(_ date: Date) -> Int {
        let limit = 3.2e15
        let value = date.timeIntervalSince1970
        guard value.isFinite else { return value > 0 ? Int(limit) : -Int(limit) }
        return Int(min(max(value, -limit), limit).rounded(.down))
    }

    /// Appends `20201117`.
    static func appendBasic(_ day: CivilDate, to bytes: inout [UInt8]) {
        CivilDate.appendDigits(day.year, width: 4, to: &bytes)
        CivilDate.appendDigits(day.month, width: 2, to: &bytes)
        CivilDate.appendDigits(day.day, width: 2, to: &bytes)
    }

    /// Appends `20201110T093000`.
    static func appendBasic(_ local: LocalDateTime, to bytes: inout [UInt8]) {
        appendBasic(local.date, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        CivilDate.appendDigits(local.hour, width: 2, to: &bytes)
        CivilDate.appendDigits(local.minute, width: 2, to: &bytes)
        CivilDate.appendDigits(local.second, width: 2, to: &bytes)
    }

    /// Europe/Paris as the European Union has defined it since 1996.
    static let parisTimeZone: [StaticString] = [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Paris",
        "X-LIC-LOCATION:Europe/Paris",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
}

/// The writer's methods were called out of order (`write` after `finish`).
struct ICalendarWriterMisuse: Error, CustomStringConvertible {
    var message: String
    var description: String { "iCalendar writer: \(message)" }
}

/// Content lines as UTF-8 bytes, each folded at 75 octets with its CRLF as it is added.
///
/// A line is written straight into ``bytes``; only a line longer than 75 octets (a
/// description, say) is copied out and back, folded. Property names are static strings,
/// copied as they are.
struct ICalendarOutputLines {
    private(set) var bytes: [UInt8] = []
    /// Where the line being written starts in `bytes`.
    private var lineStart = 0
    /// An overlong line, while it is folded back into `bytes`.
    private var unfolded: [UInt8] = []

    /// Lines with no storage yet.
    init() {}

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        unfolded.reserveCapacity(1024)
    }

    /// Forgets every line, keeping the storage for the next event.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// A whole content line, as it is.
    mutating func line(_ text: StaticString) {
        startLine(text)
        endLine()
    }

    /// `name` (with its `:` or parameters) then `value`, as they are.
    mutating func property(_ name: StaticString, _ value: String) {
        startLine(name)
        bytes.appendUTF8(of: value)
        endLine()
    }

    /// `name` then `value` escaped as TEXT.
    mutating func property(_ name: StaticString, escaping value: String) {
        startLine(name)
        ICalendarText.appendEscaped(value, to: &bytes)
        endLine()
    }

    /// `name` then `values` escaped as TEXT and joined by commas.
    mutating func property(_ name: StaticString, escapingList values: [String]) {
        startLine(name)
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            ICalendarText.appendEscaped(value, to: &bytes)
        }
        endLine()
    }

    /// `name` then the value `appendValue` appends.
    mutating func property(_ name: StaticString, _ appendValue: (inout [UInt8]) -> Void) {
        startLine(name)
        appendValue(&bytes)
        endLine()
    }

    /// Lines already folded.
    mutating func append(_ other: ICalendarOutputLines) {
        bytes.append(contentsOf: other.bytes)
    }

    private mutating func startLine(_ name: StaticString) {
        lineStart = bytes.count
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func endLine() {
        guard bytes.count - lineStart > ICalendarText.maximumLineOctets else {
            bytes.append(UInt8(ascii: "\r"))
            bytes.append(UInt8(ascii: "\n"))
            return
        }
        unfolded.removeAll(keepingCapacity: true)
        unfolded.append(contentsOf: bytes[lineStart...])
        bytes.removeSubrange(lineStart...)
        ICalendarText.appendFolded(unfolded, to: &bytes)
    }
}
