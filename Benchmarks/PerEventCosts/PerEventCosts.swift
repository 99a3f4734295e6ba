import Benchmark
import Foundation
import RelaisCore
import RelaisFormats
import RelaisScripting

// What Relais pays for one event at each step that runs once per event: reading a record,
// folding its text for search, wording a date, writing it to iCalendar, and handing it to a
// plugin's Lua filter. scripts/bench times whole commands on big catalogues; these isolate
// the steps, in process, with allocation counts. Run with scripts/bench-micro.
//
// Each measured iteration handles 1,000 events (`scalingFactor: .kilo`), cycling through
// the 31 events of Examples/mip2020.jsonl: one event is too short for the clock to time
// well, and the tool divides by the scaling factor, so the figures are per event.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        // Nanoseconds throughout, rather than units chosen per benchmark, so that the
        // figures compare at a glance and microsecond steps keep their precision.
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        // Bounded so that the whole run stays near a minute after the build; the slowest
        // step (folding to words, tens of microseconds an event) still gets dozens of
        // samples in this time, the others hundreds to thousands.
        maxDuration: .seconds(3),
        maxIterations: 2_000)

    // MARK: Reading

    // One JSON Lines record to a validated Event: the import's parser, then the core's single
    // decoding. Through JSONText, the public entry point of the same parser; it copies the
    // line into a byte array first (one allocation the file reader, which parses in place
    // from its read buffer, does not make).
    Benchmark("Read: JSON Lines record to Event") { benchmark, sample in
        for index in benchmark.scaledIterations {
            guard case .object(let record) = try JSONText.parse(sample.lines.cycling(index)) else {
                throw SampleProblem("a sample line is not a JSON object")
            }
            blackHole(try EventRecordDecoding.event(from: record))
        }
    } setup: {
        try SampleCatalogue.load()
    }

    // The parsing half of the above alone, to tell the JSON parser from the decoding and
    // validation of the event.
    Benchmark("Read: JSON Lines record to value (parse only)") { benchmark, sample in
        for index in benchmark.scaledIterations {
            blackHole(try JSONText.parse(sample.lines.cycling(index)))
        }
    } setup: {
        try SampleCatalogue.load()
    }

    // MARK: Text search

    // The folding applied to stored text and to queries (case, accents, ligatures,
    // apostrophes) over the title and description, which make most of an event's text.
    // What queries, `relais.text.fold` and full-text indexing's fallback pay; the import
    // indexes most text through RelaisStorage's SearchWords, a per-scalar cached copy of
    // these rules, so these figures are the uncached cost.
    Benchmark("Fold: title and description (TextFolding.fold)") { benchmark, texts in
        for index in benchmark.scaledIterations {
            blackHole(TextFolding.fold(texts.cycling(index)))
        }
    } setup: {
        try SampleCatalogue.load().events.map(searchedText)
    }

    // Folding plus the split into words that the full-text index and text queries use.
    Benchmark("Fold: title and description to words (TextFolding.words)") { benchmark, texts in
        for index in benchmark.scaledIterations {
            blackHole(TextFolding.words(texts.cycling(index)))
        }
    } setup: {
        try SampleCatalogue.load().events.map(searchedText)
    }

    // MARK: Wording

    // A timed slot in French, as tables, agendas and digests show it:
    // `mardi 10 novembre 2020, 9h30–11h30`. The timed slots of the sample (its webinars),
    // because they take the Paris wall-clock conversion that all-day slots skip.
    Benchmark("French date: timed slot (FrenchDates.slot)") { benchmark, slots in
        for index in benchmark.scaledIterations {
            blackHole(FrenchDates.slot(slots.cycling(index)))
        }
    } setup: { () throws -> [Slot] in
        let slots = try SampleCatalogue.load().events.flatMap(\.slots).filter {
            if case .instant = $0.start { true } else { false }
        }
        guard !slots.isEmpty else { throw SampleProblem("the sample has no timed slot") }
        return slots
    }

    // MARK: Export

    // One event written as iCalendar VEVENTs (escaping, folding at 75 octets, Paris times),
    // by the exporter `relais export --format ics` finds in the registry. The calendar's
    // header is written at setup; the output only counts bytes.
    Benchmark("Export: event to iCalendar (ICalendarWriter)") { benchmark, fixture in
        for index in benchmark.scaledIterations {
            try fixture.writer.write(fixture.events.cycling(index))
        }
        blackHole(fixture.output.byteCount)
    } setup: {
        try ICalendarFixture(events: SampleCatalogue.load().events)
    }

    // MARK: Lua

    // A plugin's filter on a built Event (`function(e) return e.region == "75" and
    // e.kind == "webinar" end`): the Lua call, the event's view and the two field reads.
    // The path of any store that cannot lend its text (the default of CatalogueStore).
    Benchmark("Lua filter: built Event (LuaEventFilter.matches)") { benchmark, fixture in
        for index in benchmark.scaledIterations {
            blackHole(try fixture.lua.filter.matches(fixture.events.cycling(index)))
        }
    } setup: {
        try LuaBenchmarkFixture()
    }

    // The same filter on a row's stored text, as the SQLite catalogue lends it to
    // `relais query --filter`: no Event is built for the filter to read.
    Benchmark("Lua filter: stored text (LuaEventFilter.matches(fields:))") { benchmark, fixture in
        for index in benchmark.scaledIterations {
            blackHole(try fixture.lua.filter.matches(fields: fixture.stored.texts(index)))
        }
    } setup: {
        try LuaBenchmarkFixture()
    }
}

/// The text search folds for an event, minus organizer, place and tags: title and description.
private func searchedText(_ event: Event) -> String {
    [event.title, event.description].compactMap { $0 }.joined(separator: "\n")
}

/// An iCalendar writer opened on a discarding output, and the events to write.
private final class ICalendarFixture {
    let events: [Event]
    let output = DiscardingTextOutput()
    let writer: any EventWriter

    init(events: [Event]) throws {
        self.events = events
        let registry = ExporterRegistry()
        try BuiltinFormats.registerExporters(in: registry)
        guard let exporter = registry.exporter(named: "ics") else {
            throw SampleProblem("no built-in exporter named ics")
        }
        var options = ExportOptions()
        options.now = Date(timeIntervalSince1970: 1_604_966_400)  // fixed DTSTAMP: 2020-11-10
        writer = try exporter.makeWriter(output, options)
        try writer.begin()
    }
}

/// The Lua filter, the sample as built events and as stored text, checked against each
/// other so that a broken fixture cannot pass for a fast filter.
private final class LuaBenchmarkFixture {
    let lua: LuaFilterFixture
    let events: [Event]
    let stored: StoredFieldTexts

    init() throws {
        lua = try LuaFilterFixture()
        events = try SampleCatalogue.load().events
        stored = StoredFieldTexts(events)
        let expected = events.indices.filter { events[$0].region?.code == "75" && events[$0].kind == .webinar }
        let fromEvents = try events.indices.filter { try lua.filter.matches(events[$0]) }
        let fromText = try events.indices.filter { try lua.filter.matches(fields: stored.texts($0)) }
        guard !expected.isEmpty, fromEvents == expected, fromText == expected else {
            throw SampleProblem(
                "the Lua filter disagrees with Swift: expected \(expected), built events \(fromEvents), stored text \(fromText)")
        }
    }
}
