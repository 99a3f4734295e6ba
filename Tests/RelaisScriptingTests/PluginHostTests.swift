import Foundation
import RelaisCore
import RelaisFormats
import RelaisTesting
import Testing

@testable import RelaisScripting

/// A broken manifest and what the error must say.
struct ManifestCase: Sendable, CustomTestStringConvertible {
    var name: String
    var manifest: String?
    var expected: [String]
    var limit: ScriptError.Limit? = nil
    var testDescription: String { name }
}

@Suite struct PluginHostTests {
    @Test func discoveryOrderAndShadowing() throws {
        let folders = try PluginFolders()
        try folders.add("zeta", in: "first", initSource: #"relais.filter("which", function() return true end)"#)
        try folders.add("alpha", in: "first", initSource: #"relais.filter("which", function() return true end)"#)
        try folders.add("alpha", in: "second", initSource: #"relais.filter("which", function() return false end)"#)
        try folders.add("beta", in: "second", initSource: #"relais.filter("which", function() return false end)"#)
        try folders.add("noinit", in: "second", initSource: nil)
        try folders.add(".hidden", in: "second", initSource: "error('hidden plugins are not loaded')")
        try Data("not a plugin".utf8).write(to: folders.directory("second").appendingPathComponent("readme.txt"))
        let host = folders.host(["first", "second", "missing"])
        let (plugins, shadowed) = host.discover()
        #expect(plugins.map(\.id) == ["alpha", "beta", "zeta"])
        #expect(plugins.first?.folder.standardizedFileURL == folders.directory("first").appendingPathComponent("alpha").standardizedFileURL)
        #expect(shadowed.map(\.id) == ["alpha"])
        #expect(shadowed.first?.folder.standardizedFileURL == folders.directory("second").appendingPathComponent("alpha").standardizedFileURL)
        let event = sampleEvents[0]
        #expect(try host.predicate(for: "alpha.which")(event) == true, "the first directory wins")
        #expect(try host.predicate(for: "beta.which")(event) == false)
        let all = host.loadAll()
        #expect(all.map(\.location.id) == ["alpha", "beta", "zeta"])
        for entry in all {
            if case .failure(let error) = entry.result { Issue.record("\(entry.location.id): \(error.message)") }
        }
    }

    @Test func pluginsAreLoadedOnceAndKeepTheirState() throws {
        let folders = try PluginFolders()
        try folders.add(
            "counter",
            initSource: """
                loads = (loads or 0) + 1
                local calls = 0
                relais.filter("count", function(e) calls = calls + 1; return calls == 3 and loads == 1 end)
                relais.log("loaded")
                print("printed")
                """)
        let log = TextSink()
        let host = folders.host(log: log)
        let first = try host.plugin("counter")
        let second = try host.plugin("counter")
        #expect(first === second)
        let predicate = try host.predicate(for: "counter.count")
        #expect(try predicate(sampleEvents[0]) == false)
        #expect(try predicate(sampleEvents[0]) == false)
        #expect(try predicate(sampleEvents[0]) == true)
        #expect(first.registrations.filters == ["count"])
        #expect(first.manifest.name == "Plugin counter")
        #expect(first.manifest.version == "1.0.0")
        #expect(log.lines == ["[counter] loaded", "[counter] printed"])
    }

    @Test func pluginsDoNotSeeEachOther() throws {
        let folders = try PluginFolders()
        try folders.add(
            "alpha",
            initSource: """
                shared = "alpha"
                getmetatable("").__index = { upper = function() return "hijacked" end }
                string.lower = nil
                rawset(_G, "tostring", function() return "fake" end)
                relais.filter("probe", function(e)
                  return shared == "alpha" and ("x"):upper() == "hijacked" and string.lower == nil and tostring(1) == "fake"
                end)
                """)
        try folders.add(
            "beta",
            initSource: """
                assert(shared == nil, "beta sees alpha's global")
                relais.filter("probe", function(e)
                  return shared == nil and ("x"):upper() == "X" and string.lower("Y") == "y" and tostring(1) == "1"
                end)
                relais.filter("set", function(e) shared = "beta"; return true end)
                """)
        let host = folders.host()
        let event = sampleEvents[0]
        let alpha = try host.predicate(for: "alpha.probe")
        #expect(try alpha(event) == true)
        let beta = try host.predicate(for: "beta.probe")
        #expect(try beta(event) == true)
        #expect(try host.predicate(for: "beta.set")(event) == true)
        #expect(try alpha(event) == true, "alpha must still see its own global")
    }

    @Test func filtersMustReturnBooleans() throws {
        let folders = try PluginFolders()
        try folders.add(
            "strict",
            initSource: """
                relais.filter("number", function(e) return 1 end)
                relais.filter("nothing", function(e) end)
                relais.filter("string", function(e) return "yes" end)
                relais.filter("good", function(e) return e.region == "75" end)
                relais.filter("broken", function(e) return e.missing.field end) -- BROKEN
                relais.filter("exits", function(e) relais.exit(0) end)
                """)
        let host = folders.host()
        let event = sampleEvents[0]
        expectScriptError("strict", "filter 'number'", "must return a boolean, got number") {
            _ = try host.predicate(for: "strict.number")(event)
        }
        expectScriptError("strict", "filter 'nothing'", "must return a boolean, got nil") {
            _ = try host.predicate(for: "strict.nothing")(event)
        }
        expectScriptError("strict", "filter 'string'", "must return a boolean, got string") {
            _ = try host.predicate(for: "strict.string")(event)
        }
        expectScriptError("strict/init.lua:5:", "attempt to index a nil value (field 'missing')") {
            _ = try host.predicate(for: "strict.broken")(event)
        }
        expectScriptError("strict", "relais.exit is only for `relais run` scripts") {
            _ = try host.predicate(for: "strict.exits")(event)
        }
        #expect(try host.predicate(for: "strict.good")(event) == true)
        #expect(try host.predicate(for: "strict.good")(sampleEvents[1]) == false)
    }

    @Test func predicateNamesAreChecked() throws {
        let folders = try PluginFolders()
        try folders.add("la-base", initSource: #"relais.filter("agents", function(e) return true end)"#)
        try folders.add("empty", initSource: "local nothing = true")
        let host = folders.host()
        expectScriptError("no plugin 'nowhere'", "found: empty, la-base") { _ = try host.predicate(for: "nowhere.agents") }
        expectScriptError("plugin 'la-base' has no filter 'elus'", "its filters: agents") {
            _ = try host.predicate(for: "la-base.elus")
        }
        expectScriptError("plugin 'empty' has no filter 'x'", "its filters: none") { _ = try host.predicate(for: "empty.x") }
        for bad in ["agents", ".agents", "la-base.", ""] {
            expectScriptError("must be written plugin.name") { _ = try host.predicate(for: bad) }
        }
        expectScriptError("no plugin 'x'", "found: none") { _ = try PluginFolders().host().predicate(for: "x.y") }
    }

    static let manifestCases: [ManifestCase] = [
        ManifestCase(name: "missing manifest", manifest: nil, expected: ["broken: missing manifest.lua"]),
        ManifestCase(
            name: "unknown field", manifest: #"return { name = "B", version = "1", author = "me" }"#,
            expected: ["broken/manifest.lua:", "unknown field 'author'"]),
        ManifestCase(
            name: "bad region", manifest: #"return { name = "B", version = "1", region = "atlantide" }"#,
            expected: ["broken/manifest.lua:", "region 'atlantide' is not a region code or name"]),
        ManifestCase(
            name: "id mismatch", manifest: #"return { id = "other", name = "B", version = "1" }"#,
            expected: ["broken/manifest.lua:", "id 'other' does not match the folder name 'broken'"]),
        ManifestCase(
            name: "missing name", manifest: #"return { version = "1" }"#,
            expected: ["broken/manifest.lua:", "field 'name' is required"]),
        ManifestCase(
            name: "missing version", manifest: #"return { name = "B" }"#,
            expected: ["broken/manifest.lua:", "field 'version' is required"]),
        ManifestCase(
            name: "name not a string", manifest: #"return { name = 3, version = "1" }"#,
            expected: ["broken/manifest.lua:", "field 'name' must be a string"]),
        ManifestCase(
            name: "unknown limit", manifest: #"return { name = "B", version = "1", limits = { time = 3 } }"#,
            expected: ["broken/manifest.lua:", "unknown limit 'time'"]),
        ManifestCase(
            name: "zero instructions", manifest: #"return { name = "B", version = "1", limits = { instructions = 0 } }"#,
            expected: ["broken/manifest.lua:", "limits.instructions must be an integer from 1 to 1000000000"]),
        ManifestCase(
            name: "tiny memory", manifest: #"return { name = "B", version = "1", limits = { memory = 1000 } }"#,
            expected: ["broken/manifest.lua:", "limits.memory must be from 1048576 bytes (1 MiB)"]),
        ManifestCase(
            name: "instructions past the ceiling",
            manifest: #"return { name = "B", version = "1", limits = { instructions = 9.2e18 } }"#,
            expected: ["broken/manifest.lua:", "limits.instructions must be an integer from 1 to 1000000000"]),
        ManifestCase(
            name: "memory past the ceiling", manifest: #"return { name = "B", version = "1", limits = { memory = 2^62 } }"#,
            expected: ["broken/manifest.lua:", "limits.memory must be from 1048576 bytes (1 MiB) to 1073741824 (1 GiB)"]),
        ManifestCase(
            name: "limits not a table", manifest: #"return { name = "B", version = "1", limits = 5 }"#,
            expected: ["broken/manifest.lua:", "field 'limits' must be a table"]),
        ManifestCase(
            name: "not a table", manifest: #"return "B""#, expected: ["broken/manifest.lua:", "must return a table"]),
        ManifestCase(
            name: "returns nothing", manifest: "local x = 1", expected: ["broken/manifest.lua:", "must return a table"]),
        ManifestCase(
            name: "calls a function", manifest: #"print("hi") return { name = "B", version = "1" }"#,
            expected: ["broken/manifest.lua:1:", "attempt to call a nil value (global 'print')"]),
        ManifestCase(
            name: "syntax error", manifest: "return { name = ", expected: ["broken/manifest.lua:1:"]),
        ManifestCase(
            name: "loops forever", manifest: "while true do end", expected: ["broken/manifest.lua:1:", "instruction limit exceeded"],
            limit: .instructions),
        ManifestCase(
            name: "binary manifest", manifest: "\u{1B}Lua", expected: ["broken/manifest.lua", "binary chunks are not allowed"]),
    ]

    @Test(arguments: manifestCases)
    func manifestErrors(_ manifestCase: ManifestCase) throws {
        let folders = try PluginFolders()
        try folders.add(
            "broken", manifest: .some(manifestCase.manifest),
            initSource: #"relais.filter("f", function() return true end)"#)
        try folders.add("fine", initSource: #"relais.filter("f", function() return true end)"#)
        let host = folders.host()
        let error = expectScriptError(manifestCase.expected[0], limit: manifestCase.limit) { _ = try host.plugin("broken") }
        for fragment in manifestCase.expected.dropFirst() {
            #expect(error?.message.contains(fragment) == true, "'\(error?.message ?? "")' should contain '\(fragment)'")
        }
        // One broken plugin does not hide the others.
        let results = host.loadAll()
        #expect(results.map(\.location.id) == ["broken", "fine"])
        if case .success = results.first?.result { Issue.record("the broken plugin loaded") }
        if case .failure(let failure) = results.last?.result { Issue.record("fine failed: \(failure.message)") }
    }

    @Test func manifestFieldsAreRead() throws {
        let folders = try PluginFolders()
        try folders.add(
            "la-base",
            manifest: .some(
                """
                local mib = 1024 * 1024
                return {
                  id = "la-base", name = "La Base — Nouvelle-Aquitaine", version = "1.2.0", region = "nouvelle-aquitaine",
                  lab = "la-base", description = "Filtres du lab",
                  limits = { instructions = 5000000, memory = 32 * mib },
                }
                """), initSource: "local x = 1")
        try folders.add(
            "national", manifest: .some(#"return { name = "N", version = "1", region = "national" }"#), initSource: "local x = 1")
        let host = folders.host(instructionLimit: nil, memoryLimit: nil)
        let manifest = try host.plugin("la-base").manifest
        #expect(manifest.id == "la-base")
        #expect(manifest.name == "La Base — Nouvelle-Aquitaine")
        #expect(manifest.version == "1.2.0")
        #expect(manifest.region?.code == "75")
        #expect(manifest.lab == "la-base")
        #expect(manifest.description == "Filtres du lab")
        #expect(manifest.instructionLimit == 5_000_000)
        #expect(manifest.memoryLimit == 32 << 20)
        #expect(try host.plugin("national").manifest.region == nil)
    }

    @Test func badPluginFolderNamesAreRefused() throws {
        let folders = try PluginFolders()
        try folders.add("Bad_Name", initSource: "local x = 1")
        try folders.add("has space", initSource: "local x = 1")
        let host = folders.host()
        expectScriptError("a plugin folder name must be a lower-case id") { _ = try host.plugin("Bad_Name") }
        expectScriptError("a plugin folder name must be a lower-case id") { _ = try host.plugin("has space") }
    }

    @Test func initErrorsNameThePluginFile() throws {
        let folders = try PluginFolders()
        try folders.add("crash", initSource: "local x = 1\nlocal y = x.field\n")
        try folders.add("exit", initSource: "relais.exit(0)\n")
        try folders.add("module", initSource: "require('lib.helper')\n", files: ["lib/helper.lua": "local a = 1\nerror('helper failed')\n"])
        try folders.add("outside", initSource: "require('..secret')\n")
        try folders.add("spin", initSource: "while true do end\n")
        let host = folders.host()
        expectScriptError("crash/init.lua:2:", "attempt to index a number value (local 'x')") { _ = try host.plugin("crash") }
        expectScriptError("exit/init.lua", "relais.exit is only for `relais run` scripts") { _ = try host.plugin("exit") }
        expectScriptError("module/lib/helper.lua:2: helper failed") { _ = try host.plugin("module") }
        expectScriptError("outside/init.lua:1:", "is not a module name") { _ = try host.plugin("outside") }
        expectScriptError("spin/init.lua:1:", "instruction limit exceeded (1000000 instructions)", limit: .instructions) {
            _ = try host.plugin("spin")
        }
    }

    @Test func pluginModulesStayInsideThePluginFolder() throws {
        let folders = try PluginFolders()
        try folders.add("helper", initSource: "local x = 1", files: ["util.lua": "return { leaked = true }\n"])
        let consumer = try folders.add(
            "consumer",
            initSource: """
                local ok, message = pcall(require, "util")
                relais.filter("isolated", function() return not ok and message:find("not found", 1, true) ~= nil end)
                relais.filter("linked", function() return pcall(require, "link") end)
                relais.filter("own", function() return require("lib.own").value == 7 end)
                """, files: ["lib/own.lua": "return { value = 7 }\n"])
        try FileManager.default.createSymbolicLink(
            atPath: consumer.appendingPathComponent("link.lua").path,
            withDestinationPath: folders.directory().appendingPathComponent("helper/util.lua").path)
        let host = folders.host()
        let event = sampleEvents[0]
        #expect(try host.predicate(for: "consumer.isolated")(event) == true)
        #expect(try host.predicate(for: "consumer.linked")(event) == false)
        #expect(try host.predicate(for: "consumer.own")(event) == true)
    }

    @Test func limitsFromTheManifestAndFromTheHost() throws {
        let folders = try PluginFolders()
        let spinner = """
            relais.filter("spin", function(e) while true do end end)
            relais.filter("bomb", function(e) local t = {} for i = 1, 1e9 do t[i] = { i } end end)
            """
        try folders.add(
            "capped",
            manifest: .some(#"return { name = "C", version = "1", limits = { instructions = 300000, memory = 2 * 1024 * 1024 } }"#),
            initSource: spinner)
        let event = sampleEvents[0]
        let manifestLimits = folders.host(instructionLimit: nil, memoryLimit: nil)
        expectScriptError("capped/init.lua:1:", "instruction limit exceeded (300000 instructions)", limit: .instructions) {
            _ = try manifestLimits.predicate(for: "capped.spin")(event)
        }
        expectScriptError("capped/init.lua:2:", "memory limit exceeded (2 MiB)", limit: .memory) {
            _ = try manifestLimits.predicate(for: "capped.bomb")(event)
        }
        let overridden = folders.host(instructionLimit: 2_000_000, memoryLimit: 3 << 20)
        expectScriptError("capped/init.lua:1:", "instruction limit exceeded (2000000 instructions)", limit: .instructions) {
            _ = try overridden.predicate(for: "capped.spin")(event)
        }
        expectScriptError("capped/init.lua:2:", "memory limit exceeded (3 MiB)", limit: .memory) {
            _ = try overridden.predicate(for: "capped.bomb")(event)
        }
    }

    // MARK: - Exporters

    @Test func exportersAreRegisteredAndWrite() throws {
        let folders = try PluginFolders()
        try folders.add(
            "agenda",
            initSource: """
                relais.exporter{
                  name = "agenda-md", extension = "md", mime = "text/markdown", description = "Agenda en Markdown",
                  header = function() return "# Agenda\\n" end,
                  event = function(e)
                    if e.status == "cancelled" then return nil end
                    return "- " .. relais.date.slot(e.slots[1]) .. " : " .. e.title .. "\\n"
                  end,
                }
                relais.exporter{ name = "ids", extension = "txt", event = function(e) return e.id .. ";" end }
                """)
        let host = folders.host()
        let registry = ExporterRegistry()
        let failures = try host.registerExporters(in: registry)
        #expect(failures.isEmpty)
        let markdown = try #require(registry.exporter(named: "agenda-md"))
        #expect(markdown.fileExtension == "md")
        #expect(markdown.mimeType == "text/markdown")
        #expect(markdown.origin == "plugin agenda")
        #expect(markdown.summary == "Agenda en Markdown")
        let ids = try #require(registry.exporter(named: "ids"))
        #expect(ids.mimeType == "text/plain")
        #expect(registry.exporter(forExtension: "md")?.name == "agenda-md")

        let output = StringTextOutput()
        let writer = try markdown.makeWriter(output, ExportOptions())
        try writer.begin()
        for event in sampleEvents { try writer.write(event) }
        try writer.finish()
        #expect(
            output.text
                == """
                # Agenda
                - mardi 10 novembre 2020, 9h30–11h30 : Atelier design des politiques publiques
                - jeudi 12 novembre 2020, 14h : Webinaire sobriété numérique
                - lundi 30 novembre 2020, 10h–12h : Forum de l'innovation

                """)
        let idOutput = StringTextOutput()
        let idWriter = try ids.makeWriter(idOutput, ExportOptions())
        try idWriter.begin()
        for event in sampleEvents { try idWriter.write(event) }
        try idWriter.finish()
        #expect(idOutput.text == "mip-001;mip-002;mip-003;mip-004;")
    }

    @Test func exporterNameClashNamesBothPlugins() throws {
        let folders = try PluginFolders()
        let exporter = #"relais.exporter{ name = "agenda", extension = "txt", event = function(e) return e.id end }"#
        try folders.add("one", initSource: exporter)
        try folders.add("two", initSource: exporter)
        let host = folders.host()
        do {
            try host.registerExporters(in: ExporterRegistry())
            Issue.record("two plugins registered the same exporter name")
        } catch let clash as ExporterNameClash {
            #expect(clash.name == "agenda")
            #expect(clash.firstOrigin == "plugin one")
            #expect(clash.secondOrigin == "plugin two")
            #expect(clash.description.contains("plugin one") && clash.description.contains("plugin two"))
        }
    }

    @Test func exporterClashWithABuiltInFormat() throws {
        let folders = try PluginFolders()
        try folders.add("shadow", initSource: #"relais.exporter{ name = "csv", extension = "csv", event = function(e) return e.id end }"#)
        let registry = ExporterRegistry()
        try BuiltinFormats.registerExporters(in: registry)
        do {
            try folders.host().registerExporters(in: registry)
            Issue.record("a plugin replaced the built-in csv exporter")
        } catch let clash as ExporterNameClash {
            #expect(clash.name == "csv")
            #expect(clash.secondOrigin == "plugin shadow")
        }
        #expect(registry.exporter(named: "csv")?.origin != "plugin shadow")
    }

    @Test func brokenPluginsAreReportedWhileOthersRegister() throws {
        let folders = try PluginFolders()
        try folders.add("broken", initSource: "error('nope')")
        try folders.add("works", initSource: #"relais.exporter{ name = "works", extension = "txt", event = function(e) return e.id end }"#)
        let registry = ExporterRegistry()
        let failures = try folders.host().registerExporters(in: registry)
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("broken/init.lua:1: nope") == true, "\(failures.map(\.message))")
        #expect(registry.exporter(named: "works")?.origin == "plugin works")
    }

    @Test func exporterLimitsStopOneCallAndTheWriterContinues() throws {
        let folders = try PluginFolders()
        try folders.add(
            "slow",
            initSource: """
                relais.exporter{
                  name = "slow", extension = "txt",
                  event = function(e)
                    if e.id == "mip-002" then while true do end end -- SPIN
                    return e.id .. "\\n"
                  end,
                }
                """)
        let registry = ExporterRegistry()
        try folders.host().registerExporters(in: registry)
        let descriptor = try #require(registry.exporter(named: "slow"))
        let output = StringTextOutput()
        let writer = try descriptor.makeWriter(output, ExportOptions())
        try writer.begin()
        try writer.write(sampleEvents[0])
        expectScriptError("slow/init.lua:4:", "instruction limit exceeded", limit: .instructions) {
            try writer.write(sampleEvents[1])
        }
        try writer.write(sampleEvents[2])
        try writer.finish()
        #expect(output.text == "mip-001\nmip-003\n")
    }

    @Test func filtersCanReadEventsThemselves() throws {
        let folders = try PluginFolders()
        try folders.add(
            "nested",
            initSource: """
                relais.filter("has-sibling", function(e)
                  for other in relais.events{ lab = e.lab } do
                    if other.id ~= e.id then return true end
                  end
                  return false
                end)
                """)
        let host = folders.host(events: MemoryEventSource(sampleEvents))
        let predicate = try host.predicate(for: "nested.has-sibling")
        #expect(try predicate(sampleEvents[0]) == true)
        #expect(try predicate(sampleEvents[2]) == false)
    }
}
