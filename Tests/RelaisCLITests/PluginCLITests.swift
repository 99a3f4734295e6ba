import Foundation
import RelaisTesting
import Testing

/// The shipped plugins, end to end through the built binary on the sample programme.
@Suite struct PluginCLITests {
    static let labs: [(id: String, region: String)] = [
        ("la-base", "75"), ("ti-lab", "53"), ("siilab", "32"), ("fabrique-rh", "11"), ("labo-occitanie", "76"),
        ("insolab83", "93"), ("etatlin", "52"), ("archipel", "84"), ("lab-bfc", "27"),
    ]

    let directory: TemporaryDirectory
    let catalogue: String

    init() throws {
        directory = try TemporaryDirectory()
        catalogue = directory.path("catalogue.sqlite")
        let imported = try RelaisProcess.run(["--catalogue", catalogue, "import", ProjectFiles.sampleJSONLines])
        #expect(imported.status == 0, "\(imported)")
    }

    func relais(_ arguments: [String]) throws -> ProcessResult {
        try RelaisProcess.run(
            ["--catalogue", catalogue, "--plugins", ProjectFiles.root.appendingPathComponent("Plugins").path] + arguments,
            in: directory.path)
    }

    @Test func everyShippedPluginPassesTheCheck() throws {
        let result = try relais(["plugins", "check"])
        #expect(result.status == 0, "\(result)")
        for (id, _) in Self.labs { #expect(result.standardOutput.contains("ok   \(id)"), "\(id)") }
        for id in ["markdown", "html", "schema-org", "openagenda", "csv-lua"] {
            #expect(result.standardOutput.contains("ok   \(id)"), "\(id)")
        }
    }

    @Test func aFailingCheckNamesEachPluginAndEveryClash() throws {
        let extra = directory.path("extra")
        func plugin(_ id: String, manifest: String, _ code: String) throws {
            try FileManager.default.createDirectory(atPath: "\(extra)/\(id)", withIntermediateDirectories: true)
            try Data(manifest.utf8).write(to: URL(fileURLWithPath: "\(extra)/\(id)/manifest.lua"))
            try Data(code.utf8).write(to: URL(fileURLWithPath: "\(extra)/\(id)/init.lua"))
        }
        let manifest = #"return { name = "x", version = "1.0.0" }"#
        let exporter = { (name: String) in
            #"relais.exporter{ name = "\#(name)", extension = "txt", event = function(e) return e.id end }"#
        }
        try plugin("aa-first", manifest: manifest, exporter("agenda-txt"))
        try plugin("bb-twice", manifest: manifest, exporter("agenda-txt") + "\n" + exporter("ics") + "\n" + exporter("own-txt"))
        try plugin("cc-broken", manifest: manifest, "relais.filter(\"f\", function(e) return true end\n")
        let result = try RelaisProcess.run(
            ["--catalogue", catalogue, "--plugins", extra, "plugins", "check"], in: directory.path)
        #expect(result.status == 1, "\(result)")
        let out = result.standardOutput
        #expect(out.contains("ok   aa-first 1.0.0"), "\(out)")
        #expect(out.contains("FAIL bb-twice: export format 'agenda-txt' is registered by aa-first and by bb-twice"), "\(out)")
        #expect(out.contains("export format 'ics' is built in and registered again by bb-twice"), "\(out)")
        #expect(!out.contains("'own-txt'"), "\(out)")
        #expect(out.contains("FAIL cc-broken: cc-broken/init.lua:"), "\(out)")
        #expect(result.standardError.contains("2 plugins failed the check"), "\(result.standardError)")
    }

    @Test func pluginsListShowsEachPluginWithWhatItRegisters() throws {
        let result = try relais(["plugins", "list"])
        #expect(result.status == 0, "\(result)")
        for (id, _) in Self.labs { #expect(result.standardOutput.contains(id), "\(id)") }
        #expect(result.standardOutput.contains("markdown"))
    }

    @Test(arguments: labs)
    func eachLabsRegionFilterAgreesWithTheBuiltInFilter(lab: (id: String, region: String)) throws {
        let viaLua = try relais(["query", "--filter", "\(lab.id).region"])
        #expect(viaLua.status == 0, "\(viaLua)")
        let builtIn = try relais(["query", "--region", lab.region])
        #expect(viaLua.standardOutput == builtIn.standardOutput)
        let own = try relais(["query", "--filter", "\(lab.id).own"])
        let byLab = try relais(["query", "--lab", lab.id])
        #expect(own.standardOutput == byLab.standardOutput)
    }

    @Test(arguments: labs)
    func eachLabsAgendaScriptRuns(lab: (id: String, region: String)) throws {
        let script = ProjectFiles.root.appendingPathComponent("Plugins/\(lab.id)/scripts/agenda.lua").path
        let result = try relais(["run", script, "2020-W47"])
        #expect(result.status == 0, "\(result)")
        #expect(result.standardOutput.contains("du lundi 16 au dimanche 22 novembre 2020"), "\(result.standardOutput)")
        let bad = try relais(["run", script, "semaine-53"])
        #expect(bad.status == 1, "\(bad)")
    }

    @Test func theLuaCSVExporterWritesTheSameBytesAsTheSwiftOne() throws {
        let lua = try relais(["export", "--format", "csv-lua"])
        let swift = try relais(["export", "--format", "csv"])
        #expect(lua.status == 0 && swift.status == 0)
        #expect(!swift.standardOutput.isEmpty)
        #expect(lua.standardOutput == swift.standardOutput)
        let filteredLua = try relais(["export", "--format", "csv-lua", "--region", "75", "--kind", "conference"])
        let filteredSwift = try relais(["export", "--format", "csv", "--region", "75", "--kind", "conference"])
        #expect(filteredLua.standardOutput == filteredSwift.standardOutput)
    }

    @Test func markdownAgendaGroupsByDayInFrench() throws {
        let result = try relais(["export", "--format", "markdown", "-o", "agenda.md"])
        #expect(result.status == 0, "\(result)")
        let text = try String(contentsOfFile: directory.path("agenda.md"), encoding: .utf8)
        #expect(text.contains("## vendredi 6 novembre 2020"))
        #expect(text.contains("La DITP à la rencontre de LaBase"))
    }

    @Test func htmlAgendaIsAStandalonePage() throws {
        let result = try relais(["export", "--format", "html"])
        #expect(result.status == 0, "\(result)")
        #expect(result.standardOutput.contains("<html lang=\"fr\">"))
        #expect(result.standardOutput.contains("<time datetime="))
        #expect(!result.standardOutput.contains("<script"))
    }

    @Test func jsonExportersWriteValidJSON() throws {
        let schema = try relais(["export", "--format", "schema-org"])
        let events = try JSONSerialization.jsonObject(with: Data(schema.standardOutput.utf8)) as? [[String: Any]]
        #expect(events?.count == 31)
        #expect(events?.first?["@type"] as? String == "Event")
        let openAgenda = try relais(["export", "--format", "openagenda"])
        let object = try JSONSerialization.jsonObject(with: Data(openAgenda.standardOutput.utf8)) as? [String: Any]
        let list = object?["events"] as? [[String: Any]]
        #expect(list?.count == 31)
        #expect((list?.first?["timings"] as? [Any])?.isEmpty == false)
    }

    @Test func luaIterationPagesThroughTheWholeCatalogue() throws {
        // More events than one page of relais.events (256).
        let lines = (0..<700).map {
            #"{"id":"page-\#($0)","title":"Atelier \#($0)","kind":"workshop","region":"53","slots":[{"start":"2020-11-\#(10 + $0 % 5)T09:30"}]}"#
        }
        _ = try relais(["import", try directory.write("many.jsonl", lines.joined(separator: "\n"))])
        let script = try directory.write(
            "count.lua", "local n = 0 for e in relais.events{region = \"bretagne\"} do n = n + 1 end print(n)")
        let counted = try relais(["run", script])
        let listed = try relais(["query", "--region", "53"])
        #expect(counted.standardOutput == "\(listed.standardOutput.split(separator: "\n").count)\n", "\(counted)")
    }

    @Test func theMemoryLimitComesFromTheCommandLine() throws {
        // 2 MiB is not enough for a table of 200,000 numbers; the default (64 MiB) is.
        let script = try directory.write(
            "grow.lua", "local t = {}\nfor i = 1, 200000 do t[i] = i end\nprint(#t)\n")
        let bounded = try relais(["run", "--memory-limit", "2M", script])
        #expect(bounded.status == 1, "\(bounded)")
        #expect(bounded.standardError.contains("grow.lua:2: memory limit exceeded"), "\(bounded)")
        #expect(!bounded.wasSignalled)
        let roomy = try relais(["run", script])
        #expect(roomy.status == 0, "\(roomy)")
        #expect(roomy.standardOutput == "200000\n")
        for bad in ["12X", "0", "512K", "", "2T"] {
            let refused = try relais(["run", "--memory-limit", bad, script])
            #expect(refused.status == 2, "\(bad): \(refused)")
            #expect(refused.standardError.contains("must be a size from 1M to 1024G"), "\(bad): \(refused)")
        }
    }

    @Test func aRunawayScriptStopsWithItsLineAndTheNextCommandRuns() throws {
        let script = try directory.write("loop.lua", "local x = 0\nwhile true do x = x + 1 end\n")
        let result = try relais(["run", "--cpu-limit", "1000000", script])
        #expect(result.status == 1)
        #expect(result.standardError.contains("loop.lua:2: instruction limit exceeded"), "\(result)")
        #expect(!result.wasSignalled)
        #expect(try relais(["query", "--limit", "1"]).status == 0)
    }
}
