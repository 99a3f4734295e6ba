import Foundation
import RelaisCore
import Testing

@Suite("Exporter registry")
struct ExporterRegistryTests {
    final class NullWriter: EventWriter {
        func begin() throws {}
        func write(_ event: Event) throws {}
        func finish() throws {}
    }

    static func descriptor(_ name: String, _ fileExtension: String, origin: String = "built-in") -> ExporterDescriptor {
        ExporterDescriptor(
            name: name, fileExtension: fileExtension, mimeType: "text/plain", origin: origin, summary: name
        ) { _, _ in NullWriter() }
    }

    @Test func nameClashNamesBothOrigins() throws {
        let registry = ExporterRegistry()
        try registry.register(Self.descriptor("ical", "ics"))
        do {
            try registry.register(Self.descriptor("ical", "ical", origin: "ti-lab"))
            Issue.record("a second 'ical' was accepted")
        } catch let clash as ExporterNameClash {
            #expect(clash.name == "ical")
            #expect(clash.firstOrigin == "built-in")
            #expect(clash.secondOrigin == "ti-lab")
            #expect(clash.description.contains("'ical'"))
            #expect(clash.description.contains("built-in"))
            #expect(clash.description.contains("ti-lab"))
        }
        // The first registration stays.
        #expect(registry.exporter(named: "ical")?.origin == "built-in")
        #expect(registry.exporter(named: "ical")?.fileExtension == "ics")
    }

    @Test func clashBetweenTwoPlugins() throws {
        let registry = ExporterRegistry()
        try registry.register(Self.descriptor("agenda", "html", origin: "la-base"))
        #expect(throws: ExporterNameClash.self) {
            try registry.register(Self.descriptor("agenda", "txt", origin: "siilab"))
        }
        do {
            try registry.register(Self.descriptor("agenda", "txt", origin: "siilab"))
        } catch let clash as ExporterNameClash {
            #expect(clash.description == "export format 'agenda' is registered twice: by la-base and by siilab")
        }
    }

    @Test func lookupByNameAndExtension() throws {
        let registry = ExporterRegistry()
        try registry.register(Self.descriptor("json", "json"))
        try registry.register(Self.descriptor("jsonl", "jsonl"))
        try registry.register(Self.descriptor("ics", "ics"))
        try registry.register(Self.descriptor("agenda-html", "HTML", origin: "la-base"))
        #expect(registry.exporter(named: "json")?.fileExtension == "json")
        #expect(registry.exporter(named: "xml") == nil)
        #expect(registry.exporter(forExtension: "ics")?.name == "ics")
        #expect(registry.exporter(forExtension: "ICS")?.name == "ics")
        #expect(registry.exporter(forExtension: "jsonl")?.name == "jsonl")
        #expect(registry.exporter(forExtension: "json")?.name == "json")
        #expect(registry.exporter(forExtension: "html")?.name == "agenda-html")
        #expect(registry.exporter(forExtension: "csv") == nil)
        #expect(registry.all.map(\.name) == ["agenda-html", "ics", "json", "jsonl"])
    }

    @Test func twoFormatsWithOneExtensionResolveByName() throws {
        let registry = ExporterRegistry()
        try registry.register(Self.descriptor("rss", "xml", origin: "siilab"))
        try registry.register(Self.descriptor("atom", "xml"))
        #expect(registry.exporter(forExtension: "xml")?.name == "atom")
    }

    @Test func makesWriters() throws {
        let registry = ExporterRegistry()
        try registry.register(Self.descriptor("null", "txt"))
        final class Sink: TextOutput {
            func write(_ text: String) throws {}
        }
        let writer = try #require(registry.exporter(named: "null")).makeWriter(Sink(), ExportOptions())
        #expect(writer is NullWriter)
    }
}
