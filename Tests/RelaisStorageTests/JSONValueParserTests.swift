import Foundation
import RelaisCore
import Testing

@testable import RelaisStorage

/// The change log's JSON reader: canonical JSON reads back to the same event, and no
/// input makes it crash.
@Suite struct JSONValueParserTests {
    @Test func canonicalJSONReadsBackToTheSameEvent() throws {
        let event = try makeEvent(
            "e-1", title: "« Guillemets » \"doubles\" \\ et \tcontrôle", kind: .callForIdeas,
            status: .postponed, slots: [slot("2020-11-10T09:30", "2020-11-10T11:30"), slot("2020-11-17", "2020-11-27")],
            region: "93", online: true, lab: "siilab", organizer: "Ville 😀", place: "Tab\there",
            tags: ["a", "b\"c\\d"], description: "Ligne\nsuivante\t\u{2028}"
        ).normalized()
        let json = EventJSONWriting.json(event)
        guard case .object(let record) = try JSONValueParser.parse(json) else {
            Issue.record("not an object")
            return
        }
        #expect(try EventRecordDecoding.event(from: record) == event)
    }

    @Test func readsEveryKindOfValue() throws {
        let value = try JSONValueParser.parse(
            #" { "a" : [1, -2.5e3, true, false, null, "x\/y", "\u00e9\ud83d\ude00", {}, []] } "#)
        #expect(
            value
                == .object([
                    "a": .array([
                        .number(1), .number(-2500), .bool(true), .bool(false), .null, .string("x/y"), .string("é😀"),
                        .object([:]), .array([]),
                    ])
                ]))
        #expect(try JSONValueParser.parse(#""\ud83d""#) == .string("\u{FFFD}"))
        #expect(try JSONValueParser.parse(#""\ud83d\u0041""#) == .string("\u{FFFD}A"))
    }

    @Test func malformedTextThrows() {
        for text in [
            "", " ", "{", "}", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{a:1}", "tru", "nul", "1e", "--1", "\"abc",
            "\"\\u12\"", "\"\\x\"", "\"a\u{1}b\"", "[1] 2", "{\"a\":1,}", String(repeating: "[", count: 10_000),
        ] {
            #expect(throws: (any Error).self, "\(text.prefix(20))") { try JSONValueParser.parse(text) }
        }
    }
}
