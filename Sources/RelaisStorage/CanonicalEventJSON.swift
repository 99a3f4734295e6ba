import RelaisCore

/// The canonical JSON of an event (`EventJSONWriting`), written and read at import speed.
///
/// The change log stores every change as the canonical JSON of the event before and
/// after, and every change of an import is read back to be published on the bus. On a
/// large import `EventJSONWriting.json` and a general JSON parser feeding
/// `EventRecordDecoding` (which normalizes and validates every text again) cost more than
/// the SQLite work. This writer produces exactly the bytes `EventJSONWriting.json` does
/// (tests compare them on events exercising every field and escape), reusing the slot
/// times the import has already formatted; the reader reads exactly that shape and
/// answers nil for anything else, which then goes through `EventRecordDecoding`.
enum CanonicalEventJSON {
    /// `EventJSONWriting.json(event)`. `times` are the slots' `description`s when the
    /// caller has them already.
    static func json(_ event: Event, times: [(start: String, end: String?)]? = nil) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256 + (event.description?.utf8.count ?? 0))
        append("{\"id\":", to: &out)
        appendString(event.id, to: &out)
        append(",\"title\":", to: &out)
        appendString(event.title, to: &out)
        append(",\"kind\":\"", to: &out)
        out.append(contentsOf: event.kind.rawValue.utf8)
        append("\",\"status\":\"", to: &out)
        out.append(contentsOf: event.status.rawValue.utf8)
        append("\",\"slots\":[", to: &out)
        for (index, slot) in event.slots.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let text = times.flatMap { index < $0.count ? $0[index] : nil }
            append("{\"start\":\"", to: &out)
            out.append(contentsOf: (text?.start ?? slot.start.description).utf8)
            out.append(UInt8(ascii: "\""))
            if let end = slot.end {
                append(",\"end\":\"", to: &out)
                out.append(contentsOf: (text?.end ?? end.description).utf8)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "}"))
        }
        append("],\"region\":", to: &out)
        if let region = event.region {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: region.code.utf8)
            out.append(UInt8(ascii: "\""))
        } else {
            append("null", to: &out)
        }
        append(event.online ? ",\"online\":true" : ",\"online\":false", to: &out)
        appendField(",\"lab\":", event.lab, to: &out)
        appendField(",\"organizer\":", event.organizer, to: &out)
        appendField(",\"place\":", event.place, to: &out)
        appendField(",\"url\":", event.url, to: &out)
        appendField(",\"contact\":", event.contact, to: &out)
        appendList(",\"audience\":[", event.audience, to: &out)
        appendList(",\"tags\":[", event.tags, to: &out)
        appendField(",\"description\":", event.description, to: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func append(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private static func appendField(_ name: StaticString, _ value: String?, to out: inout [UInt8]) {
        guard let value else { return }
        append(name, to: &out)
        appendString(value, to: &out)
    }

    private static func appendList(_ name: StaticString, _ items: [String], to out: inout [UInt8]) {
        guard !items.isEmpty else { return }
        append(name, to: &out)
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(item, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The JSON string literal of `text`, as bytes (the core's writer).
    static func appendString(_ text: String, to out: inout [UInt8]) {
        EventJSONWriting.appendString(text, to: &out)
    }

    /// The event of canonical JSON text, or nil when the text is not exactly in the shape
    /// `EventJSONWriting` writes (field order, no spaces) or holds values no event has.
    static func event(_ json: String) -> Event? {
        var json = json
        return json.withUTF8 { bytes in
            var scanner = JSONScanner(bytes: bytes)
            return read(&scanner)
        }
    }

    private static func read(_ s: inout JSONScanner) -> Event? {
        func string(_ s: inout JSONScanner) -> String? {
            guard s.index < s.bytes.count, s.bytes[s.index] == UInt8(ascii: "\"") else { return nil }
            return try? s.string()
        }
        guard s.consume("{\"id\":"), let id = string(&s), s.consume(",\"title\":"), let title = string(&s),
            s.consume(",\"kind\":"), let kind = string(&s).flatMap(EventKind.init(rawValue:)),
            s.consume(",\"status\":"), let status = string(&s).flatMap(EventStatus.init(rawValue:)),
            s.consume(",\"slots\":[")
        else { return nil }
        var slots: [Slot] = []
        repeat {
            guard s.consume("{\"start\":"), let start = string(&s).flatMap({ EventTime(parsing: $0) }) else { return nil }
            var end: EventTime?
            if s.consume(",\"end\":") {
                guard let parsed = string(&s).flatMap({ EventTime(parsing: $0) }) else { return nil }
                end = parsed
            }
            guard s.consume("}") else { return nil }
            slots.append(Slot(start: start, end: end))
        } while s.consume(",")
        guard s.consume("],\"region\":") else { return nil }
        var region: Region?
        if !s.consume("null") {
            guard let found = string(&s).flatMap({ Region(code: $0) }) else { return nil }
            region = found
        }
        let online: Bool
        if s.consume(",\"online\":true") {
            online = true
        } else if s.consume(",\"online\":false") {
            online = false
        } else {
            return nil
        }
        func optional(_ name: StaticString, _ s: inout JSONScanner) -> String?? {
            guard s.consume(name) else { return .some(nil) }
            guard let value = string(&s) else { return nil }
            return .some(value)
        }
        func list(_ name: StaticString, _ s: inout JSONScanner) -> [String]? {
            guard s.consume(name) else { return [] }
            var items: [String] = []
            repeat {
                guard let item = string(&s) else { return nil }
                items.append(item)
            } while s.consume(",")
            return s.consume("]") ? items : nil
        }
        guard let lab = optional(",\"lab\":", &s), let organizer = optional(",\"organizer\":", &s),
            let place = optional(",\"place\":", &s), let url = optional(",\"url\":", &s),
            let contact = optional(",\"contact\":", &s), let audience = list(",\"audience\":[", &s),
            let tags = list(",\"tags\":[", &s), let description = optional(",\"description\":", &s),
            s.consume("}"), s.isAtEnd
        else { return nil }
        return Event(
            id: id, title: title, kind: kind, status: status, slots: slots, region: region, online: online, lab: lab,
            organizer: organizer, place: place, url: url, contact: contact, audience: audience, tags: tags,
            description: description)
    }
}
