import Foundation
import RelaisCore
import RelaisFormats
import Testing

@Suite struct WriterTests {
    static let workshopJSON =
        #"{"id":"mip2020-test","title":"Atelier « design », 1","kind":"workshop","status":"scheduled","slots":[{"start":"2020-11-10T09:30:00+01:00","end":"2020-11-10T11:30:00+01:00"}],"region":"75","online":true,"lab":"la-base","organizer":"La Base","place":"Bordeaux; salle \"A\"","audience":["agents"],"tags":["design","numérique"],"description":"Ligne 1\nLigne 2"}"#
    static let nationalJSON =
        #"{"id":"mip2020-national","title":"Mois de l’innovation publique","kind":"other","status":"postponed","slots":[{"start":"2020-11-02","end":"2020-11-30"}],"region":null,"online":false}"#

    private func written(_ events: [Event], _ make: (StringTextOutput) -> any EventWriter) throws -> String {
        let output = StringTextOutput()
        let writer = make(output)
        try writer.begin()
        for event in events { try writer.write(event) }
        try writer.finish()
        return output.text
    }

    @Test func jsonLinesGolden() throws {
        let text = try written([Samples.workshop, Samples.national]) { JSONLinesWriter(output: $0, options: ExportOptions()) }
        #expect(text == Self.workshopJSON + "\n" + Self.nationalJSON + "\n")
        #expect(try written([]) { JSONLinesWriter(output: $0, options: ExportOptions()) } == "")
    }

    @Test func jsonArrayGolden() throws {
        let two = try written([Samples.workshop, Samples.national]) { JSONArrayWriter(output: $0, options: ExportOptions()) }
        #expect(two == "[\n" + Self.workshopJSON + ",\n" + Self.nationalJSON + "\n]\n")
        let one = try written([Samples.workshop]) { JSONArrayWriter(output: $0, options: ExportOptions()) }
        #expect(one == "[\n" + Self.workshopJSON + "\n]\n")
        #expect(try written([]) { JSONArrayWriter(output: $0, options: ExportOptions()) } == "[]\n")
        // Whatever the content, it is valid JSON to a standard parser.
        let parsed = try JSONSerialization.jsonObject(with: Data(two.utf8)) as? [Any]
        #expect(parsed?.count == 2)
    }

    @Test func csvGolden() throws {
        let text = try written([Samples.workshop]) { CSVWriter(output: $0, options: ExportOptions()) }
        #expect(
            text
                == "id,title,kind,status,start,end,region,online,lab,organizer,place,url,contact,audience,tags,description\r\n"
                + "mip2020-test,\"Atelier « design », 1\",workshop,scheduled,2020-11-10T09:30:00+01:00,2020-11-10T11:30:00+01:00,"
                + "75,true,la-base,La Base,\"Bordeaux; salle \"\"A\"\"\",,,agents,design;numérique,\"Ligne 1\nLigne 2\"\r\n")
    }

    @Test func csvWithSemicolonsAndBOMGolden() throws {
        var options = ExportOptions()
        options.csvDelimiter = ";"
        options.byteOrderMark = true
        let text = try written([Samples.workshop, Samples.national]) { CSVWriter(output: $0, options: options) }
        #expect(
            text
                == "\u{FEFF}id;title;kind;status;start;end;region;online;lab;organizer;place;url;contact;audience;tags;description\r\n"
                + "mip2020-test;Atelier « design », 1;workshop;scheduled;2020-11-10T09:30:00+01:00;2020-11-10T11:30:00+01:00;"
                + "75;true;la-base;La Base;\"Bordeaux; salle \"\"A\"\"\";;;agents;\"design;numérique\";\"Ligne 1\nLigne 2\"\r\n"
                + "mip2020-national;Mois de l’innovation publique;other;postponed;2020-11-02;2020-11-30;;false;;;;;;;;\r\n")
    }

    @Test func csvWritesOneRowASlot() throws {
        var event = Samples.multiSlot
        event.description = nil  // its CRLF would add lines inside quotes
        let text = try written([event]) { CSVWriter(output: $0, options: ExportOptions()) }
        let rows = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        // Header, then three slots.
        #expect(rows.count == 4)
        #expect(text.contains(",2020-11-24T14:00:00+01:00,,53,false,ti-lab,"))
        #expect(text.contains(",2020-11-26,,53,"))
    }

    @Test(arguments: [Character(","), Character(";")])
    func csvQuotesEveryCellThatNeedsItAtAnyOffset(delimiter: Character) throws {
        // Titles of every length up to 40 with the delimiter, the other delimiter, quotes
        // and line breaks at every offset of an eight-byte word, and the tags joined by `;`,
        // compared with RFC 4180 quoting done character by character.
        let alphabet: [String] = ["a", "é", ",", ";", "\"", "\r", "\n", "€", " ", "\t"]
        func quoted(_ cell: String) -> String {
            guard cell.unicodeScalars.contains(where: { "\(delimiter)\"\r\n".unicodeScalars.contains($0) }) else { return cell }
            return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var options = ExportOptions()
        options.csvDelimiter = delimiter
        var mismatches: [String] = []
        for title in mixedTexts(of: alphabet, perLength: 25, seed: 0x2545_F491_4F6C_DD1D) {
            var event = Samples.workshop
            event.title = title
            event.tags = [title, "x"]
            let text = try written([event]) { CSVWriter(output: $0, options: options) }
            let separator = String(delimiter)
            let expectedTitle = separator + quoted(title) + separator + "workshop" + separator
            let expectedTags = separator + quoted(title + ";x") + separator
            if !text.contains(expectedTitle) || !text.contains(expectedTags) { mismatches.append(title) }
        }
        #expect(mismatches.count == 0, "first titles quoted wrongly: \(mismatches.prefix(3))")
    }

    @Test func csvEmptyExportIsTheHeader() throws {
        #expect(try written([]) { CSVWriter(output: $0, options: ExportOptions()) } == CSVReaderTests.header + "\r\n")
    }

    @Test func csvRefusesOtherDelimiters() {
        var options = ExportOptions()
        options.csvDelimiter = "\t"
        #expect(throws: UnsupportedExportOption.self) {
            try CSVWriter(output: StringTextOutput(), options: options).begin()
        }
    }

    // MARK: - Round trips

    private func roundTrip(_ events: [Event], name: String, reader: some EventReader, _ make: (StringTextOutput) -> any EventWriter) throws -> [Event] {
        let directory = try TemporaryDirectory()
        let path = try directory.file(name, try written(events, make))
        return try readEvents(reader, path)
    }

    @Test func jsonLinesRoundTrip() throws {
        let back = try roundTrip(Samples.all, name: "e.jsonl", reader: JSONLinesReader()) { JSONLinesWriter(output: $0, options: ExportOptions()) }
        #expect(back == Samples.all)
    }

    @Test func jsonArrayRoundTrip() throws {
        let back = try roundTrip(Samples.all, name: "e.json", reader: JSONArrayReader()) { JSONArrayWriter(output: $0, options: ExportOptions()) }
        #expect(back == Samples.all)
        #expect(try roundTrip([], name: "e.json", reader: JSONArrayReader()) { JSONArrayWriter(output: $0, options: ExportOptions()) }.isEmpty)
    }

    @Test(arguments: [(",", false), (";", true), (";", false), (",", true)])
    func jsonLinesToCSVAndBack(delimiter: Character, byteOrderMark: Bool) throws {
        let fromJSONLines = try roundTrip(Samples.all, name: "e.jsonl", reader: JSONLinesReader()) {
            JSONLinesWriter(output: $0, options: ExportOptions())
        }
        var options = ExportOptions()
        options.csvDelimiter = delimiter
        options.byteOrderMark = byteOrderMark
        let back = try roundTrip(fromJSONLines, name: "e.csv", reader: CSVReader()) { CSVWriter(output: $0, options: options) }
        #expect(back == Samples.all)
    }
}
