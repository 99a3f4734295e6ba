import Foundation
import RelaisCore
import Testing

@testable import RelaisScripting

// The Lua modules shipped with Relais: `require("relais.NAME")` from any plugin or script,
// one copy for every lab instead of one per plugin folder.

@Suite("Shared Lua modules")
struct SharedModulesTests {
    @Test(arguments: SharedModules.names)
    func everyShippedModuleLoadsInTheSandbox(_ name: String) throws {
        let outcome = try runScript(
            """
            local module = require("relais.\(name)")
            assert(type(module) == "table", "module must be a table")
            assert(require("relais.\(name)") == module, "a module is loaded once")
            print("ok")
            """)
        #expect(outcome.error == nil, "\(outcome.message)")
        #expect(outcome.lines == ["ok"])
    }

    @Test func filterHelpersFoldTextLikeTheHost() throws {
        let folders = try PluginFolders()
        try folders.add(
            "probe",
            initSource: """
                local filtres = require("relais.filtres")
                relais.filter("agents", filtres.pour_agents)
                """)
        let host = folders.host()
        let forAgents = try host.predicate(for: "probe.agents")
        #expect(try forAgents(sampleEvents[0]) == true, "audience agents")
        #expect(try host.plugin("probe").registrations.filters == ["agents"])
    }

    @Test func anUnknownModuleNamesTheShippedOnes() throws {
        let outcome = try runScript("local x = 1\nlocal m = require(\"relais.nope\")\n")
        #expect(outcome.message.contains("script.lua:2: require: Relais ships no module 'relais.nope'"))
        #expect(outcome.message.contains("relais.agenda, relais.calendrier, relais.changements, relais.filtres, relais.hebdo, relais.jours, relais.json-ordonne"))
    }

    @Test func aPluginFileCannotStandInForAShippedModule() throws {
        let folder = try ScriptFolder()
        try folder.write("relais/agenda.lua", "return { fake = true }")
        let outcome = try folder.run("print(require(\"relais.agenda\").fake)")
        #expect(outcome.lines == ["nil"])
    }

    @Test func theAgendaModuleRefusesABadWeekWithItsUsage() throws {
        let outcome = try runScript(
            """
            return require("relais.agenda").agenda { nom = "Test", region = "75", lab = "test", script = "agenda.lua" }
            """, arguments: ["pas-une-semaine"])
        #expect(outcome.status == 1)
        let text = outcome.output + outcome.log
        #expect(text.contains("'pas-une-semaine' n'est ni une semaine (2020-W47) ni une date (2020-11-17)"))
        #expect(text.contains("usage : relais run agenda.lua [SEMAINE] [--national]"))
    }
}
