import Foundation
import RelaisCore
import RelaisFormats
import RelaisTesting
import Testing

@testable import RelaisScripting

/// A failing script, the fragments its message must contain, and the marker of its line.
struct FailingScript: Sendable, CustomTestStringConvertible {
    var name: String
    var source: String
    var expected: [String]
    var testDescription: String { name }
}

@Suite struct ErrorTests {
    static let failing: [FailingScript] = [
        FailingScript(
            name: "error with a string",
            source: """
                local x = 1
                error("plain failure") -- HERE
                """, expected: ["plain failure"]),
        FailingScript(
            name: "error with a table value",
            source: """
                local x = 1
                error({ code = 42 }) -- HERE
                """, expected: ["table"]),
        FailingScript(
            name: "error with nil",
            source: """
                local x = 1
                error(nil) -- HERE
                """, expected: ["nil"]),
        FailingScript(
            name: "error with a table whose __tostring fails",
            source: """
                local bomb = setmetatable({}, { __tostring = function() error("nested") end })
                error(bomb) -- HERE
                """, expected: ["table"]),
        FailingScript(
            name: "error in __tostring used by print",
            source: """
                local t = setmetatable({}, { __tostring = function() error("tostring broke") end }) -- HERE
                print("value:", t)
                """, expected: ["tostring broke"]),
        FailingScript(
            name: "error in __tostring used by tostring",
            source: """
                local t = setmetatable({}, { __tostring = function() error("tostring broke") end }) -- HERE
                local s = tostring(t)
                """, expected: ["tostring broke"]),
        FailingScript(
            name: "__tostring returning a number, through print",
            source: """
                local t = setmetatable({}, { __tostring = function() return {} end })
                print(t) -- HERE
                """, expected: ["'__tostring' must return a string"]),
        FailingScript(
            name: "error in a table.sort comparator",
            source: """
                local t = { 3, 1, 2 }
                table.sort(t, function(a, b) error("comparator broke") end) -- HERE
                """, expected: ["comparator broke"]),
        FailingScript(
            name: "invalid order function",
            source: """
                local t = {}
                for i = 1, 50 do t[i] = i % 7 end
                table.sort(t, function(a, b) return true end) -- HERE
                """, expected: ["invalid order function for sorting"]),
        FailingScript(
            name: "error in a gsub callback",
            source: """
                local s = "abc"
                local r = s:gsub(".", function(c) error("callback broke on " .. c) end) -- HERE
                """, expected: ["callback broke on a"]),
        FailingScript(
            name: "gsub callback returning a table",
            source: """
                local s = "abc"
                local r = s:gsub(".", function(c) return {} end) -- HERE
                """, expected: ["invalid replacement value (a table)"]),
        FailingScript(
            name: "relais.date.format with a number",
            source: """
                local x = 1
                print(relais.date.format(42)) -- HERE
                """, expected: ["relais.date.format: argument #1 must be a string, got number"]),
        FailingScript(
            name: "relais.date.format with a bad pattern type",
            source: """
                local x = 1
                print(relais.date.format("2020-11-10", {})) -- HERE
                """, expected: ["relais.date.format: argument #2 must be a string, got table"]),
        FailingScript(
            name: "relais.date.format with text that is not a time (Swift error)",
            source: """
                local x = 1
                print(relais.date.format("le 10 novembre")) -- HERE
                """, expected: ["relais.date.format: 'le 10 novembre' is not a time"]),
        FailingScript(
            name: "relais.date.slot with a bad end (Swift error)",
            source: """
                local x = 1
                print(relais.date.slot({ start = "2020-11-10", ["end"] = "demain" })) -- HERE
                """, expected: ["relais.date.slot: end 'demain' is not a time"]),
        FailingScript(
            name: "relais.events with an unknown region (Swift error)",
            source: """
                local x = 1
                for e in relais.events{ region = "atlantide" } do end -- HERE
                """, expected: ["relais.events: unknown region 'atlantide'"]),
        FailingScript(
            name: "relais.events with an unknown option",
            source: """
                local x = 1
                for e in relais.events{ colour = "blue" } do end -- HERE
                """, expected: ["relais.events: unknown option 'colour'"]),
        FailingScript(
            name: "relais.events with a bad kind (Swift error)",
            source: """
                local x = 1
                for e in relais.events{ kind = { "webinar", "party" } } do end -- HERE
                """, expected: ["relais.events: unknown kind 'party'"]),
        FailingScript(
            name: "relais.events with a bad date (Swift error)",
            source: """
                local x = 1
                for e in relais.events{ from = "novembre" } do end -- HERE
                """, expected: ["relais.events: from 'novembre' is not a date"]),
        FailingScript(
            name: "relais.events with a bad online type",
            source: """
                local x = 1
                for e in relais.events{ online = "yes" } do end -- HERE
                """, expected: ["relais.events: field 'online' must be a boolean, got string"]),
        FailingScript(
            name: "relais.text.fold with nil",
            source: """
                local x = 1
                print(relais.text.fold()) -- HERE
                """, expected: ["relais.text.fold: argument #1 must be a string, got nil"]),
        FailingScript(
            name: "relais.json.decode of broken JSON",
            source: """
                local x = 1
                print(relais.json.decode('{"a": [1, 2}')) -- HERE
                """, expected: ["relais.json.decode: expected ',' or ']'"]),
        FailingScript(
            name: "relais.json.encode of a function",
            source: """
                local x = 1
                print(relais.json.encode({ f = print })) -- HERE
                """, expected: ["relais.json.encode: cannot encode a function"]),
        FailingScript(
            name: "relais.json.encode of a cycle",
            source: """
                local t = {}
                t.self = t
                print(relais.json.encode(t)) -- HERE
                """, expected: ["relais.json.encode: a table contains itself"]),
        FailingScript(
            name: "relais.exit with a bad status",
            source: """
                local x = 1
                relais.exit(256) -- HERE
                """, expected: ["relais.exit: status must be 0"]),
        FailingScript(
            name: "relais.notify is not available yet",
            source: """
                local x = 1
                relais.notify{ channel = "mail", to = "a@b.fr", body = "x" } -- HERE
                """, expected: ["relais.notify:"]),
        FailingScript(
            name: "relais.on with an unknown event",
            source: """
                local x = 1
                relais.on("event.deleted", function() end) -- HERE
                """, expected: ["relais.on: unknown event 'event.deleted'"]),
        FailingScript(
            name: "relais.regions.lookup with a number",
            source: """
                local x = 1
                relais.regions.lookup(75) -- HERE
                """, expected: ["relais.regions.lookup: argument #1 must be a string, got number"]),
        FailingScript(
            name: "xpcall without a handler",
            source: """
                local x = 1
                xpcall(print) -- HERE
                """, expected: ["xpcall: argument #2 must be a function, got nil"]),
        FailingScript(
            name: "syntax error",
            source: """
                local x = 1
                local y = = 2 -- HERE
                """, expected: ["unexpected symbol near '='"]),
        FailingScript(
            name: "arithmetic on nil",
            source: """
                local x
                local y = x + 1 -- HERE
                """, expected: ["attempt to perform arithmetic on a nil value (local 'x')"]),
    ]

    @Test(arguments: failing)
    func scriptErrorsNameTheScriptAndLine(_ script: FailingScript) throws {
        let outcome = try runScript(script.source, events: MemoryEventSource(sampleEvents))
        let expectedLine = "script.lua:\(line(of: "-- HERE", in: script.source)):"
        expectFailure(outcome, expectedLine)
        for fragment in script.expected { expectFailure(outcome, fragment) }
        #expect(outcome.error?.limit == nil)
        #expect(!outcome.message.hasPrefix("relais:"), "\(outcome.message)")
        #expect(!outcome.message.contains("[string"), "\(outcome.message)")
        try expectHealthyRun()
    }

    /// A script's error message of megabytes is cut, at a character boundary, saying so.
    @Test func aHugeErrorMessageIsCut() throws {
        let outcome = try runScript("error(\"é\" .. (\"é\"):rep(512 * 1024))\n")
        expectFailure(outcome, "script.lua:1: éé", "… (message cut: ")
        let message = try #require(outcome.error?.message)
        #expect(message.utf8.count < 5000, "\(message.utf8.count)")
        #expect(!message.contains("\u{FFFD}"))
    }

    @Test func errorsAreCaughtByPcallWithTheirValues() throws {
        let outcome = try runScript(
            """
            local ok, e = pcall(error, { code = 42 })
            print(ok, type(e), e.code)
            local ok2, e2 = pcall(error, nil)
            print(ok2, e2)
            local ok3, e3 = pcall(relais.date.format, "x")
            print(ok3, e3)
            local ok4, e4 = xpcall(function() error("inner", 0) end, function(m) return "handled " .. m end)
            print(ok4, e4)
            print(select("#", xpcall(function() return 1, 2, nil end, print)))
            return 0
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines.count == 5)
        guard outcome.lines.count == 5 else { return }
        #expect(outcome.lines[0] == "false\ttable\t42")
        #expect(outcome.lines[1] == "false\tnil")
        #expect(outcome.lines[2].hasPrefix("false\t"))
        #expect(outcome.lines[2].contains("script.lua:5: relais.date.format: 'x' is not a time"), "\(outcome.lines[2])")
        #expect(outcome.lines[3] == "false\thandled inner")
        #expect(outcome.lines[4] == "4")
    }

    @Test func tracebackKeepsScriptFramesOnly() throws {
        let source = """
            local function inner() error("deep") end
            local function outer() inner() end
            outer()
            """
        let outcome = try runScript(source)
        expectFailure(outcome, "script.lua:1: deep")
        let traceback = outcome.error?.traceback ?? []
        #expect(traceback.contains { $0.contains("script.lua:2") }, "\(traceback)")
        #expect(!traceback.contains { isHostFrame($0) }, "\(traceback)")
        #expect(outcome.error?.description.contains("stack traceback") == true)
    }

    private func isHostFrame(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.hasPrefix("relais:") || trimmed.contains("[string \"relais\"]")
    }

    /// ScriptError promises a traceback "without the host's own frames": an error raised
    /// through the prelude (argument checks) must not show `relais:LINE:` frames.
    @Test func tracebackOfAnAPIErrorHidesThePrelude() throws {
        let source = """
            local function format(t) local text = relais.date.format(t); return text end
            local function outer() local text = format(42); return text end
            outer()
            """
        let outcome = try runScript(source)
        expectFailure(outcome, "script.lua:1: relais.date.format: argument #1 must be a string, got number")
        let traceback = outcome.error?.traceback ?? []
        #expect(!traceback.contains { isHostFrame($0) }, "host frames in the traceback: \(traceback)")
        #expect(traceback.contains { $0.contains("script.lua:3") }, "script frames cut off: \(traceback)")
    }

    // MARK: - Exporter callbacks calling failing Swift functions

    /// Swift → Lua (exporter callback) → Swift (a failing host function): a clean
    /// ScriptError every time, and the plugin keeps working; repeated to catch leaks.
    @Test func exporterCallbacksSurviveFailingHostFunctions() throws {
        let folders = try PluginFolders()
        let source = """
            relais.exporter{
              name = "risky", extension = "txt",
              header = function() return "begin\\n" end,
              event = function(e)
                if e.id == "bad-date" then return relais.date.format("pas une date") .. "\\n" end -- DATE
                if e.id == "bad-json" then return relais.json.encode({ f = print }) .. "\\n" end -- JSON
                if e.id == "bad-type" then return relais.date.format(e.slots) .. "\\n" end -- TYPE
                if e.id == "bad-events" then for x in relais.events{ region = "atlantide" } do end end -- EVENTS
                if e.id == "bad-return" then return 42 end
                if e.id == "bad-error" then error({ "table error" }) end
                return relais.date.format(e.slots[1].start, "%d %B") .. " " .. e.id .. "\\n"
              end,
              footer = function() return "end\\n" end,
            }
            """
        try folders.add("exp", initSource: source)
        let host = folders.host(events: MemoryEventSource(sampleEvents))
        let registry = ExporterRegistry()
        let failures = try host.registerExporters(in: registry)
        #expect(failures.isEmpty, "\(failures)")
        guard let descriptor = registry.exporter(named: "risky") else {
            Issue.record("exporter 'risky' not registered")
            return
        }
        #expect(descriptor.origin == "plugin exp")
        #expect(descriptor.fileExtension == "txt")
        let output = StringTextOutput()
        let writer = try descriptor.makeWriter(output, ExportOptions())
        try writer.begin()
        func bad(_ id: String) -> Event { makeEvent(id) }
        let expectations: [(String, [String])] = [
            ("bad-date", ["exp/init.lua:\(line(of: "-- DATE", in: source)):", "relais.date.format: 'pas une date' is not a time"]),
            ("bad-json", ["exp/init.lua:\(line(of: "-- JSON", in: source)):", "relais.json.encode: cannot encode a function"]),
            ("bad-type", ["exp/init.lua:\(line(of: "-- TYPE", in: source)):", "argument #1 must be a string, got table"]),
            ("bad-events", ["exp/init.lua:\(line(of: "-- EVENTS", in: source)):", "unknown region 'atlantide'"]),
            // Named where the exporter was registered: its callback has returned.
            ("bad-return", ["exp/init.lua:1: exporter 'risky': event must return a string or nil, got number"]),
            ("bad-error", ["exp"]),
        ]
        for iteration in 0..<200 {
            for (id, fragments) in expectations {
                do {
                    try writer.write(bad(id))
                    Issue.record("iteration \(iteration): \(id) did not fail")
                } catch let error as ScriptError {
                    for fragment in fragments {
                        #expect(error.message.contains(fragment), "iteration \(iteration): '\(error.message)'")
                    }
                    #expect(!error.message.contains("relais:"), "'\(error.message)'")
                    #expect(error.limit == nil)
                }
            }
            try writer.write(makeEvent("ok-\(iteration)"))
        }
        try writer.finish()
        let lines = output.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "begin")
        #expect(lines.last == "end")
        #expect(lines.count == 202)
        #expect(lines.dropFirst().first == "10 novembre ok-0")
        #expect(lines.dropLast().last == "10 novembre ok-199")
        let plugin = try host.plugin("exp")
        #expect(plugin.runtime.lua.memoryUsed < 4 << 20, "memory after 1400 calls: \(plugin.runtime.lua.memoryUsed)")
    }
}
