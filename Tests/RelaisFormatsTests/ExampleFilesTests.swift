import Foundation
import RelaisCore
import RelaisFormats
import Testing

/// The sample programme in `Examples/` reads without error, and its JSON Lines and CSV
/// forms describe the same events.
@Suite struct ExampleFilesTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples")
    static let jsonLines = examples.appendingPathComponent("mip2020.jsonl").path
    static let csv = examples.appendingPathComponent("mip2020.csv").path
    static var bothExist: Bool {
        FileManager.default.fileExists(atPath: jsonLines) && FileManager.default.fileExists(atPath: csv)
    }

    @Test(.enabled(if: bothExist, "Examples/mip2020.jsonl and .csv are not written yet"))
    func jsonLinesAndCSVGiveTheSameEvents() throws {
        let fromJSONLines = try readEvents(JSONLinesReader(), Self.jsonLines)
        let fromCSV = try readEvents(CSVReader(), Self.csv)
        #expect(!fromJSONLines.isEmpty)
        #expect(fromJSONLines.map(\.id) == fromCSV.map(\.id))
        let csvByID = Dictionary(fromCSV.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for event in fromJSONLines {
            #expect(csvByID[event.id] == event, "\(event.id) differs between the JSON Lines and CSV examples")
        }
    }
}
