import Foundation
import RelaisCore
import RelaisFormats
import Testing

@Suite struct JSONLinesReaderTests {
    let reader = JSONLinesReader()

    @Test func readsRecordsWithBOMCRLFAndBlankLines() throws {
        let text = "\u{FEFF}" + Samples.jsonRecord(id: "a") + "\r\n\r\n   \n"
            + Samples.jsonRecord(id: "b", #""region": "Bretagne", "online": true, "tags": [" x ", "y"], "x-note": 1"#)
        let events = try readEvents(reader, name: "e.jsonl", text)
        #expect(events.map(\.id) == ["a", "b"])
        #expect(events[1].region?.code == "53")
        #expect(events[1].online)
        #expect(events[1].tags == ["x", "y"])
        #expect(events[0].slots == [Slot(start: Samples.time("2020-11-10T09:30"), end: Samples.time("2020-11-10T11:30"))])
    }

    @Test func lastLineWithoutNewline() throws {
        let events = try readEvents(reader, name: "e.jsonl", Samples.jsonRecord(id: "a") + "\n" + Samples.jsonRecord(id: "b"))
        #expect(events.map(\.id) == ["a", "b"])
    }

    @Test func streamsManyChunksAndLongLines() throws {
        // Lines straddle the 64 KiB chunks, and one line is longer than a chunk.
        var lines: [String] = []
        for index in 0..<3000 { lines.append(Samples.jsonRecord(id: "e\(index)")) }
        lines.insert(Samples.jsonRecord(id: "long", #""x-padding": "\#(String(repeating: "é", count: 100_000))""#), at: 1234)
        let events = try readEvents(reader, name: "e.jsonl", lines.joined(separator: "\n") + "\n")
        #expect(events.count == 3001)
        #expect(events[1234].id == "long")
        #expect(events.last?.id == "e2999")
    }

    @Test func invalidJSON() {
        expectImportError(
            reader, name: "e.jsonl", Samples.jsonRecord(id: "a") + "\n" + #"{"id": "b", "title" "x"}"#, location: .line(2),
            field: nil, message: "not valid JSON: expected ':' after key \"title\", found '\"' at column 21")
    }

    @Test func recordSplitOverLinesSaysSo() {
        expectImportError(
            reader, name: "e.jsonl", "{\"id\": \"a\",\n\"title\": \"x\"}", location: .line(1), field: nil,
            message: "each JSON Lines record must be on one line")
    }

    @Test func notAnObject() {
        expectImportError(
            reader, name: "e.jsonl", "[1, 2]", location: .line(1), field: nil, message: "expected a JSON object (one event a line), not an array")
    }

    @Test func wrongType() {
        expectImportError(
            reader, name: "e.jsonl", Samples.jsonRecord(#""online": "yes""#), location: .line(1), field: "online",
            message: "must be true or false, not a string")
        expectImportError(
            reader, name: "e.jsonl", #"{"id": "a", "title": 3, "kind": "webinar", "slots": [{"start": "2020-11-10"}]}"#,
            location: .line(1), field: "title", message: "must be a string, not a number")
    }

    @Test func unknownKind() {
        expectImportError(
            reader, name: "e.jsonl", "\n\n" + #"{"id": "a", "title": "t", "kind": "talk", "slots": [{"start": "2020-11-10"}]}"#,
            location: .line(3), field: "kind", message: "unknown kind 'talk'")
    }

    @Test func badTime() {
        expectImportError(
            reader, name: "e.jsonl",
            #"{"id": "a", "title": "t", "kind": "forum", "slots": [{"start": "2020-11-10"}, {"start": "2020-11-31"}]}"#,
            location: .line(1), field: "slots[1].start", message: "'2020-11-31' is not a time")
    }

    @Test func endBeforeStart() {
        expectImportError(
            reader, name: "e.jsonl",
            #"{"id": "a", "title": "t", "kind": "forum", "slots": [{"start": "2020-11-10T10:00", "end": "2020-11-10T09:00"}]}"#,
            location: .line(1), field: "slots[0]", message: "is before start")
    }

    @Test func missingRequiredField() {
        expectImportError(
            reader, name: "e.jsonl", #"{"id": "a", "kind": "forum", "slots": [{"start": "2020-11-10"}]}"#, location: .line(1),
            field: "title", message: "is required")
        expectImportError(
            reader, name: "e.jsonl", #"{"id": "a", "title": "t", "kind": "forum"}"#, location: .line(1), field: "slots",
            message: "is required")
    }

    @Test func unknownField() {
        expectImportError(
            reader, name: "e.jsonl", Samples.jsonRecord(#""titel": "x""#), location: .line(1), field: "titel",
            message: "unknown field")
    }

    @Test func badRegion() {
        expectImportError(
            reader, name: "e.jsonl", Samples.jsonRecord(#""region": "99""#), location: .line(1), field: "region",
            message: "'99' is not the INSEE code of a region")
    }

    @Test func invalidUTF8NamesTheLine() {
        let bytes = Array((Samples.jsonRecord(id: "a") + "\n").utf8) + Array(#"{"id": "b", "title": "caf"#.utf8) + [0xE9]
            + Array(#"", "kind": "forum", "slots": [{"start": "2020-11-10"}]}"#.utf8)
        expectImportError(
            reader, name: "e.jsonl", bytes: bytes, location: .line(2), field: nil,
            message: "not valid JSON: invalid UTF-8 in a string at column 26")
    }

    @Test(arguments: ["", "\u{FEFF}", "\n\n  \r\n"])
    func emptyFile(text: String) {
        expectImportError(reader, name: "e.jsonl", text, location: nil, field: nil, message: "the file is empty")
    }

    @Test func missingFile() throws {
        let directory = try TemporaryDirectory()
        #expect {
            try readEvents(reader, directory.path("absent.jsonl"))
        } throws: { error in
            (error as? ImportError)?.message == "cannot open: No such file or directory"
        }
    }

    @Test func fieldProblemsFromBodyGetTheLine() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("e.jsonl", Samples.jsonRecord(id: "a") + "\n" + Samples.jsonRecord(id: "a") + "\n")
        var seen: Set<String> = []
        let error = #expect(throws: ImportError.self) {
            try reader.read(ImportInput(url: URL(fileURLWithPath: path), displayName: "e.jsonl")) { event in
                if !seen.insert(event.id).inserted { throw EventFieldProblem(field: "id", message: "appears twice") }
            }
        }
        #expect(error == ImportError(file: "e.jsonl", location: .line(2), field: "id", message: "appears twice"))
        #expect(error?.description == "e.jsonl: line 2: field 'id': appears twice")
    }

    @Test func otherErrorsFromBodyPassThrough() throws {
        struct Stop: Error {}
        let directory = try TemporaryDirectory()
        let path = try directory.file("e.jsonl", Samples.jsonRecord(id: "a"))
        #expect(throws: Stop.self) {
            try reader.read(ImportInput(url: URL(fileURLWithPath: path))) { _ in throw Stop() }
        }
    }
}

@Suite struct JSONReaderLimitTests {
    @Test func aLineWithoutEndIsRefusedPastTheLimit() throws {
        let directory = try TemporaryDirectory()
        let bytes = Array((Samples.jsonRecord(id: "a") + "\n{\"id\": \"").utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 17 * 1024 * 1024)
        let path = try directory.file("big.jsonl", bytes: bytes)
        let error = #expect(throws: ImportError.self) { try readEvents(JSONLinesReader(), path) }
        #expect(error?.location == .line(2))
        #expect(error?.message.contains("line longer than 16 MiB") == true)
    }

    @Test func anUnclosedArrayRecordIsRefusedPastTheLimit() throws {
        let directory = try TemporaryDirectory()
        let bytes = Array("[\n\(Samples.jsonRecord(id: "a")),\n{\"id\": [".utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 17 * 1024 * 1024)
        let path = try directory.file("big.json", bytes: bytes)
        let error = #expect(throws: ImportError.self) { try readEvents(JSONArrayReader(), path) }
        #expect(error?.location == .index(1, line: 3))
        #expect(error?.message.contains("record larger than 16 MiB") == true)
    }
}
