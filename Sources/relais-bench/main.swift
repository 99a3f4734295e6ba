import Foundation
import RelaisCore
import RelaisFormats
import RelaisScripting

// relais-bench FILE.jsonl [N]: compares how events reach a Lua filter (see
// docs/lua-host.md). Not a test: it prints figures for docs/benchmarks.md.

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: relais-bench FILE.jsonl [N]\n".utf8))
    exit(2)
}
let limit = arguments.count > 2 ? Int(arguments[2]) ?? 200_000 : 200_000
var events: [Event] = []
do {
    struct Enough: Error {}
    do {
        try JSONLinesReader().read(ImportInput(url: URL(fileURLWithPath: arguments[1]))) { event in
            events.append(event)
            if events.count >= limit { throw Enough() }
        }
    } catch is Enough {}
    let filter = #"function(e) return e.region == "75" and e.kind == "webinar" end"#
    for _ in 0..<3 {
        print("Laying events out for Lua (EventBlob): \(String(format: "%.0f", EventViewBenchmark.measureLayout(events: events))) ns/event")
    }
    print("| representation | ns/event | matched |")
    print("| --- | ---: | ---: |")
    for representation in EventViewBenchmark.Representation.allCases {
        // Twice: the first run warms caches and the allocator.
        _ = try EventViewBenchmark.measure(events: events, filterSource: filter, representation: representation)
        let (nanoseconds, matched) = try EventViewBenchmark.measure(
            events: events, filterSource: filter, representation: representation)
        print("| \(representation.label) | \(String(format: "%.0f", nanoseconds)) | \(matched) |")
    }
} catch {
    FileHandle.standardError.write(Data("relais-bench: \(error)\n".utf8))
    exit(1)
}
