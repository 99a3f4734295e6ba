import Foundation
import RelaisCore

/// A JSON syntax error: what was wrong and the byte offset where it was found.
struct JSONSyntaxError: Error, Hashable, Sendable {
    /// 0-based offset in the parsed bytes.
    var offset: Int
    var message: String
}

/// Parses one RFC 8259 JSON text from UTF-8 bytes into an ``InterchangeValue``.
///
/// Hand-written because JSON Lines imports parse a million records and the per-record
/// cost adds up. Measured on 100,000 synthetic event lines (≈ 550 bytes each, with
/// accents and escapes), parsing only, release build, Swift 6.3.1 on Linux x86-64 (a
/// shared 2-core VM, so ranges over several runs; the ordering held in every run):
///
/// | parser | records/s |
/// | --- | --- |
/// | this parser | 145,000 – 340,000 |
/// | `JSONSerialization`, then converting the `Any` tree | 30,000 – 51,000 |
/// | `JSONDecoder` into a `Decodable` wrapper of `InterchangeValue` | 4,000 – 20,000 |
///
/// (`JSONDecoder` pays a thrown error for every wrong guess of a value's type.) Reproduce
/// with `ParserBenchmarkTests` (see there). With this parser, reading is dominated by
/// validating the events, not by parsing.
///
/// Strict where it matters for data: the number grammar, escapes (including UTF-16
/// surrogate pairs in `\u` escapes, and rejecting lone surrogates), unescaped control
/// characters, UTF-8 validity of every string, duplicate keys in an object (rejected:
/// a record with two `title`s is ambiguous), and nesting deeper than
/// ``maximumDepth`` (rejected, so a hostile file cannot exhaust the stack).
///
/// Every access to `bytes` is guarded by an explicit bounds check, because unsafe buffer
/// subscripts are not checked in release builds.
struct InterchangeJSONParser {
    /// Deeper nesting than this is refused; events nest three levels.
    static let maximumDepth = 128

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// Reused for strings with escapes, so only the final `String` allocates.
    private var scratch: [UInt8] = []

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses `bytes` as exactly one JSON value, optionally surrounded by whitespace.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> InterchangeValue {
        var parser = InterchangeJSONParser(bytes: bytes)
        parser.skipWhitespace()
        guard parser.index < bytes.count else { throw parser.failure("no JSON value (the text is empty)") }
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.failure("unexpected \(parser.describeCurrent()) after the JSON value")
        }
        return value
    }

    /// What ``parseRecord(_:)`` found.
    enum RecordParse {
        /// An object: its fields of contract §1, and the first of its other names that is
        /// no extension field's (nil when there is none).
        case record(EventRecordDecoding.RecordFields, unknownField: String?)
        /// Another kind of JSON value, valid: its type's name (``InterchangeValue/typeName``).
        case notAnObject(typeName: String)
    }

    /// Parses `bytes` as exactly one JSON value like ``parse(_:)``, with the same syntax
    /// errors (duplicate keys included); an object goes straight into an event record's
    /// fields: no dictionary is built, hashed and freed for each record of an import (a
    /// tenth of its reading thread).
    static func parseRecord(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> RecordParse {
        var parser = InterchangeJSONParser(bytes: bytes)
        parser.skipWhitespace()
        guard parser.index < bytes.count else { throw parser.failure("no JSON value (the text is empty)") }
        guard bytes[parser.index] == UInt8(ascii: "{") else { return .notAnObject(typeName: try parse(bytes).typeName) }
        let (fields, unknownField) = try parser.parseRecordObject()
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.failure("unexpected \(parser.describeCurrent()) after the JSON value")
        }
        return .record(fields, unknownField: unknownField)
    }

    /// Parses a UTF-8 string; convenience for tests and small inputs.
    static func parse(_ text: String) throws(JSONSyntaxError) -> InterchangeValue {
        var copy = Array(text.utf8)
        let result: Result<InterchangeValue, JSONSyntaxError> = copy.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(JSONSyntaxError) -> InterchangeValue in try parse(UnsafeBufferPointer(buffer)) }
        }
        return try result.get()
    }

    // MARK: - Values

    private mutating func parseValue() throws(JSONSyntaxError) -> InterchangeValue {
        guard index < bytes.count else { throw failure("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw failure("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> InterchangeValue {
        // An event has up to 15 fields: sizing the top level for them avoids rehashing
        // as it grows; nested objects (slots) are small.
        var object = [String: InterchangeValue](minimumCapacity: depth == 0 ? 16 : 2)
        try parseMembers(matchingContractNames: false) { key, keyOffset, value throws(JSONSyntaxError) in
            if object.updateValue(value, forKey: key.name) != nil { throw Self.duplicate(key.name, at: keyOffset) }
        }
        return .object(object)
    }

    /// ``parseObject()`` for the top-level object of a record, sorting its values into
    /// the record's fields as they come.
    private mutating func parseRecordObject() throws(JSONSyntaxError) -> (EventRecordDecoding.RecordFields, String?) {
        var fields = EventRecordDecoding.RecordFields()
        var unknownField: String?
        // The names that are not the contract's, kept only to find one given twice.
        var otherNames: Set<String> = []
        try parseMembers(matchingContractNames: true) { key, keyOffset, value throws(JSONSyntaxError) in
            let field = key.field ?? EventRecordDecoding.RecordFields.Field(name: key.name)
            if let field {
                if fields[field] != nil { throw Self.duplicate(key.name, at: keyOffset) }
                fields[field] = value
            } else {
                if !otherNames.insert(key.name).inserted { throw Self.duplicate(key.name, at: keyOffset) }
                if unknownField == nil && !EventRecordDecoding.isExtensionField(key.name) { unknownField = key.name }
            }
        }
        return (fields, unknownField)
    }

    /// A key of an object: its name, and its contract field when it was matched as one.
    private struct ObjectKey {
        var name: String
        var field: EventRecordDecoding.RecordFields.Field?
    }

    private static func duplicate(_ key: String, at offset: Int) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset, message: "duplicate key \"\(key.prefix(40))\" in an object")
    }

    /// Parses the object at `index` (its `{`), giving `member` each key, the offset of its
    /// opening quote, and its value, in order. With `matchingContractNames`, a key that is
    /// a contract field's name written plainly is matched on its bytes (``contractName()``).
    private mutating func parseMembers(
        matchingContractNames: Bool,
        _ member: (ObjectKey, Int, InterchangeValue) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        try enterContainer()
        index += 1  // {
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw failure(index < bytes.count ? "expected a quoted key, found \(describeCurrent())" : "unexpected end of input inside an object")
            }
            let keyOffset = index
            let key: ObjectKey
            if matchingContractNames, let (field, end) = contractName() {
                key = ObjectKey(name: Self.contractNames[field.rawValue], field: field)
                index = end
            } else {
                key = ObjectKey(name: try parseString(), field: nil)
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw failure(index < bytes.count ? "expected ':' after key \"\(key.name.prefix(40))\", found \(describeCurrent())" : "unexpected end of input inside an object")
            }
            index += 1
            skipWhitespace()
            try member(key, keyOffset, try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input inside an object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                break
            }
            throw failure("expected ',' or '}' in an object, found \(describeCurrent())")
        }
        depth -= 1
    }

    /// The contract's field names, in the order of ``EventRecordDecoding/RecordFields/Field``
    /// (whose raw values are their places; a test holds them together).
    private static let contractNames = EventRecordDecoding.fieldNames
    /// Each contract name as its length and its bytes packed into two words (none is
    /// longer than 16 bytes), compared whole.
    private static let packedContractNames: [(length: Int, first: UInt64, rest: UInt64)] = contractNames.map { name in
        var packed = (length: name.utf8.count, first: UInt64(0), rest: UInt64(0))
        for (offset, byte) in name.utf8.enumerated() {
            if offset < 8 { packed.first |= UInt64(byte) << (8 * UInt64(offset)) }
            else { packed.rest |= UInt64(byte) << (8 * UInt64(offset - 8)) }
        }
        return packed
    }

    /// When the key at `index` (its opening quote) is one of the contract's field names
    /// written plainly: the field, and the offset after the closing quote.
    private func contractName() -> (EventRecordDecoding.RecordFields.Field, Int)? {
        let nameStart = index + 1
        var end = nameStart
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 || end - nameStart == 16 { return nil }
            end += 1
        }
        guard end < bytes.count, let base = bytes.baseAddress else { return nil }
        let length = end - nameStart
        // The name's bytes as two words, first byte lowest, read whole where the buffer
        // allows.
        func word(from start: Int, count: Int) -> UInt64 {
            guard count > 0 else { return 0 }
            if start + 8 <= bytes.count {
                let loaded = UInt64(littleEndian: UnsafeRawPointer(base + start).loadUnaligned(as: UInt64.self))
                return count >= 8 ? loaded : loaded & ((1 << (8 * UInt64(count))) - 1)
            }
            var packed: UInt64 = 0
            for offset in 0..<count { packed |= UInt64(bytes[start + offset]) << (8 * UInt64(offset)) }
            return packed
        }
        let first = word(from: nameStart, count: min(length, 8))
        let rest = word(from: nameStart + 8, count: length - min(length, 8))
        var slot = Self.slot(first: first, rest: rest)
        while let position = Self.contractNameSlots[slot] {
            let candidate = Self.packedContractNames[position]
            if candidate.first == first && candidate.rest == rest && candidate.length == length {
                guard let field = EventRecordDecoding.RecordFields.Field(rawValue: position) else { return nil }
                return (field, end + 1)
            }
            slot = (slot + 1) & (Self.contractNameSlots.count - 1)
        }
        return nil
    }

    /// The place of a packed name in ``contractNameSlots``.
    private static func slot(first: UInt64, rest: UInt64) -> Int {
        Int(truncatingIfNeeded: ((first ^ (rest &* 0x0100_0000_01B3)) &* 0x9E37_79B9_7F4A_7C15) >> 58)
    }

    /// The contract names' positions in ``packedContractNames``, by ``slot(first:rest:)``
    /// (open addressing over 64 places): a key is looked up with one multiplication
    /// rather than compared with every name.
    private static let contractNameSlots: [Int?] = {
        var slots = [Int?](repeating: nil, count: 64)
        for (position, name) in packedContractNames.enumerated() {
            var slot = slot(first: name.first, rest: name.rest)
            while slots[slot] != nil { slot = (slot + 1) & 63 }
            slots[slot] = position
        }
        return slots
    }()

    private mutating func parseArray() throws(JSONSyntaxError) -> InterchangeValue {
        try enterContainer()
        index += 1  // [
        skipWhitespace()
        var items: [InterchangeValue] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(items)
        }
        while true {
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input inside an array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                break
            }
            throw failure("expected ',' or ']' in an array, found \(describeCurrent())")
        }
        depth -= 1
        return .array(items)
    }

    private mutating func enterContainer() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw failure("nesting deeper than \(Self.maximumDepth) levels")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        for offset in 0..<count {
            guard index + offset < bytes.count, bytes[index + offset] == start[offset] else {
                throw failure("unexpected \(describeCurrent()), expected a value")
            }
        }
        index += count
    }

    // MARK: - Strings

    /// Parses a string starting at its opening quote. The common case (no escapes) makes
    /// one validated `String` straight from the input bytes.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let quoteOffset = index
        index += 1
        let start = index
        var orOfBytes: UInt8 = 0
        // Eight bytes at a time while none of them is a quote, a backslash or a control
        // character (the byte loop below handles those): most of a record is string
        // content, and a byte-by-byte scan of it was a tenth of an import's reading thread.
        if let base = bytes.baseAddress {
            var orOfWords: UInt64 = 0
            while index + 8 <= bytes.count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if Self.hasQuoteBackslashOrControl(word) { break }
                orOfWords |= word
                index += 8
            }
            if orOfWords & 0x8080_8080_8080_8080 != 0 { orOfBytes = 0x80 }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let content = UnsafeBufferPointer(rebasing: bytes[start..<index])
                // Only non-ASCII text needs validating; `String(decoding:)` would silently
                // replace bad bytes, and `String(validating:)` is not specialised here.
                if orOfBytes >= 0x80, let bad = UTF8Validation.firstInvalidByte(in: content) {
                    throw JSONSyntaxError(offset: start + bad, message: "invalid UTF-8 in a string")
                }
                index += 1
                return String(decoding: content, as: UTF8.self)
            }
            orOfBytes |= byte
            if byte == UInt8(ascii: "\\") { return try parseEscapedString(contentStart: start, quoteOffset: quoteOffset) }
            if byte < 0x20 { throw failure("control character U+00\(hex(byte)) in a string must be escaped") }
            index += 1
        }
        throw JSONSyntaxError(offset: quoteOffset, message: "unterminated string")
    }

    /// Whether one of the eight bytes of `word` is `"`, `\\` or below 0x20 (the classic
    /// tests for a zero byte, on the word itself and on its exclusive-or with each byte).
    @inline(__always)
    private static func hasQuoteBackslashOrControl(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let zeroInQuotes = (quotes &- ones) & ~quotes
        let zeroInBackslashes = (backslashes &- ones) & ~backslashes
        let belowSpace = (word &- ones &* 0x20) & ~word
        return (zeroInQuotes | zeroInBackslashes | belowSpace) & highs != 0
    }

    /// The slow path: copies into `scratch`, decoding escapes, from the first backslash.
    private mutating func parseEscapedString(contentStart: Int, quoteOffset: Int) throws(JSONSyntaxError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                if let bad = scratch.withUnsafeBufferPointer({ UTF8Validation.firstInvalidByte(in: $0) }) {
                    // Escapes only add valid UTF-8, so the bad byte came from the input:
                    // find it there for the error's position.
                    let inInput = UTF8Validation.firstInvalidByte(in: UnsafeBufferPointer(rebasing: bytes[contentStart..<index]))
                    throw JSONSyntaxError(offset: contentStart + (inInput ?? bad), message: "invalid UTF-8 in a string")
                }
                index += 1
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                let escapeOffset = index
                guard index + 1 < bytes.count else {
                    throw JSONSyntaxError(offset: quoteOffset, message: "unterminated string")
                }
                index += 1
                switch bytes[index] {
                case UInt8(ascii: "\""): scratch.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): scratch.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    index += 1
                    let scalar = try parseUnicodeEscape(escapeOffset: escapeOffset)
                    appendUTF8(scalar)
                    continue  // parseUnicodeEscape left index after the escape
                default:
                    throw failure("invalid escape \\\(describeByte(bytes[index])) in a string")
                }
                index += 1
            default:
                if byte < 0x20 { throw failure("control character U+00\(hex(byte)) in a string must be escaped") }
                scratch.append(byte)
                index += 1
            }
        }
        throw JSONSyntaxError(offset: quoteOffset, message: "unterminated string")
    }

    /// Reads the four hex digits after `\u` (and a following `\uDC00`–`\uDFFF` when the
    /// first is a high surrogate). Leaves `index` after the last digit.
    private mutating func parseUnicodeEscape(escapeOffset: Int) throws(JSONSyntaxError) -> Unicode.Scalar {
        let first = try fourHexDigits(escapeOffset: escapeOffset)
        switch first {
        case 0xD800...0xDBFF:
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw JSONSyntaxError(offset: escapeOffset, message: "\\u\(hex16(first)) is a high surrogate without its low surrogate")
            }
            let secondOffset = index
            index += 2
            let second = try fourHexDigits(escapeOffset: secondOffset)
            guard (0xDC00...0xDFFF).contains(second) else {
                throw JSONSyntaxError(offset: escapeOffset, message: "\\u\(hex16(first)) is a high surrogate without its low surrogate")
            }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else {
                throw JSONSyntaxError(offset: escapeOffset, message: "invalid \\u escape")
            }
            return scalar
        case 0xDC00...0xDFFF:
            throw JSONSyntaxError(offset: escapeOffset, message: "\\u\(hex16(first)) is a low surrogate without a high surrogate")
        default:
            guard let scalar = Unicode.Scalar(first) else {
                throw JSONSyntaxError(offset: escapeOffset, message: "invalid \\u escape")
            }
            return scalar
        }
    }

    private mutating func fourHexDigits(escapeOffset: Int) throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else {
                throw JSONSyntaxError(offset: escapeOffset, message: "\\u must be followed by four hex digits")
            }
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONSyntaxError(offset: escapeOffset, message: "\\u must be followed by four hex digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: Unicode.Scalar) {
        let value = scalar.value
        switch value {
        case 0..<0x80:
            scratch.append(UInt8(value))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (value >> 6)))
            scratch.append(UInt8(0x80 | (value & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (value >> 12)))
            scratch.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (value & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (value >> 18)))
            scratch.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (value & 0x3F)))
        }
    }

    // MARK: - Numbers

    /// Checks the RFC 8259 number grammar, then converts. Integers of up to 15 digits are
    /// converted exactly without going through text.
    private mutating func parseNumber() throws(JSONSyntaxError) -> Double {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("a number needs digits after '-'") }
        var integer: Int64 = 0
        var digitCount = 0
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw failure("numbers must not have leading zeros") }
            digitCount = 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                if digitCount < 18 { integer = integer * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
                digitCount += 1
                index += 1
            }
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("a number needs digits after '.'") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("a number needs digits in its exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if isInteger && digitCount <= 15 {
            return negative ? -Double(integer) : Double(integer)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONSyntaxError(offset: start, message: "number \(text.prefix(40)) is out of range")
        }
        return value
    }

    // MARK: - Helpers

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func failure(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: index, message: message)
    }

    /// The current byte for a message: `'x'`, `end of input`, or `byte 0xC3`.
    private func describeCurrent() -> String {
        guard index < bytes.count else { return "end of input" }
        return describeByte(bytes[index])
    }

    private func describeByte(_ byte: UInt8) -> String {
        describeJSONByte(byte)
    }

    private func hex(_ byte: UInt8) -> String {
        hexByte(byte)
    }

    private func hex16(_ value: UInt32) -> String {
        hex(UInt8(truncatingIfNeeded: value >> 8)) + hex(UInt8(truncatingIfNeeded: value))
    }
}

/// A byte for a message: `'x'` when it is printable ASCII, otherwise `byte 0xC3`.
func describeJSONByte(_ byte: UInt8) -> String {
    if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
    return "byte 0x\(hexByte(byte))"
}

/// Two upper-case hex digits.
func hexByte(_ byte: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}

/// Strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing past
/// U+10FFFF), with the position of the first bad byte for error messages.
enum UTF8Validation {
    /// The offset of the first byte that does not start or continue a valid sequence, or
    /// nil when all of `bytes` is valid UTF-8.
    static func firstInvalidByte(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var lowest: UInt8 = 0x80  // bounds for the second byte, to refuse overlong
            var highest: UInt8 = 0xBF  // forms, surrogates and values past U+10FFFF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lowest = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; highest = 0x9F
            case 0xF0: length = 4; lowest = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; highest = 0x8F
            default: return index
            }
            guard index + length <= count else { return index }
            let second = bytes[index + 1]
            guard second >= lowest && second <= highest else { return index }
            for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 {
                return index
            }
            index += length
        }
        return nil
    }
}
