/// Writes an event as the canonical interchange JSON object of contract §1, on one line,
/// with a fixed field order and absent optional fields left out (`region` is always
/// written, `null` meaning national).
///
/// Hand-written rather than `JSONEncoder` because exports stream millions of events and
/// this is the hot path; the output is plain RFC 8259 JSON that any parser reads.
public enum EventJSONWriting {
    /// The event as one line of JSON, without a trailing newline.
    public static func json(_ event: Event) -> String {
        var out: [UInt8] = []
        append(event, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the event's line of JSON (without a newline) to `out`, as UTF-8: the
    /// exporters' hot path, with no intermediate strings. `times` are the slots' interchange
    /// texts (their `description`s) when the caller has them already.
    public static func append(_ event: Event, times: [(start: String, end: String?)]? = nil, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + 256 + (event.description?.utf8.count ?? 0))
        appendLiteral("{\"id\":", to: &out)
        appendString(event.id, to: &out)
        appendLiteral(",\"title\":", to: &out)
        appendString(event.title, to: &out)
        appendLiteral(",\"kind\":\"", to: &out)
        out.append(contentsOf: event.kind.rawValue.utf8)
        appendLiteral("\",\"status\":\"", to: &out)
        out.append(contentsOf: event.status.rawValue.utf8)
        appendLiteral("\",\"slots\":[", to: &out)
        for (index, slot) in event.slots.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let text = times.flatMap { index < $0.count ? $0[index] : nil }
            appendLiteral("{\"start\":\"", to: &out)
            if let start = text?.start { out.append(contentsOf: start.utf8) } else { slot.start.appendText(to: &out) }
            out.append(UInt8(ascii: "\""))
            if let end = slot.end {
                appendLiteral(",\"end\":\"", to: &out)
                if let written = text?.end { out.append(contentsOf: written.utf8) } else { end.appendText(to: &out) }
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "}"))
        }
        appendLiteral("],\"region\":", to: &out)
        if let region = event.region {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: region.code.utf8)
            out.append(UInt8(ascii: "\""))
        } else {
            appendLiteral("null", to: &out)
        }
        appendLiteral(event.online ? ",\"online\":true" : ",\"online\":false", to: &out)
        appendField(",\"lab\":", event.lab, to: &out)
        appendField(",\"organizer\":", event.organizer, to: &out)
        appendField(",\"place\":", event.place, to: &out)
        appendField(",\"url\":", event.url, to: &out)
        appendField(",\"contact\":", event.contact, to: &out)
        appendList(",\"audience\":[", event.audience, to: &out)
        appendList(",\"tags\":[", event.tags, to: &out)
        appendField(",\"description\":", event.description, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    private static func appendField(_ name: StaticString, _ value: String?, to out: inout [UInt8]) {
        guard let value else { return }
        appendLiteral(name, to: &out)
        appendString(value, to: &out)
    }

    private static func appendList(_ name: StaticString, _ items: [String], to out: inout [UInt8]) {
        guard !items.isEmpty else { return }
        appendLiteral(name, to: &out)
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(item, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}

extension EventJSONWriting {
    /// The JSON string literal of `text`, as UTF-8 bytes: every byte of a multi-byte UTF-8 sequence
    /// is 0x80 or more, so escaping byte by byte escapes the same scalars. Runs without
    /// escapes are copied whole.
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            var runStart = 0
            for index in 0..<bytes.count where needsEscape(bytes[index]) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                appendEscaped(bytes[index], to: &out)
                runStart = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        if copied == nil {
            for byte in text.utf8 {
                if needsEscape(byte) { appendEscaped(byte, to: &out) } else { out.append(byte) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends the JSON array of `items` (`["a","b"]`) to `out`: the bytes of
    /// ``arrayText(_:)``.
    public static func appendArrayText(_ items: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(item, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The JSON array of `items` (`["a","b"]`), as ``appendString(_:to:)`` writes each.
    /// Strings with nothing to escape, nearly all of them, are written straight into the
    /// result's own storage, measured first: no byte array to copy from.
    public static func arrayText(_ items: [String]) -> String {
        // `[`, `]`, two quotes an item and a comma between two.
        var length = items.isEmpty ? 2 : 1 + items.count * 3
        var plain = true
        for item in items {
            length += item.utf8.count
            plain = plain && !item.utf8.contains(where: needsEscape)
        }
        guard plain else {
            var out: [UInt8] = [UInt8(ascii: "[")]
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
            return String(decoding: out, as: UTF8.self)
        }
        return String(unsafeUninitializedCapacity: length) { buffer in
            var written = 0
            func put(_ byte: UInt8) {
                buffer[written] = byte
                written += 1
            }
            put(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { put(UInt8(ascii: ",")) }
                put(UInt8(ascii: "\""))
                for byte in item.utf8 { put(byte) }
                put(UInt8(ascii: "\""))
            }
            put(UInt8(ascii: "]"))
            return written
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): appendLiteral("\\\"", to: &out)
        case UInt8(ascii: "\\"): appendLiteral("\\\\", to: &out)
        case 0x0A: appendLiteral("\\n", to: &out)
        case 0x0D: appendLiteral("\\r", to: &out)
        case 0x09: appendLiteral("\\t", to: &out)
        default:
            appendLiteral("\\u00", to: &out)
            out.append(hexDigit(byte >> 4))
            out.append(hexDigit(byte & 0x0F))
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    private static func appendLiteral(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
