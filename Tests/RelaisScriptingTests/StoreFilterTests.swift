import Foundation
import RelaisCore
import RelaisFormats
import RelaisScripting
@testable import RelaisStorage
import RelaisTesting
import Testing

@testable import RelaisScripting

// Lua filters over a real SQLite catalogue: the store lends each event's indexed fields and
// the view loads the rest on first read. Whatever the path, a script must see the same event.

/// Events whose fields are hard to carry as text: escapes and non-ASCII in lists, a slot
/// time with a fraction of a second (stored in an exact form), empty and absent fields.
private let trickyEvents: [Event] = [
    makeEvent(
        "tricky-1", title: "Quote \" backslash \\ tab \t end", kind: .webinar,
        slots: [("2020-11-10T09:30", "2020-11-10T11:30"), ("2020-11-17", nil)], region: "75", online: true,
        lab: "la-base", organizer: "", audience: ["agents \"publics\"", "élus/locaux"],
        tags: ["a\\b", "été 🎉", "x,y/z"], description: "Ligne 1\nLigne 2"),
    Event(
        id: "tricky-2", title: "Fraction", kind: .training, status: .scheduled,
        slots: [Slot(start: .instant(Date(timeIntervalSince1970: 1_605_000_000.25)), end: nil)], region: nil,
        online: false, lab: nil, organizer: nil, place: nil, url: nil, contact: nil, audience: [], tags: [],
        description: nil),
]

/// Prints every field a script can read, in a fixed order, for each event it sees.
private let dumpingFilter = """
    local function list(items)
      local parts = {}
      for i, item in ipairs(items) do parts[i] = string.format("%q", item) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local function dump(e)
      local slots = {}
      for i, s in ipairs(e.slots) do slots[i] = s.start .. "/" .. tostring(s["end"]) end
      return table.concat({ e.id, e.title, e.kind, e.status, table.concat(slots, ";"), tostring(e.region),
        tostring(e.online), tostring(e.lab), tostring(e.organizer), tostring(e.place), tostring(e.url),
        tostring(e.contact), list(e.audience), list(e.tags), tostring(e.description) }, " | ")
    end
    local function fields(e)
      local names = {}
      for name in pairs(e) do names[#names + 1] = name end
      return table.concat(names, ",")
    end
    relais.filter("dump", function(e) print(dump(e)) print(fields(e)) return true end)
    relais.filter("webinar75", function(e) return e.region == "75" and e.kind == "webinar" end)
    local kept
    relais.filter("keep", function(e) if not kept then kept = e end return false end)
    relais.filter("kept", function(e)
      return kept ~= nil and kept.id == "mip-001" and kept.title == "Atelier design des politiques publiques"
        and kept.slots[1].start == "2020-11-10T09:30:00+01:00" and kept.tags[2] == "agents"
    end)
    relais.exporter{ name = "kept-title", extension = "txt",
      header = function() return kept and kept.title or "nothing kept" end, event = function() return nil end }
    relais.filter("write", function(e) e.title = "x" return true end)
    relais.filter("title", function(e) return e.title ~= nil end)
    relais.filter("renamed", function(e) return e.title == "Fraction renommée" end)
    """

@Suite("Lua filters over a SQLite catalogue")
struct StoreFilterTests {
    let folder: TemporaryDirectory
    let store: SQLiteCatalogue
    let plugins: PluginFolders
    let events = sampleEvents + trickyEvents

    init() throws {
        folder = try TemporaryDirectory()
        store = try SQLiteCatalogue(path: folder.url.appendingPathComponent("c.sqlite").path)
        let events = self.events
        _ = try store.importBatch(origin: "test", dryRun: false) { session in
            for event in events { try session.put(event) }
        }
        plugins = try PluginFolders()
        try plugins.add("probe", initSource: dumpingFilter)
    }

    private func listed(_ filter: LuaEventFilter, query: EventQuery = EventQuery()) throws -> [String] {
        var ids: [String] = []
        try store.forEachEvent(matching: query, passing: filter) { event in
            ids.append(event.id)
            return true
        }
        return ids
    }

    @Test func viewsOfLentRowsShowTheSameEventAsViewsOfBuiltEvents() throws {
        let fromStore = TextSink()
        let filter = try plugins.host(log: fromStore).filter(named: "probe.dump")
        let ids = try listed(filter)
        #expect(ids.count == events.count)

        let fromEvents = TextSink()
        let sameFilter = try plugins.host(log: fromEvents).filter(named: "probe.dump")
        var inOrder: [Event] = []
        try store.forEachEvent(matching: EventQuery()) { inOrder.append($0); return true }
        for event in inOrder { #expect(try sameFilter.matches(event)) }

        #expect(fromStore.text == fromEvents.text)
        #expect(fromStore.text.contains("2020-11-10T09:30:00+01:00/2020-11-10T11:30:00+01:00;2020-11-17/nil"))
        // The fraction of a second is not in the interchange form, whichever the path.
        #expect(fromStore.text.contains("tricky-2 | Fraction | training | scheduled | 2020-11-10T10:20:00+01:00/nil"))
        // pairs() lists the present fields, lent or not.
        #expect(fromStore.text.contains("id,title,kind,status,slots,region,online,lab,audience,tags,description\n"))
        #expect(fromStore.text.contains("[\"a\\\\b\",\"été 🎉\",\"x,y/z\"]"))
    }

    @Test func aFilterOnIndexedFieldsMatchesTheBuiltInFilters() throws {
        let filter = try plugins.host().filter(named: "probe.webinar75")
        var query = EventQuery()
        query.regions = [.region(try #require(Region(code: "75")))]
        query.kinds = [.webinar]
        var expected: [String] = []
        try store.forEachEvent(matching: query) { expected.append($0.id); return true }
        #expect(try listed(filter) == expected)
        #expect(expected == ["tricky-1"])
    }

    @Test func aViewKeptByTheScriptCanBeReadAfterTheListing() throws {
        let host = plugins.host()
        #expect(try listed(host.filter(named: "probe.keep")).isEmpty)
        // The kept view is read in a later call, once the listing has ended.
        let kept = try host.filter(named: "probe.kept")
        #expect(try kept.matches(sampleEvents[0]))
    }

    /// A field the listing did not lend is read from the store as of that listing: a later
    /// listing by the same state sees the event as an import changed it since.
    @Test func aLaterListingReadsAnUnlentFieldAfterAnImportChangedIt() throws {
        let filter = try plugins.host().filter(named: "probe.renamed")
        var query = EventQuery()
        query.text = "Fraction"
        #expect(try listed(filter, query: query).isEmpty)
        var renamed = trickyEvents[1]
        renamed.title = "Fraction renommée"
        _ = try store.importBatch(origin: "rename", dryRun: false) { try $0.put(renamed) }
        #expect(try listed(filter, query: query) == ["tricky-2"])
    }

    /// A view kept from a listing and read in later calls (an exporter's, here) reads its
    /// event as of each call: the one-event cache behind kept views is emptied when a call
    /// begins, not only when a listing ends.
    @Test func aKeptViewReadInALaterCallSeesAnImportThatChangedIt() throws {
        let host = plugins.host()
        _ = try listed(try host.filter(named: "probe.keep"))
        let registry = ExporterRegistry()
        #expect(try host.registerExporters(in: registry).isEmpty)
        let exporter = try #require(registry.exporter(named: "kept-title"))
        func header() throws -> String {
            let output = StringTextOutput()
            let writer = try exporter.makeWriter(output, ExportOptions())
            try writer.begin()
            try writer.finish()
            return output.text
        }
        #expect(try header() == "Atelier design des politiques publiques")
        var renamed = sampleEvents[0]
        renamed.title = "Atelier renommé"
        _ = try store.importBatch(origin: "rename", dryRun: false) { try $0.put(renamed) }
        #expect(try header() == "Atelier renommé")
    }

    @Test func writingToALentViewIsAnError() throws {
        let filter = try plugins.host().filter(named: "probe.write")
        let error = try #require(throws: ScriptError.self) { try listed(filter) }
        #expect(error.message.contains("events are read-only (cannot set field 'title')"))
        #expect(error.message.hasPrefix("probe/init.lua:"))
    }

    @Test func aViewWhoseEventIsGoneSaysSoAndTheHostGoesOn() throws {
        let host = plugins.host()
        let filter = try host.filter(named: "probe.title")
        let lender = FailingLender(failure: nil)
        #expect(throws: ScriptError.self) { try lender.lend("mip-001", to: filter) }
        do {
            try lender.lend("mip-001", to: filter)
        } catch let error as ScriptError {
            #expect(error.message.contains("event 'mip-001' is no longer in the catalogue"))
            #expect(error.message.hasPrefix("probe/init.lua:"))
        }
        let broken = FailingLender(failure: CatalogueError("c.sqlite: disk I/O error"))
        do {
            try broken.lend("mip-002", to: filter)
            Issue.record("a failing lender must fail the filter")
        } catch let error as ScriptError {
            #expect(error.message.contains("c.sqlite: disk I/O error"))
        }
        // The same state then runs normally.
        #expect(try listed(filter).count == events.count)
    }
}

/// A listing tests its events in batches, one call into Lua per batch: each event still has
/// the whole instruction budget, an error stops at its event (those before it are given),
/// and the answers are those of the filter run event by event.
@Suite("Lua filters tested in batches")
struct BatchedFilterTests {
    let folder: TemporaryDirectory
    let store: SQLiteCatalogue
    let plugins: PluginFolders
    let events: [Event]

    init() throws {
        folder = try TemporaryDirectory()
        store = try SQLiteCatalogue(path: folder.url.appendingPathComponent("c.sqlite").path)
        var events: [Event] = []
        for index in 0..<700 {
            let id: String = String(format: "evt-%04d", index)
            let start: String = String(format: "2020-11-%02dT%02d:00", 1 + index / 30, 8 + index % 10)
            let kind: EventKind = index % 2 == 0 ? .webinar : .workshop
            let region: String = index % 5 == 0 ? "75" : "53"
            let title: String = index % 3 == 0 ? "Webinaire" : "Atelier"
            events.append(
                makeEvent(
                    id, title: title, kind: kind, status: index % 4 == 0 ? .cancelled : .scheduled,
                    slots: [(start, nil)], region: region, online: index % 9 == 0,
                    lab: index % 7 == 0 ? "la-base" : nil, description: "Événement n° \(index)"))
        }
        self.events = events
        _ = try store.importBatch(origin: "test", dryRun: false) { session in
            for event in events { try session.put(event) }
        }
        plugins = try PluginFolders()
        try plugins.add(
            "batch",
            initSource: """
                relais.filter("even75", function(e) return e.region == "75" and e.kind == "webinar" end)
                -- Reads a field the listing does not lend (the description).
                relais.filter("described", function(e) return e.description:find("n° 1", 1, true) ~= nil end)
                -- About 60% of a 100,000-instruction budget per event: fine per event, not per batch.
                relais.filter("busy", function(e)
                  local n = 0
                  for i = 1, 15000 do n = n + i end
                  return n > 0
                end)
                relais.filter("fails", function(e)
                  if e.id == "evt-0300" then error("cannot judge " .. e.id) end -- FAILS
                  return e.region == "75"
                end)
                relais.filter("exits", function(e) relais.exit(3) end)
                relais.filter("maybe", function(e) if e.id == "evt-0600" then return "yes" end return true end)
                -- Keeps the first event and reads it again at every later one, in later
                -- batches (the views of a batch borrow its fields only while it is tested).
                local first, seen_first
                local function describe(e)
                  return table.concat({ e.id, tostring(e.region), e.kind, e.title, e.description, #e.slots }, "|")
                end
                relais.filter("keeps", function(e)
                  if not first then first, seen_first = e, describe(e) end
                  local now = describe(first)
                  if now ~= seen_first then error("the kept event changed: " .. now .. " was " .. seen_first) end
                  return e.region == first.region
                end)
                relais.filter("first", function(e) return first ~= nil and describe(first) == seen_first end)
                -- Keeps every 7th event of a listing, noting what each says while its batch is
                -- tested; then reads them all again, two at a time from both ends.
                local collected, noted = {}, {}
                local function whole(e)
                  local names = {}
                  for name in pairs(e) do names[#names + 1] = name end
                  return table.concat({ tostring(e), e.id, tostring(e.region), e.kind, e.title, e.description,
                    e.slots[1].start, table.concat(names, ",") }, "|")
                end
                relais.filter("collect", function(e)
                  if tonumber(e.id:sub(5)) % 7 == 0 then
                    collected[#collected + 1] = e
                    noted[#noted + 1] = whole(e)
                  end
                  return false
                end)
                relais.filter("recall", function(e)
                  local n = #collected
                  for i = 1, n do
                    local j = n + 1 - i
                    if whole(collected[i]) ~= noted[i] then error("event " .. i .. " now reads " .. whole(collected[i])) end
                    if whole(collected[j]) ~= noted[j] then error("event " .. j .. " now reads " .. whole(collected[j])) end
                  end
                  return n == 100 and noted[1]:sub(1, 15) == "event evt-0000|"
                end)
                -- Reads only the region of the first 600 events, then three fields it never read.
                local seen = 0
                relais.filter("late", function(e)
                  seen = seen + 1
                  if seen <= 600 then return e.region == "75" end
                  return e.status == "cancelled" or e.lab == "la-base" or e.online
                end)
                """)
    }

    private func listed(_ filter: LuaEventFilter, limit: Int? = nil) throws -> [String] {
        var ids: [String] = []
        var query = EventQuery()
        query.limit = limit
        try store.forEachEvent(matching: query, passing: filter) { event in
            ids.append(event.id)
            return true
        }
        return ids
    }

    /// The ids a listing through `filter` gave before it failed, and its error.
    private func listedUntilFailure(_ filter: LuaEventFilter) throws -> ([String], ScriptError) {
        var given: [String] = []
        let error = try #require(throws: ScriptError.self) {
            try store.forEachEvent(matching: EventQuery(), passing: filter) { event in
                given.append(event.id)
                return true
            }
        }
        return (given, error)
    }

    private func inOrder() throws -> [Event] {
        var all: [Event] = []
        try store.forEachEvent(matching: EventQuery()) { event in
            all.append(event)
            return true
        }
        return all
    }

    @Test func batchesGiveWhatTheFilterGivesEventByEvent() throws {
        let host = plugins.host()
        for name in ["even75", "described"] {
            let filter = try host.filter(named: "batch.\(name)")
            let expected = try inOrder().filter { try filter.matches($0) }.map(\.id)
            #expect(!expected.isEmpty)
            #expect(try listed(filter) == expected, "\(name)")
            #expect(try listed(filter, limit: 7) == Array(expected.prefix(7)), "\(name) with a limit")
        }
    }

    @Test func eachEventOfABatchHasTheWholeInstructionBudget() throws {
        let host = plugins.host(instructionLimit: 100_000)
        #expect(try listed(host.filter(named: "batch.busy")).count == events.count)
        // The same filter with less than one event's need stops, naming its line.
        let tight = plugins.host(instructionLimit: 20_000)
        let error = try #require(throws: ScriptError.self) { try listed(tight.filter(named: "batch.busy")) }
        #expect(error.limit == .instructions)
        #expect(error.message.hasPrefix("batch/init.lua:"), "\(error.message)")
    }

    @Test func anErrorStopsAtItsEventAfterGivingThoseBefore() throws {
        let host = plugins.host()
        let filter = try host.filter(named: "batch.fails")
        let (given, error) = try listedUntilFailure(filter)
        #expect(error.message.contains("cannot judge evt-0300"), "\(error.message)")
        let listing = try inOrder()
        let failing = try #require(listing.firstIndex { $0.id == "evt-0300" })
        #expect(given == listing.prefix(failing).filter { $0.region?.code == "75" }.map(\.id))
        // The state goes on serving.
        #expect(try listed(host.filter(named: "batch.even75")).count == events.filter { $0.region?.code == "75" && $0.kind == .webinar }.count)
    }

    @Test func anAnswerThatIsNotABooleanStopsAtItsEventNamingTheFilter() throws {
        let filter = try plugins.host().filter(named: "batch.maybe")
        let (given, error) = try listedUntilFailure(filter)
        #expect(error.message.contains("filter 'maybe' must return a boolean, got string"), "\(error.message)")
        #expect(error.message.hasPrefix("batch/init.lua:"), "\(error.message)")
        let listing = try inOrder()
        #expect(given == listing.prefix { $0.id != "evt-0600" }.map(\.id))
    }

    @Test func anEventKeptFromAnEarlierBatchReadsTheSameInLaterOnesAndAfter() throws {
        let host = plugins.host()
        let filter = try host.filter(named: "batch.keeps")
        let listing = try inOrder()
        let first = try #require(listing.first)
        let expected = listing.filter { $0.region == first.region }.map(\.id)
        #expect(listing.count > 512, "the filter reads the kept event in many later batches")
        #expect(!expected.isEmpty)
        #expect(try listed(filter) == expected)
        // And once the listing is over, from another call.
        #expect(try host.filter(named: "batch.first").matches(listing[1]))
    }

    /// The events of a batch are light views named by their key: kept, each still reads as
    /// its own event once its batch is over, however they are read in turn.
    @Test func viewsKeptFromManyBatchesEachReadTheirOwnEvent() throws {
        let host = plugins.host()
        #expect(try listed(host.filter(named: "batch.collect")).isEmpty)
        #expect(try host.filter(named: "batch.recall").matches(events[0]))
    }

    /// Past its first stretch, a listing lends only the fields the filter has read: one it
    /// reads only later still has its value, from the store.
    @Test func fieldsReadOnlyLateInAListingHaveTheirValues() throws {
        let filter = try plugins.host().filter(named: "batch.late")
        let listing = try inOrder()
        var expected: [String] = []
        for (index, event) in listing.enumerated() {
            let passes =
                index < 600
                ? event.region?.code == "75"
                : event.status == .cancelled || event.lab == "la-base" || event.online
            if passes { expected.append(event.id) }
        }
        #expect(expected.contains { id in listing.firstIndex { $0.id == id }.map { $0 >= 600 } ?? false })
        let readAhead = store.listingsReadAhead
        #expect(try listed(filter) == expected)
        #expect(store.listingsReadAhead == readAhead + 1, "the listing read ahead, lending the region alone")
        #expect(filter.fieldsRead & (1 << UInt32(EventFieldTexts.Field.status.rawValue)) != 0)
    }

    @Test func relaisExitInAFilterIsRefused() throws {
        let host = plugins.host()
        let error = try #require(throws: ScriptError.self) { try listed(host.filter(named: "batch.exits")) }
        #expect(error.message.contains("relais.exit is only for `relais run` scripts"), "\(error.message)")
    }
}

/// A store that lends only ids and then cannot find the rest (or fails reading it).
private final class FailingLender: EventFieldLender {
    let failure: (any Error)?
    init(failure: (any Error)?) { self.failure = failure }

    func withAllFields<Result>(
        reference: Int64, id: String?, _ body: (EventFieldTexts) throws -> Result
    ) throws -> Result? {
        if let failure { throw failure }
        return nil
    }

    func lend(_ id: String, to filter: LuaEventFilter) throws {
        var bases = [UnsafeRawPointer?](repeating: nil, count: EventFieldTexts.fieldCount)
        var counts = [Int](repeating: 0, count: EventFieldTexts.fieldCount)
        var idBytes = Array(id.utf8)
        try idBytes.withUnsafeMutableBytes { idBuffer in
            bases[0] = UnsafeRawPointer(idBuffer.baseAddress)
            counts[0] = idBuffer.count
            try bases.withUnsafeBufferPointer { basesBuffer in
                try counts.withUnsafeBufferPointer { countsBuffer in
                    let fields = EventFieldTexts(
                        bases: try #require(basesBuffer.baseAddress), counts: try #require(countsBuffer.baseAddress),
                        unlent: ~UInt32(1), lender: self, reference: 1)
                    _ = try filter.matches(fields: fields)
                }
            }
        }
    }
}
