import RelaisCore

/// TEXT values (RFC 5545 §3.3.11), parameter values (RFC 6868) and line folding (§3.1).
enum ICalendarText {
    // MARK: Reading

    /// Decodes the escapes of a TEXT value: `\\`, `\;`, `\,`, `\n` and `\N`. A backslash
    /// before any other character is dropped (some producers write `\:`); a lone backslash
    /// at the end is kept.
    ///
    /// Works on UTF-8 bytes: every escape is ASCII, and the bytes of other characters are
    /// copied unchanged.
    static func unescape(_ raw: some StringProtocol) -> String {
        let utf8 = raw.utf8
        guard utf8.contains(backslash) else { return String(raw) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var escaping = false
        for byte in utf8 {
            if escaping {
                out.append(byte == UInt8(ascii: "n") || byte == UInt8(ascii: "N") ? lineFeed : byte)
                escaping = false
            } else if byte == backslash {
                escaping = true
            } else {
                out.append(byte)
            }
        }
        if escaping { out.append(backslash) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Splits a multi-valued TEXT (`CATEGORIES:a,b\,c`) at its unescaped commas and
    /// unescapes each part: `["a", "b,c"]`.
    static func unescapeList(_ raw: some StringProtocol) -> [String] {
        var parts: [String] = []
        var current: [UInt8] = []
        var escaping = false
        for byte in raw.utf8 {
            if escaping {
                current.append(byte == UInt8(ascii: "n") || byte == UInt8(ascii: "N") ? lineFeed : byte)
                escaping = false
            } else if byte == backslash {
                escaping = true
            } else if byte == UInt8(ascii: ",") {
                parts.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            } else {
                current.append(byte)
            }
        }
        if escaping { current.append(backslash) }
        parts.append(String(decoding: current, as: UTF8.self))
        return parts
    }

    private static let backslash = UInt8(ascii: "\\")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// Decodes RFC 6868 caret escapes in a parameter value: `^n` newline, `^'` double
    /// quote, `^^` caret. Any other caret is kept as it is.
    static func decodeParameter(_ raw: String) -> String {
        guard raw.utf8.contains(UInt8(ascii: "^")) else { return raw }
        var out = String.UnicodeScalarView()
        var pendingCaret = false
        for scalar in raw.unicodeScalars {
            if pendingCaret {
                pendingCaret = false
                switch scalar {
                case "n", "N": out.append("\n")
                case "'": out.append("\"")
                case "^": out.append("^")
                default:
                    out.append("^")
                    out.append(scalar)
                }
            } else if scalar == "^" {
                pendingCaret = true
            } else {
                out.append(scalar)
            }
        }
        if pendingCaret { out.append("^") }
        return String(out)
    }

    /// `text` without leading and trailing spaces and tabs (iCalendar's white space).
    ///
    /// Byte-level rather than Foundation's `trimmingCharacters`, which goes through
    /// NSString on Linux and dominated import time.
    static func trimmed(_ text: Substring) -> String {
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        return String(decoding: utf8[first...last], as: UTF8.self)
    }

    static func trimmed(_ text: String) -> String {
        guard let first = text.utf8.first, let last = text.utf8.last,
            first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09
        else { return text }
        return trimmed(text[...])
    }

    /// `text` trimmed and with ASCII letters upper-cased, for keywords (`cancelled` →
    /// `CANCELLED`); other characters are kept.
    static func keyword(_ text: Substring) -> String {
        keyword(trimmed(text))
    }

    static func keyword(_ text: String) -> String {
        let trimmedText = trimmed(text)
        guard trimmedText.utf8.contains(where: { $0 >= 0x61 && $0 <= 0x7A }) else { return trimmedText }
        return String(decoding: trimmedText.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    /// Whether `bytes` are well-formed UTF-8 (no overlong forms, surrogates or values
    /// past U+10FFFF).
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                upper = 0x9F
            case 0xF0:
                length = 4
                lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                upper = 0x8F
            default: return false
            }
            guard index + length <= count else { return false }
            let second = bytes[index + 1]
            guard second >= lower && second <= upper else { return false }
            var next = index + 2
            while next < index + length {
                guard bytes[next] & 0xC0 == 0x80 else { return false }
                next += 1
            }
            index += length
        }
        return true
    }

    // MARK: Writing

    /// Appends `text` escaped as a TEXT value, as UTF-8 bytes: `\` `;` `,` get a
    /// backslash, a line break (LF, CRLF or CR) becomes `\n`. Other control characters,
    /// which TEXT cannot hold, are left out; a tab is kept.
    static func appendEscaped(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = text.utf8
        let done: Void? = utf8.withContiguousStorageIfAvailable { appendEscaped($0, to: &bytes) }
        if done == nil { Array(utf8).withUnsafeBufferPointer { appendEscaped($0, to: &bytes) } }
    }

    /// The same from the text's own bytes: the runs between bytes that need escaping are
    /// copied whole (a million descriptions, most with a comma, pass through here).
    private static func appendEscaped(_ source: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        var runStart = 0
        var carriageReturnAt = -2
        var index = 0
        while let found = nextNeedingEscape(in: source, from: index) {
            index = found + 1
            let byte = source[found]
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<found]))
            runStart = found + 1
            switch byte {
            case backslash, UInt8(ascii: ";"), UInt8(ascii: ","):
                bytes.append(backslash)
                bytes.append(byte)
            case carriageReturn:
                bytes.append(backslash)
                bytes.append(UInt8(ascii: "n"))
                carriageReturnAt = found
            case lineFeed:
                // The LF of a CRLF: its CR was the line break.
                if carriageReturnAt != found - 1 {
                    bytes.append(backslash)
                    bytes.append(UInt8(ascii: "n"))
                }
            default:
                break  // another control character, which TEXT cannot hold
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<source.count]))
    }

    /// The index of the first byte from `start` on that needs escaping, or nil.
    private static func nextNeedingEscape(in source: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        ByteScanning.firstIndex(in: source, from: start, wordMayMatch: mayNeedEscape, matches: needsEscape)
    }

    /// Whether one of the eight bytes of `word` may need escaping: a control character
    /// (below 0x20, or 0x7F), `\`, `;` or `,`. True for a tab too, which the byte test
    /// then keeps.
    private static func mayNeedEscape(_ word: UInt64) -> Bool {
        ByteScanning.hasByte(below: 0x20, in: word) || ByteScanning.hasByte(0x7F, in: word)
            || ByteScanning.hasByte(backslash, in: word) || ByteScanning.hasByte(UInt8(ascii: ";"), in: word)
            || ByteScanning.hasByte(UInt8(ascii: ","), in: word)
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != 0x09) || byte == 0x7F || byte == backslash || byte == UInt8(ascii: ";")
            || byte == UInt8(ascii: ",")
    }

    /// Whether `text` holds a control character (below U+0020, or U+007F). They are ASCII,
    /// so their bytes are never part of another character.
    static func containsControlCharacter(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { $0.contains { $0 < 0x20 || $0 == 0x7F } }
    }

    /// Appends `text` as a quoted parameter value with RFC 6868 escapes:
    /// `"Dupont ^'DJ^', Paris"`. Line breaks become `^n`; other control characters are
    /// left out. Works on bytes: every character it changes is ASCII.
    static func appendQuotedParameter(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var afterCarriageReturn = false
        var text = text
        text.withUTF8 { source in
            for byte in source {
                let wasAfterCarriageReturn = afterCarriageReturn
                afterCarriageReturn = false
                switch byte {
                case UInt8(ascii: "^"):
                    bytes.append(UInt8(ascii: "^"))
                    bytes.append(UInt8(ascii: "^"))
                case UInt8(ascii: "\""):
                    bytes.append(UInt8(ascii: "^"))
                    bytes.append(UInt8(ascii: "'"))
                case carriageReturn:
                    bytes.append(UInt8(ascii: "^"))
                    bytes.append(UInt8(ascii: "n"))
                    afterCarriageReturn = true
                case lineFeed:
                    if !wasAfterCarriageReturn {
                        bytes.append(UInt8(ascii: "^"))
                        bytes.append(UInt8(ascii: "n"))
                    }
                case 0x09, 0x20..<0x7F, 0x80...:
                    bytes.append(byte)
                default:
                    break  // another control character
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The longest a physical line may be, in octets, without its CRLF (RFC 5545 §3.1).
    static let maximumLineOctets = 75

    /// Appends one content line folded at 75 octets, each physical line ending in CRLF.
    ///
    /// Continuation lines start with one space, which counts in their 75 octets. A fold
    /// never falls inside a UTF-8 character.
    static func appendFolded(_ line: [UInt8], to out: inout [UInt8]) {
        let count = line.count
        if count <= maximumLineOctets {
            out.append(contentsOf: line)
            out.append(carriageReturn)
            out.append(lineFeed)
            return
        }
        var start = 0
        var limit = maximumLineOctets
        while start < count {
            var end = min(start + limit, count)
            if end < count {
                // Back up to the first byte of a character: continuation bytes are 10xxxxxx.
                var boundary = end
                while boundary > start, line[boundary] & 0xC0 == 0x80 { boundary -= 1 }
                if boundary > start { end = boundary }
            }
            if start > 0 { out.append(UInt8(ascii: " ")) }
            out.append(contentsOf: line[start..<end])
            out.append(carriageReturn)
            out.append(lineFeed)
            start = end
            limit = maximumLineOctets - 1
        }
    }
}
