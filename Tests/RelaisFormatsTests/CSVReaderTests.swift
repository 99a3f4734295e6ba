import Foundation
import RelaisCore
import RelaisFormats
import Testing

@Suite struct CSVReaderTests {
    let reader = CSVReader()
    static let header = "id,title,kind,status,start,end,region,online,lab,organizer,place,url,contact,audience,tags,description"

    @Test func readsCommaSeparatedRowsGroupingSlotsById() throws {
        let text = """
            \(Self.header)
            a,Atelier,workshop,,2020-11-10T09:30,2020-11-10T11:30,Nouvelle-Aquitaine,oui,la-base,,,,,agents; public,design;;numérique ,
            b,Forum,forum,cancelled,2020-11-12,,,,,,,,,,,
            a,Atelier,workshop,,2020-11-17T09:30,2020-11-17T11:30,75,YES,la-base,,,,,agents;public,design;numérique,

            """
        let events = try readEvents(reader, name: "e.csv", text)
        #expect(events.map(\.id) == ["a", "b"])
        let atelier = try #require(events.first)
        #expect(atelier.slots.map(\.start) == [Samples.time("2020-11-10T09:30"), Samples.time("2020-11-17T09:30")])
        #expect(atelier.region?.code == "75")
        #expect(atelier.online)
        #expect(atelier.audience == ["agents", "public"])
        #expect(atelier.tags == ["design", "numérique"])
        #expect(atelier.status == .scheduled)
        #expect(events[1] == Event(id: "b", title: "Forum", kind: .forum, status: .cancelled, slots: [Slot(start: Samples.time("2020-11-12"))]))
    }

    @Test func semicolonsCRLFBOMAndQuotedNewlines() throws {
        let text = "\u{FEFF}id;title;kind;start;end;description;tags\r\n"
            + "x1;\"Titre; avec point-virgule\";webinar;2020-11-10;2020-11-11;\"Ligne 1\r\nLigne \"\"2\"\"\";\"a;b\"\r\n"
            + "x2;Deux;forum;2020-11-12;;\"\";\r\n"
        let events = try readEvents(reader, name: "e.csv", text)
        #expect(events.count == 2)
        #expect(events[0].title == "Titre; avec point-virgule")
        #expect(events[0].description == "Ligne 1\nLigne \"2\"")  // line breaks are stored as LF
        #expect(events[0].tags == ["a", "b"])
        #expect(events[0].slots == [Slot(start: Samples.time("2020-11-10"), end: Samples.time("2020-11-11"))])
        #expect(events[1].description == nil)
    }

    @Test func headerOnlyMeansNoEvents() throws {
        #expect(try readEvents(reader, name: "e.csv", Self.header + "\r\n").isEmpty)
    }

    @Test func headerIsCaseInsensitiveAndExtensionColumnsAreIgnored() throws {
        let text = "ID, Title ,KIND,Start,x-note,_internal,\n1,Un,other,2020-11-10,anything,else,\n"
        let events = try readEvents(reader, name: "e.csv", text)
        #expect(events.map(\.title) == ["Un"])
    }

    @Test(arguments: [("true", true), ("FALSE", false), ("1", true), ("0", false), ("Oui", true), ("non", false), ("no", false), ("vrai", true)])
    func onlineSpellings(cell: String, expected: Bool) throws {
        let events = try readEvents(reader, name: "e.csv", "id,title,kind,start,online\na,t,forum,2020-11-10,\(cell)\n")
        #expect(events.first?.online == expected)
    }

    @Test func aQuoteInsideAnUnquotedCellIsKept() throws {
        let events = try readEvents(reader, name: "e.csv", "id,title,kind,start\na,Le \"lab\",forum,2020-11-10\n")
        #expect(events.first?.title == "Le \"lab\"")
    }

    @Test func lineNumbersCountQuotedLineBreaks() {
        let text = "id,title,kind,start,description\na,t,forum,2020-11-10,\"one\ntwo\nthree\"\nb,t,talk,2020-11-10,\n"
        expectImportError(reader, name: "e.csv", text, location: .line(5), field: "kind", message: "unknown kind 'talk'")
    }

    @Test func rowsThatDisagree() {
        let text = "id,title,kind,start,place\na,t,forum,2020-11-10,Rennes\nb,t,forum,2020-11-10,\na,t,forum,2020-11-11,Brest\n"
        expectImportError(
            reader, name: "e.csv", text, location: .line(4), field: "place",
            message: "differs from line 2, which has the same id ('Brest' here, 'Rennes' there)")
    }

    @Test func aBadSlotOnALaterRowNamesThatRow() {
        let text = "id,title,kind,start,end\na,t,forum,2020-11-10,\na,t,forum,2020-11-12,2020-11-11\n"
        expectImportError(reader, name: "e.csv", text, location: .line(3), field: "end", message: "is before start")
    }

    @Test func unterminatedQuote() {
        let text = "id,title,kind,start\na,t,forum,2020-11-10\nb,\"open title,forum,2020-11-10\nc,t,forum,2020-11-10\n"
        expectImportError(
            reader, name: "e.csv", text, location: .line(3), field: "title",
            message: "unterminated quoted cell: the quote opened on line 3 is never closed")
    }

    @Test func textAfterAClosingQuote() {
        expectImportError(
            reader, name: "e.csv", "id,title,kind,start\na,\"t\"x,forum,2020-11-10\n", location: .line(2), field: "title",
            message: "unexpected 'x' after the closing quote")
    }

    @Test func badOnlineValue() {
        expectImportError(
            reader, name: "e.csv", "id,title,kind,start,online\na,t,forum,2020-11-10,false\nb,t,forum,2020-11-10,maybe\n",
            location: .line(3), field: "online", message: "'maybe' is not a boolean")
    }

    @Test func cellLevelRules() {
        let header = "id,title,kind,start,end,region\n"
        let cases: [(String, String, String)] = [
            ("a,t,forum,2020-13-01,,", "start", "'2020-13-01' is not a time"),
            ("a,t,forum,2020-11-10,11/11/2020,", "end", "is not a time"),
            ("a,t,forum,2020-11-10T10:00,2020-11-10T09:00,", "end", "is before start"),
            ("a,t,forum,2020-11-10,2020-11-10T09:00,", "end", "must both be days or both be date-times"),
            ("a,t,forum,,,", "start", "is required"),
            ("a,,forum,2020-11-10,,", "title", "is required"),
            (",t,forum,2020-11-10,,", "id", "is required"),
            ("a b,t,forum,2020-11-10,,", "id", "must be 1–200 characters"),
            ("a,t,party,2020-11-10,,", "kind", "unknown kind 'party'"),
            ("a,t,forum,2020-11-10,,Atlantide", "region", "'Atlantide' is not the INSEE code of a region"),
        ]
        for (row, field, message) in cases {
            expectImportError(reader, name: "e.csv", header + "b,t,forum,2020-11-10,,\n" + row + "\n", location: .line(3), field: field, message: message)
        }
    }

    @Test func regionByNameOrCode() throws {
        let events = try readEvents(
            reader, name: "e.csv", "id,title,kind,start,region\na,t,forum,2020-11-10,ile-de-france\nb,t,forum,2020-11-10,53\n")
        #expect(events.map { $0.region?.code } == ["11", "53"])
    }

    @Test func unknownColumn() {
        expectImportError(
            reader, name: "e.csv", "id,title,kind,start,colour\na,t,forum,2020-11-10,red\n", location: .line(1), field: "colour",
            message: "unknown column")
        expectImportError(
            reader, name: "e.csv", "id,title,kind,slots\n", location: .line(1), field: "slots", message: "columns start and end")
        expectImportError(
            reader, name: "e.csv", "id,title,kind,start,title\n", location: .line(1), field: "title", message: "appears twice")
    }

    @Test func missingRequiredColumns() {
        expectImportError(
            reader, name: "e.csv", "id;title;place\na;t;x\n", location: .line(1), field: nil, message: "missing required columns: kind, start")
    }

    @Test func wrongNumberOfCells() {
        expectImportError(
            reader, name: "e.csv", "id,title,kind,start\na,t,forum,2020-11-10,extra\n", location: .line(2), field: nil,
            message: "the row has 5 cells but the header has 4 columns")
    }

    @Test func unnamedColumnsMustStayEmpty() throws {
        #expect(try readEvents(reader, name: "e.csv", "id,title,kind,start,\na,t,forum,2020-11-10,\n").count == 1)
        expectImportError(
            reader, name: "e.csv", "id,title,kind,start,\na,t,forum,2020-11-10,x\n", location: .line(2), field: "column 5",
            message: "no name")
    }

    @Test func invalidUTF8() {
        let bytes = Array("id;title;kind;start\r\na;ok;forum;2020-11-10\r\nb;caf".utf8) + [0xE9] + Array(";forum;2020-11-10\r\n".utf8)
        expectImportError(reader, name: "e.csv", bytes: bytes, location: .line(3), field: "title", message: "invalid UTF-8")
    }

    @Test(arguments: ["", "\u{FEFF}", "\n\r\n"])
    func emptyFile(text: String) {
        expectImportError(reader, name: "e.csv", text, location: nil, field: nil, message: "the file is empty")
    }

    @Test func manyRowsAcrossChunks() throws {
        var text = "id;title;kind;start;description\n"
        for index in 0..<3000 {
            text += "e\(index % 1000);Titre;forum;2020-11-\(10 + index / 1000);\"ligne;\n\(String(repeating: "y", count: index % 40))\"\n"
        }
        let events = try readEvents(reader, name: "e.csv", text)
        // Rows of one id are 1000 rows apart, and their descriptions agree (1000 % 40 == 0).
        #expect(events.count == 1000)
        #expect(events.allSatisfy { $0.slots.count == 3 })
        #expect(events.map(\.id) == (0..<1000).map { "e\($0)" })
    }

    @Test func fieldProblemsFromBodyGetTheFirstRow() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("e.csv", "id,title,kind,start\na,t,forum,2020-11-10\nb,t,forum,2020-11-10\na,t,forum,2020-11-11\n")
        let error = #expect(throws: ImportError.self) {
            try reader.read(ImportInput(url: URL(fileURLWithPath: path), displayName: "e.csv")) { event in
                if event.id == "b" { throw EventFieldProblem(field: "id", message: "no") }
            }
        }
        #expect(error?.location == .line(3))
    }
}

@Suite struct CSVReaderLimitTests {
    @Test func anUnclosedQuoteDoesNotBufferTheWholeFile() throws {
        let directory = try TemporaryDirectory()
        var bytes = Array("id,title,kind,start\na,\"never closed,forum,2020-11-10\n".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 17 * 1024 * 1024)
        let path = try directory.file("big.csv", bytes: bytes)
        let error = #expect(throws: ImportError.self) { try readEvents(CSVReader(), path) }
        #expect(error?.location == .line(2))
        #expect(error?.field == "title")
        #expect(error?.message.contains("is the quote opened on line 2 ever closed?") == true)
    }
}

extension CSVReaderLimitTests {
    @Test func aFileWithoutLineEndsIsNotCSV() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("one-line.csv", bytes: [UInt8](repeating: UInt8(ascii: "x"), count: 2 * 1024 * 1024))
        let error = #expect(throws: ImportError.self) { try readEvents(CSVReader(), path) }
        #expect(error?.message.contains("no header line in the first 1 MiB") == true)
    }
}
