import Foundation
import RelaisCore
import RelaisFormats

/// The sample catalogue `Examples/mip2020.jsonl` (31 events of the Mois de l'innovation
/// publique 2020), read once per benchmark at setup: real titles, accented descriptions,
/// all-day spans and timed webinars, rather than synthetic records that would flatter
/// one path or another.
struct SampleCatalogue: Sendable {
    /// The JSON Lines records, one per event, as they appear in the file.
    let lines: [String]
    /// The events those records decode to.
    let events: [Event]

    /// Where the sample is: found from this file's path at build time, so that the
    /// benchmark runs from any working directory (the benchmark tool chooses its own).
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // PerEventCosts
        .deletingLastPathComponent()  // Benchmarks
        .deletingLastPathComponent()  // the package root
        .appendingPathComponent("Examples/mip2020.jsonl")

    /// Reads the sample with the import's own reader, so that the events are exactly the
    /// ones `relais import` would store.
    static func load() throws -> SampleCatalogue {
        let text = try String(contentsOf: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
        var events: [Event] = []
        try JSONLinesReader().read(ImportInput(url: path)) { events.append($0) }
        guard !events.isEmpty, events.count == lines.count else {
            throw SampleProblem("\(path.path): expected one event per line, got \(events.count) events for \(lines.count) lines")
        }
        return SampleCatalogue(lines: lines, events: events)
    }
}

/// A fixture that cannot be set up; the benchmark tool reports it and fails the run.
struct SampleProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Array {
    /// The element for the `index`-th event of a benchmark iteration: the samples are
    /// cycled, so every iteration sees the same mix of short and long records.
    @inline(__always)
    func cycling(_ index: Int) -> Element { self[index % count] }
}
