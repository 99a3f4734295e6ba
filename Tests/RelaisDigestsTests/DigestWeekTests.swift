// Digests in Lua over a real SQLite catalogue: the ISO weeks of Europe/Paris at their edges
// (the two DST weeks, week 53, events and all-day spans across week boundaries, changes
// recorded either side of midnight on Sunday), and the shipped `relais.hebdo` letter on a
// week with only cancellations and on an empty week.

import Foundation
import RelaisCore
import RelaisDigests
import RelaisScripting
import RelaisStorage
import RelaisTesting
import Testing

/// A catalogue in a temp folder, a plugins folder beside it, and a host over both.
final class DigestFixture {
    let directory: TemporaryDirectory
    let store: SQLiteCatalogue
    let plugins: URL
    private var host: PluginHost?

    init() throws {
        directory = try TemporaryDirectory()
        store = try SQLiteCatalogue(path: directory.path("catalogue.sqlite"))
        plugins = directory.url.appendingPathComponent("Plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
    }

    /// Imports `events` as one batch committed at `time` (Paris time with offset).
    func importEvents(_ events: [Event], at time: String) throws {
        guard case .instant(let instant)? = EventTime(parsing: time) else { throw CatalogueError("bad time \(time)") }
        store.clock = { instant }
        _ = try store.importBatch(origin: "test.jsonl", dryRun: false) { session in
            for event in events { try session.put(event) }
        }
    }

    /// Writes plugin `id` (its init.lua, a manifest and templates) and loads it.
    func plugin(_ id: String, _ source: String, templates: [String: String] = [:]) throws -> LoadedPlugin {
        let folder = plugins.appendingPathComponent(id)
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("templates"), withIntermediateDirectories: true)
        try Data(source.utf8).write(to: folder.appendingPathComponent("init.lua"))
        try Data("return { name = \"\(id)\", version = \"1.0.0\" }\n".utf8)
            .write(to: folder.appendingPathComponent("manifest.lua"))
        for (name, text) in templates {
            try Data(text.utf8).write(to: folder.appendingPathComponent("templates/\(name).mustache"))
        }
        let host = PluginHost(
            directories: [plugins], events: CatalogueEventSource(store: store), log: { _ in })
        host.templates = MustacheTemplates()
        self.host = host
        return try host.plugin(id)
    }
}

func event(
    _ id: String, _ start: String, _ end: String? = nil, region: String? = "75", kind: EventKind = .webinar,
    status: EventStatus = .scheduled, title: String? = nil
) throws -> Event {
    let startTime = try #require(EventTime(parsing: start))
    let endTime = try end.map { try #require(EventTime(parsing: $0)) }
    return Event(
        id: id, title: title ?? "Événement \(id)", kind: kind, status: status,
        slots: [Slot(start: startTime, end: endTime)], region: region.flatMap(Region.lookup), online: true,
        organizer: "Organisateur \(id)")
}

func isoWeek(_ text: String) throws -> ISOWeek {
    guard let week = ISOWeek(parsing: text) else { throw CatalogueError("bad week \(text)") }
    return week
}

/// A digest that reports what its week sees, one `key=value` line each.
let weekProbe = #"""
    relais.digest{ name = "semaine", build = function(week)
      local lines = { "id=" .. week.id, "start=" .. week.start, "end=" .. week["end"], "title=" .. week.title,
        "previous=" .. week.previous.id, "next=" .. week.next.id, "number=" .. week.number,
        "days=" .. table.concat(week.days, ",") }
      local ids = {}
      for _, e in ipairs(week:events{}) do ids[#ids + 1] = e.id end
      lines[#lines + 1] = "events=" .. table.concat(ids, ",")
      local changes = {}
      for _, c in ipairs(week:changes{}) do changes[#changes + 1] = c.kind .. ":" .. c.event.id end
      lines[#lines + 1] = "changes=" .. table.concat(changes, ",")
      local cancelled = {}
      for _, c in ipairs(week:changes{ change = "cancelled" }) do cancelled[#cancelled + 1] = c.event.id end
      lines[#lines + 1] = "cancelled=" .. table.concat(cancelled, ",")
      local upcoming = {}
      for _, e in ipairs(week:upcoming{ days = 8 }) do upcoming[#upcoming + 1] = e.id end
      lines[#lines + 1] = "upcoming=" .. table.concat(upcoming, ",")
      return { subject = "semaine " .. week.id, text = table.concat(lines, "\n") }
    end }
    """#

/// The probe's lines for `week`, by key.
func probe(_ plugin: LoadedPlugin, _ week: String) throws -> [String: String] {
    let content = try #require(try plugin.buildDigest("semaine", week: try isoWeek(week)))
    var values: [String: String] = [:]
    for line in (content.text ?? "").split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    return values
}

@Suite("Digest weeks in Europe/Paris")
struct DigestWeekTests {
    @Test func theAutumnDSTWeek2020W43EndsAtMidnightParisTimeOnSunday() throws {
        let fixture = try DigestFixture()
        try fixture.importEvents(
            [
                try event("dimanche-w42-fin", "2020-10-18T23:59:00+02:00"),
                try event("lundi-w43-debut", "2020-10-19T00:00:00+02:00"),
                // After clocks went back at 3:00 on Sunday 25 October.
                try event("dimanche-apres-changement", "2020-10-25T02:30:00+01:00"),
                try event("dimanche-soir", "2020-10-25T23:30:00+01:00"),
                // 23:15 UTC on Sunday, but Monday in Paris.
                try event("lundi-w44-0h15", "2020-10-26T00:15:00+01:00"),
                // All-day span across the boundary.
                try event("vacances", "2020-10-24", "2020-10-27", kind: .other),
            ], at: "2020-10-01T10:00:00+02:00")
        let plugin = try fixture.plugin("sonde", weekProbe)

        let w43 = try probe(plugin, "2020-W43")
        #expect(w43["id"] == "2020-W43")
        #expect(w43["start"] == "2020-10-19")
        #expect(w43["end"] == "2020-10-25")
        #expect(w43["title"] == "Semaine du 19 au 25 octobre 2020")
        #expect(w43["previous"] == "2020-W42")
        #expect(w43["next"] == "2020-W44")
        #expect(w43["number"] == "43")
        #expect(w43["days"] == "2020-10-19,2020-10-20,2020-10-21,2020-10-22,2020-10-23,2020-10-24,2020-10-25")
        #expect(w43["events"] == "lundi-w43-debut,vacances,dimanche-apres-changement,dimanche-soir")

        let w44 = try probe(plugin, "2020-W44")
        #expect(w44["events"] == "vacances,lundi-w44-0h15")
        #expect(w44["title"] == "Semaine du 26 octobre au 1er novembre 2020")

        let w42 = try probe(plugin, "2020-W42")
        #expect(w42["events"] == "dimanche-w42-fin")
    }

    @Test func theSpringDSTWeek2021W12() throws {
        let fixture = try DigestFixture()
        try fixture.importEvents(
            [
                // Clocks go forward at 2:00 on Sunday 28 March 2021.
                try event("avant-changement", "2021-03-28T01:30:00+01:00"),
                try event("apres-changement", "2021-03-28T03:30:00+02:00"),
                try event("dimanche-23h59", "2021-03-28T23:59:00+02:00"),
                // 22:30 UTC on Sunday, Monday in Paris.
                try event("lundi-0h30", "2021-03-29T00:30:00+02:00"),
                try event("lundi-w12", "2021-03-22T00:00:00+01:00"),
            ], at: "2021-03-01T10:00:00+01:00")
        let plugin = try fixture.plugin("sonde", weekProbe)
        let w12 = try probe(plugin, "2021-W12")
        #expect(w12["start"] == "2021-03-22")
        #expect(w12["end"] == "2021-03-28")
        #expect(w12["title"] == "Semaine du 22 au 28 mars 2021")
        #expect(w12["events"] == "lundi-w12,avant-changement,apres-changement,dimanche-23h59")
        #expect(w12["upcoming"] == "lundi-w12,avant-changement,apres-changement,dimanche-23h59,lundi-0h30")
        let w13 = try probe(plugin, "2021-W13")
        #expect(w13["events"] == "lundi-0h30")
    }

    @Test func week53Of2020RunsIntoJanuary2021() throws {
        let fixture = try DigestFixture()
        try fixture.importEvents(
            [
                try event("reveillon", "2020-12-31"),
                try event("dimanche-3-janvier", "2021-01-03T20:00:00+01:00"),
                try event("a-cheval", "2020-12-30T18:00:00+01:00", "2021-01-05T12:00:00+01:00", kind: .hackathon),
                try event("lundi-4-janvier", "2021-01-04T09:00:00+01:00"),
                try event("lundi-28-decembre", "2020-12-28"),
            ], at: "2020-12-01T10:00:00+01:00")
        let plugin = try fixture.plugin("sonde", weekProbe)
        let w53 = try probe(plugin, "2020-W53")
        #expect(w53["id"] == "2020-W53")
        #expect(w53["start"] == "2020-12-28")
        #expect(w53["end"] == "2021-01-03")
        #expect(w53["title"] == "Semaine du 28 décembre 2020 au 3 janvier 2021")
        #expect(w53["previous"] == "2020-W52")
        #expect(w53["next"] == "2021-W01")
        #expect(w53["events"] == "lundi-28-decembre,a-cheval,reveillon,dimanche-3-janvier")
        let w01 = try probe(plugin, "2021-W01")
        #expect(w01["previous"] == "2020-W53")
        #expect(w01["events"] == "a-cheval,lundi-4-janvier")
    }

    @Test func changesBelongToTheWeekTheirImportWasCommittedInParisTime() throws {
        let fixture = try DigestFixture()
        let original = try event("atelier", "2020-11-10T09:30:00+01:00")
        try fixture.importEvents([original], at: "2020-10-18T23:59:59+02:00")  // W42
        try fixture.importEvents([try event("premier-lundi", "2020-11-12")], at: "2020-10-19T00:00:00+02:00")  // W43
        var moved = original
        moved.slots = [Slot(start: try #require(EventTime(parsing: "2020-11-12T14:00:00+01:00")))]
        try fixture.importEvents([moved], at: "2020-10-25T23:30:00+01:00")  // W43, after the DST change
        var cancelled = moved
        cancelled.status = .cancelled
        try fixture.importEvents([cancelled], at: "2020-10-26T00:30:00+01:00")  // W44
        let plugin = try fixture.plugin("sonde", weekProbe)

        #expect(try probe(plugin, "2020-W42")["changes"] == "added:atelier")
        let w43 = try probe(plugin, "2020-W43")
        #expect(w43["changes"] == "added:premier-lundi,rescheduled:atelier")
        #expect(w43["cancelled"] == "")
        let w44 = try probe(plugin, "2020-W44")
        #expect(w44["changes"] == "cancelled:atelier")
        #expect(w44["cancelled"] == "atelier")
    }

    @Test func startingKeepsTheEventsThatStartInTheWeek() throws {
        let fixture = try DigestFixture()
        try fixture.importEvents(
            [
                try event("en-cours", "2020-11-02", "2020-11-30", kind: .consultation),
                try event("dimanche-avant", "2020-11-15T23:30:00+01:00", "2020-11-16T01:00:00+01:00"),
                try event("lundi-minuit", "2020-11-16T00:00:00+01:00"),
                try event("dimanche-soir", "2020-11-22T23:00:00+01:00"),
                try event("apres", "2020-11-23T00:00:00+01:00"),
            ], at: "2020-10-01T10:00:00+02:00")
        let plugin = try fixture.plugin(
            "sonde",
            """
            relais.digest{ name = "d", build = function(week)
              local ids = {}
              for _, e in ipairs(week:events{ starting = true }) do ids[#ids + 1] = e.id end
              local all = {}
              for _, e in ipairs(week:events{}) do all[#all + 1] = e.id end
              return { subject = "s", text = table.concat(ids, ",") .. "|" .. table.concat(all, ",") }
            end }
            relais.digest{ name = "sans-from", build = function() relais.events{ starting = true }() end }
            relais.digest{ name = "type", build = function(week) week:events{ starting = "oui" } end }
            """)
        let week = try isoWeek("2020-W47")
        #expect(
            try plugin.buildDigest("d", week: week)?.text
                == "lundi-minuit,dimanche-soir|en-cours,dimanche-avant,lundi-minuit,dimanche-soir")
        #expect(throws: ScriptError.self) { try plugin.buildDigest("sans-from", week: week) }
        do {
            _ = try plugin.buildDigest("type", week: week)
            Issue.record("starting = \"oui\" should be refused")
        } catch let error as ScriptError {
            #expect(error.message.contains("week:events: field 'starting' must be a boolean, got string"), "\(error.message)")
        }
    }

    @Test func weekMethodsCheckTheirOptions() throws {
        let fixture = try DigestFixture()
        let plugin = try fixture.plugin(
            "sonde",
            """
            relais.digest{ name = "a", build = function(week) week:events{ from = "2020-01-01" } end }
            relais.digest{ name = "b", build = function(week) week:changes{ change = "deleted" } end }
            relais.digest{ name = "c", build = function(week) week:upcoming{ days = 0 } end }
            relais.digest{ name = "d", build = function(week) week.events{} end }
            """)
        let week = try isoWeek("2020-W47")
        let cases: [(String, String)] = [
            ("a", "sonde/init.lua:1: week:events: unknown option 'from'"),
            ("b", "sonde/init.lua:2: week:changes: unknown change 'deleted'"),
            ("c", "sonde/init.lua:3: week:upcoming: days must be a whole number from 1 to 366"),
            ("d", "sonde/init.lua:4: week:events: call it with a colon"),
        ]
        for (name, expected) in cases {
            do {
                _ = try plugin.buildDigest(name, week: week)
                Issue.record("digest \(name) should have failed")
            } catch let error as ScriptError {
                #expect(error.message.hasPrefix(expected), "\(error.message)")
            }
        }
    }
}
