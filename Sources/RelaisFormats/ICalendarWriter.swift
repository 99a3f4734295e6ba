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
    private let stamp: String
    private var state = State.initial

    private enum State { case initial, open, finished }

    public init(output: any TextOutput, options: ExportOptions) {
        self.output = output
        self.options = options
        self.stamp = Self.utcStamp(options.now)
    }

    public func begin() throws {
        guard state == .initial else { throw ICalendarWriterMisuse(message: "begin() called twice") }
        var lines = ICalendarOutputLines(capacity: 2048)
        for line in [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Relais//Relais//FR", "CALSCALE:GREGORIAN",
        ] + Self.parisTimeZone {
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
        // Content lines are built as UTF-8 bytes and folded as they are copied: a million
        // events pass through here, and `String` appends cost more than the escaping.
        var lines = ICalendarOutputLines(capacity: 1024 * event.slots.count + 2 * (event.description?.utf8.count ?? 0))
        var common = ICalendarOutputLines(capacity: 512 + (event.description?.utf8.count ?? 0) * 2)
        commonProperties(event, into: &common)
        let several = event.slots.count > 1
        for (index, slot) in event.slots.enumerated() {
            lines.line("BEGIN:VEVENT")
            lines.property("UID:", escaping: several ? "\(event.id)#\(index + 1)" : event.id)
            lines.property("DTSTAMP:", stamp)
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
            lines.property("DTSTART;VALUE=DATE:", Self.basic(day))
            var last = day
            if case .allDay(let end)? = slot.end { last = end }
            lines.property("DTEND;VALUE=DATE:", Self.basic(last.adding(days: 1)))
            if slot.end == slot.start { lines.line("X-RELAIS-SAME-DAY-END:TRUE") }
        case .instant(let start):
            lines.property("DTSTART", Self.dateTime(start))
            if case .instant(let end)? = slot.end { lines.property("DTEND", Self.dateTime(end)) }
        }
    }

    /// The properties every VEVENT of the event repeats, folded.
    private func commonProperties(_ event: Event, into lines: inout ICalendarOutputLines) {
        lines.property("SUMMARY:", escaping: event.title)
        if let description = event.description { lines.property("DESCRIPTION:", escaping: description) }
        if let place = event.place { lines.property("LOCATION:", escaping: place) }
        if let url = event.url {
            if url.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) {
                lines.property("URL:", url)
            } else {
                lines.property("X-RELAIS-URL:", escaping: url)
            }
        }
        if let contact = event.contact, Self.isPlainEmailAddress(contact) {
            let name = event.organizer.map { ";CN=" + ICalendarText.quotedParameter($0) } ?? ""
            lines.property("ORGANIZER", name + ":mailto:" + contact)
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
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last, !local.isEmpty, !domain.isEmpty else {
            return false
        }
        func allowed(_ part: Substring, extra: Set<UInt8>) -> Bool {
            part.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || extra.contains(b)
            }
        }
        let dotDash: Set<UInt8> = [UInt8(ascii: "."), UInt8(ascii: "-")]
        return allowed(local, extra: dotDash.union([UInt8(ascii: "_"), UInt8(ascii: "+")])) && allowed(domain, extra: dotDash)
    }

    // MARK: Times

    /// `;TZID=Europe/Paris:20201110T093000`, or `:20201025T013000Z` when the Paris wall
    /// clock would not read back as this instant (the repeated autumn hour, or a date the
    /// VTIMEZONE below does not describe, before 1996).
    static func dateTime(_ instant: Date) -> String {
        let seconds = wholeSeconds(instant)
        let offset = ParisTime.offset(at: Date(timeIntervalSince1970: Double(seconds)))
        let local = ICalendarTime.utcLocal(epochSeconds: seconds + offset)
        // Away from a clock change (the common case) the wall clock surely reads back;
        // near one, ask the rule the reader uses.
        let steady = ParisTime.offset(at: Date(timeIntervalSince1970: Double(seconds - 7200))) == offset
        if local.date.year >= 1970, local.date.year <= 9999, offset == europeanUnionOffset(seconds),
            steady || ICalendarTime.epochSeconds(local, .floating) == seconds
        {
            return ";TZID=Europe/Paris:" + basic(local)
        }
        return ":" + basic(ICalendarTime.utcLocal(epochSeconds: seconds)) + "Z"
    }

    /// The Paris offset by the rule the VTIMEZONE states: summer time from the last Sunday
    /// of March to the last Sunday of October, 01:00 UTC.
    static func europeanUnionOffset(_ seconds: Int) -> Int {
        let year = ICalendarTime.utcLocal(epochSeconds: seconds).date.year
        func lastSunday(_ month: Int) -> Int {
            let last = CivilDate(year: year, month: month, day: 31)
            return (last.daysSinceEpoch - last.isoWeekday % 7) * 86400 + 3600
        }
        return seconds >= lastSunday(3) && seconds < lastSunday(10) ? 7200 : 3600
    }

    private static func utcStamp(_ date: Date) -> String {
        basic(ICalendarTime.utcLocal(epochSeconds: wholeSeconds(date))) + "Z"
    }

    /// Seconds since 1970, rounded down; dates beyond ±100,000 years are held there, so
    /// no conversion can overflow.
    static func wholeSeconds(_ date: Date) -> Int {
        let limit = 3.2e15
        let value = date.timeIntervalSince1970
        guard value.isFinite else { return value > 0 ? Int(limit) : -Int(limit) }
        return Int(min(max(value, -limit), limit).rounded(.down))
    }

    /// `20201117`.
    static func basic(_ day: CivilDate) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(8)
        appendDigits(day.year, width: 4, to: &digits)
        appendDigits(day.month, width: 2, to: &digits)
        appendDigits(day.day, width: 2, to: &digits)
        return String(decoding: digits, as: UTF8.self)
    }

    /// `20201110T093000`.
    static func basic(_ local: LocalDateTime) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(15)
        appendDigits(local.date.year, width: 4, to: &digits)
        appendDigits(local.date.month, width: 2, to: &digits)
        appendDigits(local.date.day, width: 2, to: &digits)
        digits.append(UInt8(ascii: "T"))
        appendDigits(local.hour, width: 2, to: &digits)
        appendDigits(local.minute, width: 2, to: &digits)
        appendDigits(local.second, width: 2, to: &digits)
        return String(decoding: digits, as: UTF8.self)
    }

    /// Appends `value` in decimal, zero-padded to `width` (wider values are written whole).
    private static func appendDigits(_ value: Int, width: Int, to digits: inout [UInt8]) {
        if value < 0 {
            digits.append(UInt8(ascii: "-"))
            appendDigits(-value, width: width, to: &digits)
            return
        }
        var reversed: [UInt8] = []
        var rest = value
        repeat {
            reversed.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        while reversed.count < width { reversed.append(UInt8(ascii: "0")) }
        digits.append(contentsOf: reversed.reversed())
    }

    /// Europe/Paris as the European Union has defined it since 1996.
    static let parisTimeZone = [
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
struct ICalendarOutputLines {
    private(set) var bytes: [UInt8] = []
    /// The content line being built, before folding.
    private var line: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        line.reserveCapacity(256)
    }

    /// A whole content line, as it is.
    mutating func line(_ text: String) { property(text, "") }

    /// `name` (with its `:` or parameters) then `value`, as they are.
    mutating func property(_ name: String, _ value: String) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: name.utf8)
        line.append(contentsOf: value.utf8)
        ICalendarText.appendFolded(line, to: &bytes)
    }

    /// `name` then `value` escaped as TEXT.
    mutating func property(_ name: String, escaping value: String) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: name.utf8)
        ICalendarText.appendEscaped(value, to: &line)
        ICalendarText.appendFolded(line, to: &bytes)
    }

    /// `name` then `values` escaped as TEXT and joined by commas.
    mutating func property(_ name: String, escapingList values: [String]) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: name.utf8)
        for (index, value) in values.enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            ICalendarText.appendEscaped(value, to: &line)
        }
        ICalendarText.appendFolded(line, to: &bytes)
    }

    /// Lines already folded.
    mutating func append(_ other: ICalendarOutputLines) {
        bytes.append(contentsOf: other.bytes)
    }
}
