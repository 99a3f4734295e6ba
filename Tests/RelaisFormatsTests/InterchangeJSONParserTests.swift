import RelaisCore
import Testing

@testable import RelaisFormats

@Suite struct InterchangeJSONParserTests {
    private func parse(_ text: String) throws(JSONSyntaxError) -> InterchangeValue {
        try InterchangeJSONParser.parse(text)
    }

    private func failure(_ text: String) -> JSONSyntaxError? {
        do {
            let value = try parse(text)
            Issue.record("expected a syntax error for \(text), got \(value)")
            return nil
        } catch {
            return error
        }
    }

    private func failure(bytes: [UInt8]) -> JSONSyntaxError? {
        let result: Result<InterchangeValue, JSONSyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONSyntaxError) -> InterchangeValue in try InterchangeJSONParser.parse(buffer) }
        }
        if case .failure(let error) = result { return error }
        Issue.record("expected a syntax error")
        return nil
    }

    /// Strings are scanned eight bytes at a time: a quote, an escape, a control character,
    /// an accented letter or a bad byte is found at every position and in every length.
    @Test func everyPositionOfAStringIsScannedAlike() throws {
        for length in 0...20 {
            for position in 0..<max(length, 1) {
                var plain = Array(repeating: "a", count: length)
                #expect(try parse("\"" + plain.joined() + "\"") == .string(plain.joined()))
                guard length > 0 else { continue }
                plain[position] = "é"
                #expect(try parse("\"" + plain.joined() + "\"") == .string(plain.joined()))
                plain[position] = "\\n"
                var expected = Array(repeating: "a", count: length)
                expected[position] = "\n"
                #expect(try parse("\"" + plain.joined() + "\"") == .string(expected.joined()))

                var bytes = [UInt8(ascii: "\"")] + Array(repeating: UInt8(ascii: "a"), count: length) + [UInt8(ascii: "\"")]
                for control: UInt8 in [0x00, 0x09, 0x1F] {
                    bytes[1 + position] = control
                    #expect(failure(bytes: bytes)?.offset == 1 + position, "\(control) at \(position) of \(length)")
                }
                bytes[1 + position] = 0x20
                #expect(try parse(String(decoding: bytes, as: UTF8.self)) == .string(
                    String(decoding: bytes[1..<(bytes.count - 1)], as: UTF8.self)))
                bytes[1 + position] = 0xFF
                #expect(failure(bytes: bytes)?.offset == 1 + position, "bad byte at \(position) of \(length)")
                bytes[1 + position] = UInt8(ascii: "\"")
                #expect(failure(bytes: bytes) != nil, "early quote at \(position) of \(length)")
            }
        }
    }

    @Test func scalars() throws {
        #expect(try parse("true") == .bool(true))
        #expect(try parse(" false ") == .bool(false))
        #expect(try parse("null") == .null)
        #expect(try parse(#""text""#) == .string("text"))
    }

    @Test(arguments: [
        ("0", 0.0), ("-0", -0.0), ("42", 42.0), ("-17", -17.0), ("3.25", 3.25), ("-0.5", -0.5), ("1e3", 1000.0),
        ("2E-2", 0.02), ("1.5e+2", 150.0), ("123456789012345678", 123456789012345678.0),
        ("9007199254740993", 9007199254740992.0), ("0.1", 0.1),
    ])
    func numbers(text: String, expected: Double) throws {
        #expect(try parse(text) == .number(expected))
    }

    @Test(arguments: ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.5.2", "--1", "Infinity", "NaN", "1e400"])
    func invalidNumbers(text: String) {
        #expect(failure(text) != nil)
    }

    @Test func nestedStructures() throws {
        let value = try parse(#" {"a": [1, [true, null], {"b": {}}, []], "c": {"d": "e"}} "#)
        #expect(
            value
                == .object([
                    "a": .array([.number(1), .array([.bool(true), .null]), .object(["b": .object([:])]), .array([])]),
                    "c": .object(["d": .string("e")]),
                ]))
    }

    @Test func escapes() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""\u00e9\u00C9 \u20AC \u0000""#) == .string("éÉ € \u{0}"))
        #expect(try parse(#""\ud83d\ude00 and \uD834\uDD1E""#) == .string("😀 and 𝄞"))
        #expect(try parse(#""café 😀 direct""#) == .string("café 😀 direct"))
        #expect(try parse(#""before \n after é""#) == .string("before \n after é"))
    }

    @Test func badEscapes() {
        #expect(failure(#""\x""#)?.message.contains("invalid escape") == true)
        #expect(failure(#""\u12""#)?.message.contains("four hex digits") == true)
        #expect(failure(#""\ud83d""#)?.message.contains("high surrogate") == true)
        #expect(failure(#""\ud83d\u0041""#)?.message.contains("high surrogate") == true)
        #expect(failure(#""\ude00""#)?.message.contains("low surrogate") == true)
    }

    @Test func stringRules() {
        #expect(failure("\"tab\there\"")?.message.contains("control character") == true)
        #expect(failure("\"line\nbreak\"")?.message.contains("control character") == true)
        #expect(failure(#""ends with a backslash\"#)?.message == "unterminated string")
        let unterminated = failure(#"{"a": "open"#)
        #expect(unterminated?.message == "unterminated string")
        #expect(unterminated?.offset == 6)
    }

    @Test func invalidUTF8IsReportedWhereItIs() {
        // "ab" then a lone continuation byte.
        let error = failure(bytes: Array(#"{"k": "ab"#.utf8) + [0x80] + Array(#"c"}"#.utf8))
        #expect(error?.message == "invalid UTF-8 in a string")
        #expect(error?.offset == 9)
        // Overlong encoding of '/', a surrogate, and a truncated sequence.
        #expect(failure(bytes: [0x22, 0xC0, 0xAF, 0x22]) != nil)
        #expect(failure(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22]) != nil)
        #expect(failure(bytes: [0x22, 0xE2, 0x82, 0x22]) != nil)
        // After an escape, too.
        #expect(failure(bytes: [0x22, 0x5C, 0x6E, 0xFF, 0x22])?.message == "invalid UTF-8 in a string")
        // Outside strings, a non-ASCII byte is simply unexpected.
        #expect(failure(bytes: [0xC3, 0xA9])?.message.contains("byte 0xC3") == true)
    }

    @Test func structuralErrors() {
        #expect(failure("")?.message.contains("empty") == true)
        #expect(failure("{")?.message.contains("end of input") == true)
        #expect(failure(#"{"a" 1}"#)?.message.contains("expected ':'") == true)
        #expect(failure(#"{"a": 1,}"#)?.message.contains("expected a quoted key") == true)
        #expect(failure(#"{a: 1}"#)?.message.contains("expected a quoted key") == true)
        #expect(failure("[1 2]")?.message.contains("expected ',' or ']'") == true)
        #expect(failure("[1,]")?.message.contains("expected a value") == true)
        #expect(failure("{} {}")?.message.contains("after the JSON value") == true)
        #expect(failure("tru")?.message.contains("expected a value") == true)
        #expect(failure("nul")?.offset == 0)
    }

    @Test func duplicateKeysAreRefused() {
        let error = failure(#"{"title": "a", "title": "b"}"#)
        #expect(error?.message.contains("duplicate key \"title\"") == true)
        #expect(error?.offset == 15)
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(failure(deep)?.message.contains("nesting deeper") == true)
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try parse(fine) }
    }
}
