import Foundation

/// One event of the programme (contract §1): a webinar, workshop, hackathon, …
///
/// Values are plain data; ``validationProblem()`` tells whether one satisfies the contract's
/// rules. Readers build events and validate them before anything is stored.
public struct Event: Hashable, Sendable, Identifiable {
    /// Stable id chosen by the publisher; importing an existing id updates that event.
    public var id: String
    public var title: String
    public var kind: EventKind
    public var status: EventStatus
    /// At least one; kept in the order given.
    public var slots: [Slot]
    /// Nil for national (or online-only) events.
    public var region: Region?
    public var online: Bool
    /// Lab id such as `la-base`, `ti-lab`, `siilab`.
    public var lab: String?
    public var organizer: String?
    public var place: String?
    public var url: String?
    public var contact: String?
    public var audience: [String]
    public var tags: [String]
    public var description: String?

    public init(
        id: String, title: String, kind: EventKind, status: EventStatus = .scheduled, slots: [Slot],
        region: Region? = nil, online: Bool = false, lab: String? = nil, organizer: String? = nil,
        place: String? = nil, url: String? = nil, contact: String? = nil, audience: [String] = [],
        tags: [String] = [], description: String? = nil
    ) {
        self.id = id
        self.title = title
        self.kind = kind
        self.status = status
        self.slots = slots
        self.region = region
        self.online = online
        self.lab = lab
        self.organizer = organizer
        self.place = place
        self.url = url
        self.contact = contact
        self.audience = audience
        self.tags = tags
        self.description = description
    }

    /// The earliest instant any slot covers; events are listed in this order, then by id.
    public var firstStart: Date {
        slots.map(\.coveredStart).min() ?? Date(timeIntervalSince1970: 0)
    }

    /// The latest instant any slot covers.
    public var lastEnd: Date {
        slots.map(\.coveredEnd).max() ?? Date(timeIntervalSince1970: 0)
    }

    /// The text full-text search looks at: title, description, organizer, place and tags.
    public var searchableText: String {
        var parts = [title]
        if let description { parts.append(description) }
        if let organizer { parts.append(organizer) }
        if let place { parts.append(place) }
        parts.append(contentsOf: tags)
        return parts.joined(separator: "\n")
    }

    /// Whether two events list the same slots, each as many times (order ignored).
    public func hasSameSlots(as other: Event) -> Bool {
        guard slots.count == other.slots.count else { return false }
        var counts: [Slot: Int] = [:]
        for slot in slots { counts[slot, default: 0] += 1 }
        for slot in other.slots { counts[slot, default: 0] -= 1 }
        return counts.values.allSatisfy { $0 == 0 }
    }
}

/// A broken rule of contract §1, naming the field.
public struct EventFieldProblem: Error, Hashable, Sendable, CustomStringConvertible {
    /// The field, as named in the interchange format (`slots[2].end`, `kind`).
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "field '\(field)': \(message)" }
}

extension Event {
    /// Maximum lengths and the id alphabet of contract §1.
    public enum Limits {
        public static let idLength = 1...200
        public static let titleLength = 1...500
        public static let descriptionLength = 20_000
    }

    /// Whether `id` uses only `A-Z a-z 0-9 . _ : @ -` and has 1–200 characters.
    public static func isValidID(_ id: String) -> Bool {
        let bytes = id.utf8
        guard Limits.idLength.contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: ":")
                || b == UInt8(ascii: "@") || b == UInt8(ascii: "-")
        }
    }

    /// Whether a lab id is a lower-case slug (`la-base`, `insolab83`).
    public static func isValidLabID(_ lab: String) -> Bool {
        let bytes = lab.utf8
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
        }
    }

    /// The first broken rule of contract §1, or nil when the event is valid. Titles are
    /// checked after trimming; use ``normalized()`` to store the trimmed form.
    public func validationProblem() -> EventFieldProblem? {
        if !Self.isValidID(id) {
            return EventFieldProblem(
                field: "id", message: "'\(id.prefix(60))' must be 1–200 characters of A-Z a-z 0-9 . _ : @ -")
        }
        let trimmedTitle = Self.trimmed(title)
        if trimmedTitle.isEmpty { return EventFieldProblem(field: "title", message: "must not be empty") }
        if Self.hasMoreCharacters(trimmedTitle, than: Limits.titleLength.upperBound) {
            return EventFieldProblem(field: "title", message: "has \(trimmedTitle.count) characters, at most 500 allowed")
        }
        if slots.isEmpty { return EventFieldProblem(field: "slots", message: "at least one slot is required") }
        for (index, slot) in slots.enumerated() {
            if let problem = slot.problem ?? slot.yearsProblem {
                return EventFieldProblem(field: "slots[\(index)]", message: problem)
            }
        }
        if let lab, !Self.isValidLabID(lab) {
            return EventFieldProblem(field: "lab", message: "'\(lab.prefix(60))' must be a lower-case id like la-base")
        }
        if let problem = Self.listItemProblem("audience", audience) ?? Self.listItemProblem("tags", tags) {
            return problem
        }
        // One call per field rather than a loop over an array of them: this runs for every
        // record of an import, and the array's strings cost retains and releases.
        if let problem = Self.controlCharacterProblem("title", title) ?? Self.controlCharacterProblem("organizer", organizer)
            ?? Self.controlCharacterProblem("place", place) ?? Self.controlCharacterProblem("url", url)
            ?? Self.controlCharacterProblem("contact", contact)
            ?? Self.controlCharacterProblem("description", description)
        {
            return problem
        }
        if let description, Self.hasMoreCharacters(description, than: Limits.descriptionLength) {
            return EventFieldProblem(
                field: "description", message: "has \(description.count) characters, at most 20000 allowed")
        }
        return nil
    }

    /// The problem of an item of `list` (audience or tags) holding a control character, or
    /// a ';': CSV joins a list's items with ';' (contract §1), so an item holding one would
    /// come back as two. Control characters and ';' are ASCII: their bytes are never part
    /// of another character.
    private static func listItemProblem(_ name: String, _ list: [String]) -> EventFieldProblem? {
        for (index, item) in list.enumerated() {
            if firstControlByte(in: item, matches: { $0 < 0x20 || $0 == 0x7F }) != nil {
                return EventFieldProblem(field: "\(name)[\(index)]", message: "must not contain control characters")
            }
            if contains(UInt8(ascii: ";"), in: item) {
                return EventFieldProblem(
                    field: "\(name)[\(index)]", message: "must not contain ';', which separates the items in CSV")
            }
        }
        return nil
    }

    /// The problem of a text field holding a control character no export carries.
    private static func controlCharacterProblem(_ field: String, _ text: String?) -> EventFieldProblem? {
        guard let text, let control = controlCharacterNoExportCarries(in: text) else { return nil }
        let code = String(control, radix: 16, uppercase: true)
        return EventFieldProblem(
            field: field,
            message: "contains the control character U+\(String(repeating: "0", count: 4 - code.count))\(code), "
                + "which no export can carry (only tabs and line breaks are allowed)")
    }

    /// The first byte of `text` below U+0020 or U+007F other than a tab, a line feed or a
    /// carriage return (``normalized()`` makes those line feeds): iCalendar's TEXT cannot
    /// hold it, so an event with one would not read back the same from an export. Control
    /// characters are ASCII: their bytes are never part of another character.
    static func controlCharacterNoExportCarries(in text: String) -> UInt8? {
        firstControlByte(in: text, matches: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0x7F })
    }

    /// The first byte of `text` that `matches`, which accepts only control bytes (below
    /// U+0020, or U+007F): words of eight bytes holding none are passed over whole.
    private static func firstControlByte(in text: String, matches: (UInt8) -> Bool) -> UInt8? {
        ByteScanning.firstByte(
            in: text,
            wordMayMatch: { ByteScanning.hasByte(below: 0x20, in: $0) || ByteScanning.hasByte(0x7F, in: $0) },
            matches: matches)
    }

    /// Whether `text` holds a carriage return, which ``normalized()`` makes a line feed.
    public static func containsCarriageReturn(_ text: String) -> Bool { contains(0x0D, in: text) }

    /// Whether `text` holds `byte` (an ASCII byte, so never part of another character).
    /// The C library's `memchr`, vectorised: every text of every imported record is checked
    /// twice for a carriage return.
    static func contains(_ byte: UInt8, in text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
            return memchr(base, Int32(byte), bytes.count) != nil
        }
    }

    /// `text` with each line break a line feed: a carriage return, alone or before a line
    /// feed (Windows and old Mac sources), is one. Every export writes a line break one
    /// way, so the stored text holds one form, and an export reads back the same.
    static func unifyingLineBreaks(_ text: String) -> String {
        guard contains(0x0D, in: text) else { return text }
        return text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }

    /// Whether `text` has more than `limit` characters. Counting characters walks grapheme
    /// breaks, which cost 6% of reading an import's records; a text of at most `limit`
    /// UTF-8 bytes cannot have more characters than that, and most texts are far below.
    static func hasMoreCharacters(_ text: String, than limit: Int) -> Bool {
        text.utf8.count > limit && text.count > limit
    }

    /// `text` without leading and trailing white space. Most texts have none, and Foundation's
    /// trimming costs a bridge through NSString on Linux: check the two ends first.
    static func trimmed(_ text: String) -> String {
        hasTrimmableEnd(text) ? text.trimmingCharacters(in: .whitespacesAndNewlines) : text
    }

    /// Whether either end of `text` is a character Foundation's trimming removes. An ASCII
    /// end is answered from its byte; another end is decoded (the last byte of a character
    /// of several bytes is a continuation byte).
    static func hasTrimmableEnd(_ text: String) -> Bool {
        // A native string's bytes are contiguous: its ends are read without an index walk.
        let ends = text.utf8.withContiguousStorageIfAvailable { ($0.first, $0.last) } ?? (text.utf8.first, text.utf8.last)
        guard let firstByte = ends.0, let lastByte = ends.1 else { return false }
        if firstByte < 0x80 {
            if isTrimmable(Unicode.Scalar(firstByte)) { return true }
        } else if let first = text.unicodeScalars.first, isTrimmable(first) {
            return true
        }
        if lastByte < 0x80 { return isTrimmable(Unicode.Scalar(lastByte)) }
        if let last = text.unicodeScalars.last, isTrimmable(last) { return true }
        return false
    }

    private static let trimmableSet = CharacterSet.whitespacesAndNewlines

    /// Whether Foundation's trimming removes `scalar`: ASCII inline, the rest by its set.
    private static func isTrimmable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return (0x09...0x0D).contains(scalar.value) || scalar.value == 0x20 }
        return trimmableSet.contains(scalar)
    }

    /// Whether ``normalized()`` would return the event as it is. Most events arrive in
    /// normal form: answering this from each text's end bytes and a `memchr` for carriage
    /// returns spares building a second event (and new tag arrays) for nothing.
    public var isNormalized: Bool {
        // One call per field rather than a loop over an array of them (see validationProblem).
        guard Self.isInNormalForm(title), Self.isOptionalInNormalForm(organizer), Self.isOptionalInNormalForm(place),
            Self.isOptionalInNormalForm(url), Self.isOptionalInNormalForm(contact), Self.isOptionalInNormalForm(lab),
            Self.isOptionalInNormalForm(description)
        else { return false }
        for item in audience where item.isEmpty || !Self.isInNormalForm(item) { return false }
        for item in tags where item.isEmpty || !Self.isInNormalForm(item) { return false }
        return true
    }

    /// True for nil, or a text that is not empty and in normal form (``normalized()``
    /// drops an empty optional text).
    private static func isOptionalInNormalForm(_ text: String?) -> Bool {
        guard let text else { return true }
        return !text.isEmpty && isInNormalForm(text)
    }

    /// True when neither end of `text` is a character ``normalized()`` trims, and no
    /// carriage return is left for it to make a line feed.
    static func isInNormalForm(_ text: String) -> Bool {
        !containsCarriageReturn(text) && !hasTrimmableEnd(text)
    }

    /// The event as stored: title and optional texts trimmed, their line breaks line feeds,
    /// empty optional texts and empty tags dropped.
    public func normalized() -> Event {
        isNormalized ? self : normalizedByTrimming()
    }

    /// ``normalized()`` without asking ``isNormalized`` first.
    func normalizedByTrimming() -> Event {
        var copy = self
        func clean(_ text: String?) -> String? {
            guard let text else { return nil }
            let trimmed = Self.trimmed(Self.unifyingLineBreaks(text))
            return trimmed.isEmpty ? nil : trimmed
        }
        copy.title = Self.trimmed(Self.unifyingLineBreaks(title))
        copy.organizer = clean(organizer)
        copy.place = clean(place)
        copy.url = clean(url)
        copy.contact = clean(contact)
        copy.lab = clean(lab)
        copy.description = clean(description)
        copy.audience = audience.compactMap(clean)
        copy.tags = tags.compactMap(clean)
        return copy
    }
}
