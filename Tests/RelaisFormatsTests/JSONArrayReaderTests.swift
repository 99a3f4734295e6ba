import Foundation
import RelaisCore
import RelaisFormats
import Testing

@Suite struct JSONArrayReaderTests {
    let reader = JSONArrayReader()

    @Test func readsAPrettyPrintedArrayWithBOM() throws {
        let text = """
            \u{FEFF}  [
              {
                "id": "a",
                "title": "Un titre avec ] et } et \\" dedans",
                "kind": "webinar",
                "slots": [{"start": "2020-11-17", "end": "2020-11-18"}],
                "region": null
              },
              \(Samples.jsonRecord(id: "b"))
            ]

            """
        let events = try readEvents(reader, name: "e.json", text)
        #expect(events.map(\.id) == ["a", "b"])
        #expect(events[0].title == "Un titre avec ] et } et \" dedans")
        #expect(events[0].region == nil)
    }

    @Test func emptyArrayHasNoEvents() throws {
        #expect(try readEvents(reader, name: "e.json", "[]\n").isEmpty)
        #expect(try readEvents(reader, name: "e.json", " [ \n ] ").isEmpty)
    }

    @Test func streamsAcrossChunks() throws {
        let records = (0..<2000).map { Samples.jsonRecord(id: "e\($0)", #""description": "\#(String(repeating: "x", count: 50))""#) }
        let long = Samples.jsonRecord(id: "long", #""x-pad": "\#(String(repeating: "\\\"", count: 70_000))""#)
        let text = "[" + (records.prefix(1000) + [long] + records.dropFirst(1000)).joined(separator: ",\n") + "]"
        let events = try readEvents(reader, name: "e.json", text)
        #expect(events.count == 2001)
        #expect(events[1000].id == "long")
        #expect(events.last?.id == "e1999")
    }

    @Test func errorsNameTheRecordAndItsLine() {
        let text = "[\n" + Samples.jsonRecord(id: "a") + ",\n" + Samples.jsonRecord(id: "b", #""kind": "talk""#) + "\n]"
        // "kind" twice: the parser refuses duplicate keys before the kind is looked at.
        expectImportError(reader, name: "e.json", text, location: .index(1, line: 3), field: nil, message: "duplicate key \"kind\"")
        let unknownKind = "[\n" + Samples.jsonRecord(id: "a") + ",\n\n"
            + #"{"id": "b", "title": "t", "kind": "talk", "slots": [{"start": "2020-11-10"}]}"# + "\n]"
        expectImportError(reader, name: "e.json", unknownKind, location: .index(1, line: 4), field: "kind", message: "unknown kind 'talk'")
    }

    @Test func fieldErrors() {
        let cases: [(String, String, String)] = [
            (#""online": 1"#, "online", "must be true or false, not a number"),
            (#""region": "Atlantis""#, "region", "is not the INSEE code of a region"),
            (#""colour": "red""#, "colour", "unknown field"),
        ]
        for (extra, field, message) in cases {
            expectImportError(
                reader, name: "e.json", "[" + Samples.jsonRecord(extra) + "]", location: .index(0, line: 1), field: field,
                message: message)
        }
        expectImportError(
            reader, name: "e.json", #"[{"id": "a", "title": "t", "kind": "forum", "slots": [{"start": "2020-11-10", "end": "2020-11-09"}]}]"#,
            location: .index(0, line: 1), field: "slots[0]", message: "is before start")
        expectImportError(
            reader, name: "e.json", #"[{"id": "a", "title": "t", "kind": "forum", "slots": [{"start": "10/11/2020"}]}]"#,
            location: .index(0, line: 1), field: "slots[0].start", message: "is not a time")
        expectImportError(
            reader, name: "e.json", #"[{"id": "a", "kind": "forum", "slots": [{"start": "2020-11-10"}]}]"#,
            location: .index(0, line: 1), field: "title", message: "is required")
    }

    @Test func syntaxErrorInsideARecordSaysWhere() {
        let text = "[\n" + Samples.jsonRecord(id: "a") + ",\n{\n  \"id\": \"b\",\n  \"title\" \"x\"\n}\n]"
        expectImportError(
            reader, name: "e.json", text, location: .index(1, line: 3), field: nil,
            message: "not valid JSON at line 5, column 11: expected ':' after key \"title\"")
    }

    @Test func mismatchedBracketIsFoundAtTheEnd() {
        let text = #"[{"id": "a", "slots": [{"start": "2020-11-10"}}, {"id": "b"}]"#
        expectImportError(
            reader, name: "e.json", text, location: .index(0, line: 1), field: nil, message: "expected ',' or ']' in an array, found '}'")
    }

    @Test func notAnArray() {
        expectImportError(
            reader, name: "e.json", Samples.jsonRecord(), location: .line(1), field: nil, message: "use JSON Lines")
        expectImportError(reader, name: "e.json", "\n\"text\"", location: .line(2), field: nil, message: "expected a JSON array")
    }

    @Test func elementNotAnObject() {
        expectImportError(
            reader, name: "e.json", "[\n" + Samples.jsonRecord() + ",\n 42\n]", location: .index(1, line: 3), field: nil,
            message: "expected a JSON object (an event), not a number")
        expectImportError(
            reader, name: "e.json", "[\"a\"]", location: .index(0, line: 1), field: nil, message: "not a string")
    }

    @Test func punctuationErrors() {
        expectImportError(
            reader, name: "e.json", "[" + Samples.jsonRecord() + "\n" + Samples.jsonRecord() + "]", location: .line(2), field: nil,
            message: "expected ',' or ']' after record 0")
        expectImportError(
            reader, name: "e.json", "[" + Samples.jsonRecord() + ",\n]", location: .line(2), field: nil, message: "trailing comma")
        expectImportError(
            reader, name: "e.json", "[" + Samples.jsonRecord() + "]\n]", location: .line(2), field: nil,
            message: "unexpected ']' after the array's closing ']'")
        expectImportError(
            reader, name: "e.json", "[" + Samples.jsonRecord() + ",\n,]", location: .line(2), field: nil,
            message: "expected record 1, found ','")
    }

    @Test func truncatedFiles() {
        expectImportError(
            reader, name: "e.json", "[" + Samples.jsonRecord() + ",\n", location: .line(2), field: nil, message: "not closed with ']'")
        expectImportError(
            reader, name: "e.json", "[\n" + Samples.jsonRecord().dropLast(3), location: .index(0, line: 2), field: nil,
            message: "unexpected end of file inside the record")
        expectImportError(reader, name: "e.json", "[1", location: .line(1), field: nil, message: "not closed with ']'")
    }

    @Test func invalidUTF8() {
        let bytes = Array("[\n{\"id\": \"a\", \"title\": \"".utf8) + [0xFF] + Array("\"}]".utf8)
        expectImportError(
            reader, name: "e.json", bytes: bytes, location: .index(0, line: 2), field: nil,
            message: "not valid JSON at line 2, column 23: invalid UTF-8 in a string")
    }

    @Test(arguments: ["", "\u{FEFF}", " \n "])
    func emptyFile(text: String) {
        expectImportError(reader, name: "e.json", text, location: nil, field: nil, message: "the file is empty")
    }

    @Test func fieldProblemsFromBodyGetTheRecord() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("e.json", "[\n" + Samples.jsonRecord(id: "a") + ",\n" + Samples.jsonRecord(id: "b") + "\n]")
        let error = #expect(throws: ImportError.self) {
            try reader.read(ImportInput(url: URL(fileURLWithPath: path), displayName: "e.json")) { event in
                if event.id == "b" { throw EventFieldProblem(field: "id", message: "no") }
            }
        }
        #expect(error?.location == .index(1, line: 3))
    }
}
