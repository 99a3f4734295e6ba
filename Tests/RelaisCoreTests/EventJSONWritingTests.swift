import Foundation
import RelaisCore
import Testing

@Suite("Interchange JSON writing")
struct EventJSONWritingTests {
    static func string(_ text: String) -> String {
        var out: [UInt8] = []
        EventJSONWriting.appendString(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Arrays of strings, plain or with escapes, empty included, are each string as
    /// `appendString` writes it, in brackets, comma-separated.
    @Test func arrayTextIsEachStringLiteral() {
        let lists: [[String]] = [
            [], ["agents"], ["données publiques", "santé"], ["", ""], ["with \"quote\"", "tab\t", "nul\u{0}"],
            [String(repeating: "é", count: 300), "x"],
        ]
        for items in lists {
            var reference: [UInt8] = [UInt8(ascii: "[")]
            for (index, item) in items.enumerated() {
                if index > 0 { reference.append(UInt8(ascii: ",")) }
                EventJSONWriting.appendString(item, to: &reference)
            }
            reference.append(UInt8(ascii: "]"))
            #expect(EventJSONWriting.arrayText(items) == String(decoding: reference, as: UTF8.self), "\(items)")
            var appended: [UInt8] = [0x41]
            EventJSONWriting.appendArrayText(items, to: &appended)
            #expect(appended == [0x41] + reference, "\(items)")
        }
    }

    @Test func exactOutputForASmallEvent() {
        let event = Event(
            id: "mip-1", title: "Atelier", kind: .workshop,
            slots: [slot("2020-11-10T09:30", "2020-11-10T11:30"), slot("2020-11-17", "2020-11-27")],
            region: region("75"), online: true, lab: "la-base", tags: ["design", "agents"])
        #expect(EventJSONWriting.json(event) == """
            {"id":"mip-1","title":"Atelier","kind":"workshop","status":"scheduled","slots":[\
            {"start":"2020-11-10T09:30:00+01:00","end":"2020-11-10T11:30:00+01:00"},\
            {"start":"2020-11-17","end":"2020-11-27"}],"region":"75","online":true,"lab":"la-base",\
            "tags":["design","agents"]}
            """)
    }

    @Test func nationalEventsWriteANullRegionAndLeaveOutAbsentFields() {
        let event = Event(
            id: "n", title: "Forum", kind: .forum, status: .cancelled, slots: [slot("2020-07-14T10:00")])
        #expect(EventJSONWriting.json(event) == """
            {"id":"n","title":"Forum","kind":"forum","status":"cancelled","slots":[{"start":"2020-07-14T10:00:00+02:00"}],\
            "region":null,"online":false}
            """)
    }

    @Test func everyFieldInContractOrder() {
        let event = Event(
            id: "e", title: "T", kind: .callForIdeas, status: .postponed, slots: [slot("2020-11-24")],
            region: region("04"), online: false, lab: "l", organizer: "O", place: "P", url: "U", contact: "C",
            audience: ["agents"], tags: ["t"], description: "D")
        #expect(EventJSONWriting.json(event) == """
            {"id":"e","title":"T","kind":"call-for-ideas","status":"postponed","slots":[{"start":"2020-11-24"}],\
            "region":"04","online":false,"lab":"l","organizer":"O","place":"P","url":"U","contact":"C",\
            "audience":["agents"],"tags":["t"],"description":"D"}
            """)
        #expect(!EventJSONWriting.json(event).contains("\n"))
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("", #""""#),
        (#"He said "hi""#, #""He said \"hi\"""#),
        (#"C:\dossier"#, #""C:\\dossier""#),
        ("ligne 1\nligne 2", #""ligne 1\nligne 2""#),
        ("a\r\nb\tc", #""a\r\nb\tc""#),
        ("\u{00}\u{01}\u{08}\u{0C}\u{1F}", #""\u0000\u0001\u0008\u000c\u001f""#),
        ("Île-de-France – cœur 🎉 «»", #""Île-de-France – cœur 🎉 «»""#),
        ("é\"\u{1F}🎉\\", #""é\"\u001f🎉\\""#),
        ("/ and \u{7F} and \u{2028}", "\"/ and \u{7F} and \u{2028}\""),
    ])
    func escapes(text: String, expected: String) {
        #expect(Self.string(text) == expected)
    }

    @Test(arguments: [
        "plain", "", #"He said "hi""#, #"C:\dossier"#, "ligne 1\nligne 2", "a\r\nb\tc",
        "\u{00}\u{01}\u{08}\u{0C}\u{1F}", "Île-de-France – cœur 🎉", "é\"\u{1F}🎉\\", "\u{2028}\u{2029}",
    ])
    func escapedStringsParseBack(text: String) throws {
        let json = "[" + Self.string(text) + "]"
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String]
        #expect(parsed == [text])
    }

    static let rich = Event(
        id: "mip2020:bzh-007", title: "Hackathon \"Données\" \\ ouvertes\tà Rennes",
        kind: .hackathon, status: .postponed,
        slots: [
            slot("2020-11-10T09:30", "2020-11-10T11:30"),
            slot("2020-11-17", "2020-11-27"),
            slot("2020-10-25T02:30:00+01:00", "2020-10-25T04:00"),
            slot("2020-12-01"),
            slot("2020-07-14T10:00:00Z"),
        ],
        region: Region(code: "93"), online: true, lab: "ti-lab", organizer: "Ti-Lab « Bretagne »",
        place: "Rennes\nSalle 2", url: "https://example.org/?a=1&b=2", contact: "ti-lab@example.org",
        audience: ["agents", "élus"], tags: ["open data", "cœur", "ctrl"],
        description: "Ligne 1\nLigne 2\n\tfin 🎉 — « citations » et \"guillemets\"")

    @Test(arguments: [
        rich,
        Event(id: "min", title: "Minimal", kind: .other, slots: [slot("2020-11-24")]),
    ])
    func outputReadsBackAsTheSameEvent(event: Event) throws {
        #expect(event.validationProblem() == nil)
        let json = EventJSONWriting.json(event)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        guard case .object(let record) = try InterchangeConversion.value(object) else {
            Issue.record("not an object: \(json)")
            return
        }
        let decoded = try EventRecordDecoding.event(from: record)
        #expect(decoded == event)
        #expect(EventJSONWriting.json(decoded) == json)
    }
}

/// Turns what `JSONSerialization` returns into ``InterchangeValue``, as a reader would.
enum InterchangeConversion {
    struct Unsupported: Error { var value: String }

    static func value(_ any: Any) throws -> InterchangeValue {
        switch any {
        case is NSNull:
            return .null
        case let text as String:
            return .string(text)
        case let list as [Any]:
            return .array(try list.map(value))
        case let object as [String: Any]:
            return .object(try object.mapValues(value))
        case let number as NSNumber:
            // JSONSerialization gives booleans as NSNumber; tell them apart by their type.
            if String(cString: number.objCType) == "c" {
                return .bool(number.boolValue)
            }
            return .number(number.doubleValue)
        case let flag as Bool:
            return .bool(flag)
        default:
            throw Unsupported(value: "\(any)")
        }
    }
}
