import RelaisCore

/// Parses JSON text (RFC 8259) into an ``InterchangeValue``.
///
/// Used for the JSON the store keeps (the audience and tags columns, change-log entries
/// that are not in the exact canonical shape). A direct byte parser: `JSONSerialization`
/// would go through `NSNumber` and Foundation collections for every value.
enum JSONValueParser {
    /// The value of `text`; throws ``JSONSyntaxProblem`` on anything that is not one JSON value.
    static func parse(_ text: String) throws -> InterchangeValue {
        var text = text
        return try text.withUTF8 { bytes in
            var parser = JSONScanner(bytes: bytes)
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.index == bytes.count else { throw parser.problem("unexpected text after the value") }
            return value
        }
    }
}

/// Why some text is not JSON, with the byte offset.
struct JSONSyntaxProblem: Error, CustomStringConvertible {
    let message: String
    let offset: Int
    var description: String { "\(message) at byte \(offset)" }
}

/// Reads JSON from UTF-8 bytes, one token at a time; valid only while `bytes` is.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// Deep enough for any event; keeps hostile input from exhausting the stack.
    static let maximumDepth = 64

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Steps over `literal` if the text continues with exactly it.
    mutating func consume(_ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard index + length <= bytes.count else { return false }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: length)
        for offset in 0..<length where bytes[index + offset] != expected[offset] { return false }
        index += length
        return true
    }

    var isAtEnd: Bool { index == bytes.count }

    func problem(_ message: String) -> JSONSyntaxProblem {
        JSONSyntaxProblem(message: message, offset: index)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws -> InterchangeValue {
        guard depth < Self.maximumDepth else { throw problem("nested too deeply") }
        skipWhitespace()
        guard index < bytes.count else { throw problem("unexpected end of text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return try number()
        }
    }

    mutating func literal(_ word: StaticString, _ value: InterchangeValue) throws -> InterchangeValue {
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count else { throw problem("unexpected end of text") }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: length)
        for offset in 0..<length where bytes[index + offset] != expected[offset] {
            throw problem("unexpected character")
        }
        index += length
        return value
    }

    mutating func object(depth: Int) throws -> InterchangeValue {
        index += 1
        var fields: [String: InterchangeValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(fields)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw problem("expected a field name") }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw problem("expected ':'") }
            index += 1
            fields[key] = try value(depth: depth + 1)
            skipWhitespace()
            guard index < bytes.count else { throw problem("unexpected end of text") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(fields)
            } else {
                throw problem("expected ',' or '}'")
            }
        }
    }

    mutating func array(depth: Int) throws -> InterchangeValue {
        index += 1
        var items: [InterchangeValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw problem("unexpected end of text") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            } else {
                throw problem("expected ',' or ']'")
            }
        }
    }

    mutating func number() throws -> InterchangeValue {
        let start = index
        while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
        guard index > start else { throw problem("unexpected character") }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            index = start
            throw problem("malformed number")
        }
        return .number(number)
    }

    static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
            UInt8(ascii: "e"), UInt8(ascii: "E"):
            true
        default:
            false
        }
    }

    /// Reads a string literal; `index` is on the opening quote.
    mutating func string() throws -> String {
        index += 1
        let start = index
        // Fast path: most strings have no escapes and can be decoded in place.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw problem("control character in a string") }
            index += 1
        }
        var buffer = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: buffer, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw problem("unexpected end of text") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): buffer.append(0x22)
                case UInt8(ascii: "\\"): buffer.append(0x5C)
                case UInt8(ascii: "/"): buffer.append(0x2F)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try unicodeEscape()
                    UTF8.encode(scalar) { buffer.append($0) }
                default:
                    index -= 1
                    throw problem("unknown escape")
                }
            default:
                if byte < 0x20 { throw problem("control character in a string") }
                buffer.append(byte)
                index += 1
            }
        }
        throw problem("unterminated string")
    }

    /// Reads the hex digits after `\u` (and a low surrogate's `\uXXXX` when needed).
    mutating func unicodeEscape() throws -> Unicode.Scalar {
        let high = try hex4()
        if (0xD800...0xDBFF).contains(high) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { return "\u{FFFD}" }
            index += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else {
                index -= 6  // not a pair: read that escape again on its own
                return "\u{FFFD}"
            }
            let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            return Unicode.Scalar(value) ?? "\u{FFFD}"
        }
        return Unicode.Scalar(high) ?? "\u{FFFD}"
    }

    mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw problem("unexpected end of text") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw problem("bad \\u escape")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }
}
