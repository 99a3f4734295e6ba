/// Writes an event as the canonical interchange JSON object of contract §1, on one line,
/// with a fixed field order and absent optional fields left out (`region` is always
/// written, `null` meaning national).
///
/// Hand-written rather than `JSONEncoder` because exports stream millions of events and
/// this is the hot path; the output is plain RFC 8259 JSON that any parser reads.
public enum EventJSONWriting {
    /// The event as one line of JSON, without a trailing newline.
    public static func json(_ event: Event) -> String {
        var out = ""
        out.reserveCapacity(256 + (event.description?.utf8.count ?? 0))
        out += "{\"id\":"
        appendString(event.id, to: &out)
        out += ",\"title\":"
        appendString(event.title, to: &out)
        out += ",\"kind\":\"\(event.kind.rawValue)\",\"status\":\"\(event.status.rawValue)\",\"slots\":["
        for (index, slot) in event.slots.enumerated() {
            if index > 0 { out += "," }
            out += "{\"start\":\"\(slot.start)\""
            if let end = slot.end { out += ",\"end\":\"\(end)\"" }
            out += "}"
        }
        out += "],\"region\":"
        if let region = event.region { out += "\"\(region.code)\"" } else { out += "null" }
        out += ",\"online\":\(event.online ? "true" : "false")"
        for (name, value) in [
            ("lab", event.lab), ("organizer", event.organizer), ("place", event.place), ("url", event.url),
            ("contact", event.contact),
        ] {
            if let value {
                out += ",\"\(name)\":"
                appendString(value, to: &out)
            }
        }
        for (name, list) in [("audience", event.audience), ("tags", event.tags)] where !list.isEmpty {
            out += ",\"\(name)\":["
            for (index, item) in list.enumerated() {
                if index > 0 { out += "," }
                appendString(item, to: &out)
            }
            out += "]"
        }
        if let description = event.description {
            out += ",\"description\":"
            appendString(description, to: &out)
        }
        out += "}"
        return out
    }

    /// Appends `text` as a JSON string literal, escaping quotes, backslashes and control
    /// characters; everything else is written as UTF-8.
    public static func appendString(_ text: String, to out: inout String) {
        out += "\""
        var needsEscaping = false
        for byte in text.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscaping = true
            break
        }
        if !needsEscaping {
            out += text
        } else {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        out += "\""
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
