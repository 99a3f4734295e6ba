import RelaisCore

/// The canonical JSON of an event (`EventJSONWriting`), written and read at import speed.
///
/// The change log stores every change as the canonical JSON of the event before and
/// after, and every change of an import is read back to be published on the bus. On a
/// large import `EventJSONWriting.json` and a general JSON parser feeding
/// `EventRecordDecoding` (which normalizes and validates every text again) cost more than
/// the SQLite work. The writer is `EventJSONWriting`'s, reusing the slot times the import
/// has already formatted; the reader reads exactly the shape it writes (tests compare
/// the bytes on events exercising every field and escape) and answers nil for anything
/// else, which then goes through `EventRecordDecoding`.
enum CanonicalEventJSON {
    /// `EventJSONWriting.json(event)`. `times` are the slots' `description`s when the
    /// caller has them already.
    static func json(_ event: Event, times: [(start: String, end: String?)]? = nil) -> String {
        var out: [UInt8] = []
        EventJSONWriting.append(event, times: times, to: &out)
        return String(decoding: out, as: UTF8.self)
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
