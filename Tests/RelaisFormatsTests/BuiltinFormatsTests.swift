import Foundation
import RelaisCore
import RelaisFormats
import Testing

@Suite struct BuiltinFormatsTests {
    @Test func registersTheExporters() throws {
        let registry = ExporterRegistry()
        try BuiltinFormats.registerExporters(in: registry)
        #expect(registry.all.map(\.name) == ["csv", "csv-fr", "ics", "json", "jsonl"])
        #expect(registry.all.allSatisfy { $0.origin == "built-in" })
        #expect(registry.exporter(named: "jsonl")?.mimeType == "application/x-ndjson")
        #expect(registry.exporter(named: "json")?.mimeType == "application/json")
        #expect(registry.exporter(named: "ics")?.mimeType == "text/calendar")
        #expect(registry.exporter(forExtension: "CSV")?.name == "csv")
        #expect(throws: ExporterNameClash.self) { try BuiltinFormats.registerExporters(in: registry) }
    }

    @Test func csvFrIsSemicolonsWithBOM() throws {
        let registry = ExporterRegistry()
        try BuiltinFormats.registerExporters(in: registry)
        let output = StringTextOutput()
        let writer = try #require(registry.exporter(named: "csv-fr")).makeWriter(output, ExportOptions())
        try writer.begin()
        try writer.finish()
        #expect(output.text.hasPrefix("\u{FEFF}id;title;kind;"))
        let plain = StringTextOutput()
        let csv = try #require(registry.exporter(named: "csv")).makeWriter(plain, ExportOptions())
        try csv.begin()
        #expect(plain.text.hasPrefix("id,title,kind,"))
    }

    @Test func readersByName() {
        #expect(BuiltinFormats.reader(forFormat: "json") is JSONArrayReader)
        #expect(BuiltinFormats.reader(forFormat: "JSONL") is JSONLinesReader)
        #expect(BuiltinFormats.reader(forFormat: "ndjson") is JSONLinesReader)
        #expect(BuiltinFormats.reader(forFormat: "csv") is CSVReader)
        for name in ["ics", "ical", "icalendar"] { #expect(BuiltinFormats.reader(forFormat: name) is ICalendarReader) }
        #expect(BuiltinFormats.reader(forFormat: "xml") == nil)
        for name in BuiltinFormats.readableFormats { #expect(BuiltinFormats.reader(forFormat: name) != nil) }
    }

    @Test func readerFormatByExtension() throws {
        let directory = try TemporaryDirectory()
        #expect(BuiltinFormats.readerFormat(forPath: directory.path("a.jsonl")) == "jsonl")
        #expect(BuiltinFormats.readerFormat(forPath: "dir.v2/a.NDJSON") == "jsonl")
        #expect(BuiltinFormats.readerFormat(forPath: "a.csv") == "csv")
        #expect(BuiltinFormats.readerFormat(forPath: "a.ics") == "ics")
        #expect(BuiltinFormats.readerFormat(forPath: "a.ical") == "ics")
        #expect(BuiltinFormats.readerFormat(forPath: "a.txt") == nil)
        #expect(BuiltinFormats.readerFormat(forPath: "dir.json/noextension") == nil)
        #expect(BuiltinFormats.readerFormat(forPath: directory.path("missing.json")) == "json")
        let array = try directory.file("array.json", "\u{FEFF}\n  [ {} ]")
        #expect(BuiltinFormats.readerFormat(forPath: array) == "json")
        let lines = try directory.file("lines.json", "\u{FEFF}\r\n {\"id\": \"a\"}\n{\"id\": \"b\"}\n")
        #expect(BuiltinFormats.readerFormat(forPath: lines) == "jsonl")
    }
}
