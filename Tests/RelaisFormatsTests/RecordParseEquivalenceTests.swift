import Foundation
import RelaisCore
import Testing

@testable import RelaisFormats

/// `InterchangeJSONParser.parseRecord` (straight into a record's fields) against the
/// general parser and the dictionary's decoding, which it replaces for JSON readers: the
/// same event for every record, and the same error, syntax or field, for every mistake.
@Suite struct RecordParseEquivalenceTests {
    /// What a line gives, through one path or the other.
    private enum Outcome: Equatable, CustomStringConvertible {
        case event(Event)
        case syntax(JSONSyntaxError)
        case notAnObject(String)
        case problem(EventFieldProblem)

        var description: String {
            switch self {
            case .event(let event): "event \(event.id)"
            case .syntax(let error): "syntax error at \(error.offset): \(error.message)"
            case .notAnObject(let type): "not an object: \(type)"
            case .problem(let problem): "field \(problem.field): \(problem.message)"
            }
        }
    }

    private static func withBytes<T>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { body(UnsafeBufferPointer($0)) }
    }

    private static func throughDictionary(_ line: String) -> Outcome {
        withBytes(line) { bytes in
            let value: InterchangeValue
            do throws(JSONSyntaxError) {
                value = try InterchangeJSONParser.parse(bytes)
            } catch {
                return .syntax(error)
            }
            guard case .object(let record) = value else { return .notAnObject(value.typeName) }
            do throws(EventFieldProblem) {
                return .event(try EventRecordDecoding.event(from: record))
            } catch {
                return .problem(error)
            }
        }
    }

    private static func throughFields(_ line: String) -> Outcome {
        withBytes(line) { bytes in
            let parsed: InterchangeJSONParser.RecordParse
            do throws(JSONSyntaxError) {
                parsed = try InterchangeJSONParser.parseRecord(bytes)
            } catch {
                return .syntax(error)
            }
            let fields: EventRecordDecoding.RecordFields
            let unknownField: String?
            switch parsed {
            case .notAnObject(let typeName): return .notAnObject(typeName)
            case .record(let parsedFields, let parsedUnknown): (fields, unknownField) = (parsedFields, parsedUnknown)
            }
            do throws(EventFieldProblem) {
                if let unknownField, let problem = EventRecordDecoding.unknownFieldProblem(unknownField) { throw problem }
                return .event(try EventRecordDecoding.event(from: fields))
            } catch {
                return .problem(error)
            }
        }
    }

    private static let valid =
        #"{"id":"mip-1","title":"Atelier","kind":"workshop","slots":[{"start":"2020-11-10T09:30","end":"2020-11-10T11:30"}]"#

    /// Records and near-records: every field's kinds of mistake, syntax errors inside and
    /// after the object, duplicate and unknown names, extension fields, escapes in names.
    static let lines: [String] = [
        valid + "}",
        valid + #","status":"cancelled","region":"75","online":true,"lab":"la-base","organizer":"La Base","place":"Bordeaux","url":"https://x.example","contact":"a@b.example","audience":["agents"],"tags":["design","data"],"description":" Texte  "}"#,
        valid + #","status":null,"region":null,"online":null,"audience":null,"tags":[],"description":null}"#,
        valid + #","x-source":"ti-lab","_note":{"a":[1,2,{"b":null}]}}"#,
        valid + #","\u0074ags":["échappé"]}"#,
        valid + #","title":"Deux"}"#,
        valid + #","x-a":1,"x-a":2}"#,
        valid + #","\u0078-a":1,"x-a":2}"#,
        valid + #","titre":"faute"}"#,
        valid + #","titre":"faute","x-ok":1}"#,
        valid + #","kind":"talk"}"#,
        valid + #","status":"maybe"}"#,
        valid + #","region":"99"}"#,
        valid + #","online":"yes"}"#,
        valid + #","tags":"design"}"#,
        valid + #","tags":["a;b"]}"#,
        valid + #","tags":[1]}"#,
        valid + #","audience":[""]}"#,
        valid + #","lab":"La Base"}"#,
        valid + #","title":"   "}"#,
        valid + #","description":"\r\nligne\r"}"#,
        valid + #","title":"a\u0001b"}"#,
        valid + "} trailing",
        valid + "}}",
        valid + ",}",
        valid + #","title" "x"}"#,
        valid + #","tags":[1,]}"#,
        valid,
        #"{"title":"Atelier","kind":"workshop","slots":[{"start":"2020-11-10T09:30"}]}"#,
        #"{"id":"a b","title":"Atelier","kind":"workshop","slots":[{"start":"2020-11-10T09:30"}]}"#,
        #"{"id":"mip-2","title":"Atelier","kind":"workshop","slots":[]}"#,
        #"{"id":"mip-2","title":"Atelier","kind":"workshop","slots":[{"start":"2020-11-10T09:30","fin":"x"}]}"#,
        #"{"id":"mip-2","title":"Atelier","kind":"workshop","slots":[{"start":"10/11/2020"}]}"#,
        #"{"id":"mip-2","title":"Atelier","kind":"workshop","slots":[{"start":"2020-11-10T09:30","end":"2020-11-10T08:00"}]}"#,
        #"{"id":"mip-2","title":"Atelier","kind":"workshop","slots":{"start":"2020-11-10T09:30"}}"#,
        #"{"id":"mip-2","title":7,"kind":"workshop","slots":[{"start":"2020-11-10T09:30"}]}"#,
        "{}", "{ }", "[]", "[1,2]", "\"texte\"", "42", "null", "true", "{", "{\"id\"", "{\"id\":", "{\"id\":\"x\"",
        "{\"id\":\"x\",", "{\"id\":\"x\" ", "{,}", "{\"id\":\"x\",\"id\":\"x\"}", "{\"a\":1,\"a\":2}",
        "{\"\u{E9}\":1}", "{\"x-\u{E9}\":1,\"x-e\u{301}\":2}", " \t{\"id\":1} ", "[{\"id\":\"x\"}]",
        "{\"slots\":" + String(repeating: "[", count: 200) + "}",
        // Names near the contract's: a prefix, a longer name, another case, a control byte.
        valid + #","descriptions":"x"}"#, valid + #","descriptio":"x"}"#, valid + #","Title":"x"}"#,
        valid + #","ta\u0067s":["x"],"tags":["y"]}"#, valid + ",\"ti\u{1}tle\":\"x\"}", valid + #","":1}"#,
        valid + #","id":"mip-1"}"#, #"{"id""#, #"{"description"#, #"{"description":"#,
    ]

    @Test(arguments: lines)
    func bothPathsAgree(_ line: String) {
        let expected = Self.throughDictionary(line)
        let actual = Self.throughFields(line)
        #expect(actual == expected, "\(line)")
    }

    /// The bundled programme, every record of it.
    @Test func bothPathsAgreeOnTheSampleProgramme() throws {
        let text = try String(contentsOfFile: ExampleFilesTests.jsonLines, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        try #require(lines.count > 20)
        for line in lines {
            let outcome = Self.throughFields(line)
            guard case .event = outcome else {
                Issue.record("\(outcome) for \(line.prefix(80))")
                continue
            }
            #expect(outcome == Self.throughDictionary(line))
        }
    }
}

extension RecordParseEquivalenceTests {
    /// Each field's raw value is its place in the contract's list of names, which the
    /// parser matches on their bytes.
    @Test func fieldsAreInTheOrderOfTheContractsNames() {
        let fields = EventRecordDecoding.RecordFields.Field.allCases
        #expect(fields.count == EventRecordDecoding.fieldNames.count)
        for (position, name) in EventRecordDecoding.fieldNames.enumerated() {
            #expect(EventRecordDecoding.RecordFields.Field(name: name)?.rawValue == position, "\(name)")
        }
    }
}
