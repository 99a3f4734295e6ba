import Foundation
import RelaisCore
import RelaisTesting
import Testing

@testable import RelaisScripting

/// A runaway script and what must stop it.
struct Runaway: Sendable, CustomTestStringConvertible {
    var name: String
    var source: String
    var limit: ScriptError.Limit
    var testDescription: String { name }
}

@Suite struct LimitTests {
    static let cpuRunaways: [Runaway] = [
        Runaway(
            name: "infinite loop",
            source: """
                local n = 0
                while true do n = n + 1 end -- STOP
                """, limit: .instructions),
        Runaway(
            name: "pcall swallows the limit and loops again",
            source: """
                local caught = 0
                while true do
                  local ok = pcall(function() while true do end end) -- STOP
                  caught = caught + 1
                end
                """, limit: .instructions),
        Runaway(
            name: "nested pcalls",
            source: """
                local function spin() while true do end end -- STOP
                while true do pcall(pcall, pcall, spin) end
                """, limit: .instructions),
        Runaway(
            name: "xpcall with a handler",
            source: """
                while true do
                  xpcall(function() while true do end end, function(m) return m end) -- STOP
                end
                """, limit: .instructions),
        Runaway(
            name: "xpcall whose handler loops",
            source: """
                while true do
                  xpcall(error, function() while true do end end) -- STOP
                end
                """, limit: .instructions),
        Runaway(
            name: "coroutine.wrap in a loop",
            source: """
                while true do
                  pcall(coroutine.wrap(function() while true do end end)) -- STOP
                end
                """, limit: .instructions),
        Runaway(
            name: "coroutine.resume in a loop",
            source: """
                while true do
                  local co = coroutine.create(function() while true do end end) -- STOP
                  local ok, message = coroutine.resume(co)
                end
                """, limit: .instructions),
        Runaway(
            name: "yielding coroutine",
            source: """
                local co = coroutine.wrap(function() while true do coroutine.yield(1) end end) -- STOP
                while true do co() end
                """, limit: .instructions),
        Runaway(
            name: "to-be-closed variable that loops",
            source: """
                local guard <close> = setmetatable({}, { __close = function() while true do end end })
                while true do end -- STOP
                """, limit: .instructions),
        Runaway(
            name: "error handler in a to-be-closed variable",
            source: """
                while true do
                  pcall(function()
                    local guard <close> = setmetatable({}, { __close = function() while true do end end })
                    while true do end -- STOP
                  end)
                end
                """, limit: .instructions),
        Runaway(
            name: "table.sort comparator",
            source: """
                local t = {}
                for i = 1, 100 do t[i] = i end
                table.sort(t, function(a, b) while true do end end) -- STOP
                """, limit: .instructions),
        Runaway(
            name: "gsub callback",
            source: """
                while true do
                  pcall(string.gsub, "abc", ".", function(c) while true do end end) -- STOP
                end
                """, limit: .instructions),
        Runaway(
            name: "__index metamethod",
            source: """
                local t = setmetatable({}, { __index = function() while true do end end })
                while true do pcall(function() return t.x end) end -- STOP
                """, limit: .instructions),
    ]

    @Test(arguments: cpuRunaways)
    func runawayScriptsAreStoppedByTheInstructionLimit(_ runaway: Runaway) throws {
        let outcome = try runScript(runaway.source)
        // The count or, where each instruction is slow (coroutines under a sanitizer), the
        // time the budget may take: both are this stop.
        expectFailure(outcome, "instruction limit exceeded (", limit: .instructions)
        #expect(
            outcome.message.contains("(1000000 instructions)")
                || outcome.message.contains("(0.3 s, the time 1000000 instructions may take)"), "\(outcome.message)")
        #expect(outcome.message.contains("script.lua:"), "no file in '\(outcome.message)'")
        #expect(!outcome.message.hasPrefix("relais"), "\(outcome.message)")
        try expectHealthyRun()
    }

    @Test func theInstructionLimitNamesTheLineThatWasRunning() throws {
        let source = """
            local n = 0
            for i = 1, 10 do n = n + i end
            while true do n = n + 1 end -- STOP
            """
        let outcome = try runScript(source)
        expectFailure(outcome, "script.lua:\(line(of: "-- STOP", in: source)): instruction limit exceeded", limit: .instructions)
    }

    /// A runaway inside the host's own Lua code (the JSON encoder) is still reported at the
    /// script's line, never at the prelude's ("relais:123:").
    @Test func theInstructionLimitInsideTheRelaisAPINamesTheScriptLine() throws {
        let source = """
            local t = {}
            for i = 1, 300 do t[i] = { name = "n" .. i, values = { i, i + 1, i + 2 } } end
            while true do local text = relais.json.encode(t) end -- STOP
            """
        let outcome = try runScript(source)
        expectFailure(outcome, "instruction limit exceeded", limit: .instructions)
        #expect(
            outcome.message.contains("script.lua:\(line(of: "-- STOP", in: source)):"),
            "the limit message should name the script's line: '\(outcome.message)'")
        #expect(!outcome.message.hasPrefix("relais:"), "\(outcome.message)")
    }

    /// Work done in short-lived coroutines counts against the budget like any other.
    @Test func workInShortLivedCoroutinesCounts() throws {
        let outcome = try runScript(
            """
            local function burn()
              local x = 0
              for i = 1, 300 do x = x + i end
              return x
            end
            local total = 0
            for i = 1, 20000 do total = total + coroutine.wrap(burn)() end
            print(total)
            return 0
            """)
        // 20000 coroutines of about 900 instructions each: 18 million instructions.
        expectFailure(outcome, "instruction limit exceeded", limit: .instructions)
    }

    /// Work done inside one long C call (pattern matching backtracks) counts too: a script
    /// must not hang the host with a single `string.find`.
    @Test func patternMatchingCountsAgainstTheBudget() throws {
        let outcome = try runScript(
            """
            local s = string.rep("a", 70)
            print(s:find(".-.-.-.-b"))
            return 0
            """)
        expectFailure(outcome, "instruction limit exceeded", limit: .instructions)
    }

    /// Table functions that loop in C (`table.move` over a range, `table.insert` and
    /// `table.remove` shifting a long list) do work the count hook never sees; like pattern
    /// matching, it must count against the budget.
    @Test(arguments: [
        "table.move({}, 1, 1e7, 1, {})",
        "local t = {}\nfor i = 1, 20000 do t[i] = i end\nfor i = 1, 500 do table.insert(t, 1, i) end",
        "local t = {}\nfor i = 1, 20000 do t[i] = i end\nfor i = 1, 500 do table.remove(t, 1) end",
        // The length the library uses is __len's, and each element through a metatable may
        // be a C metamethod's call.
        "table.insert(setmetatable({}, {__len = function() return 2^50 end}), 1, 0)",
        "table.remove(setmetatable({}, {__len = function() return 2^50 end}), 1)",
        "table.sort(setmetatable({}, {__len = function() return 2^31 - 2 end, __index = type, __newindex = type}))",
        "while true do table.unpack(setmetatable({}, {__len = function() return 100000 end})) end",
        "table.move(setmetatable({}, {__index = type}), 1, 1e7, 1, setmetatable({}, {__newindex = type}))",
        "local s = (\"x\"):rep(2^16)\nwhile true do local t = s:rep(16) end",
    ])
    func tableLoopsInCCountAgainstTheBudget(_ source: String) throws {
        let outcome = try runScript(source + "\nreturn 0\n")
        expectFailure(outcome, "instruction limit exceeded", limit: .instructions)
    }

    /// One instruction can do work in proportion to its operands (comparing or upper-casing
    /// long strings): the call is also bounded in time, by what its budget may take.
    @Test(arguments: [
        "local s = (\"x\"):rep(2^20)\nwhile true do local u = s:upper() end",
        "local s, t = (\"x\"):rep(2^21), (\"x\"):rep(2^21)\nlocal n = 0\nwhile true do if s == t then n = n + 1 end end",
    ])
    func workInsideOneInstructionIsBoundedInTime(_ source: String) throws {
        let started = Date()
        let outcome = try runScript(source + "\nreturn 0\n")
        expectFailure(outcome, "instruction limit exceeded (0.3 s, the time 1000000 instructions may take)", limit: .instructions)
        #expect(outcome.message.contains("script.lua:"), "\(outcome.message)")
        #expect(Date().timeIntervalSince(started) < 30)
        try expectHealthyRun()
    }

    @Test func deepRecursionIsACleanError() throws {
        let source = """
            local function f(n) return 1 + f(n + 1) end -- RECURSE
            return f(1)
            """
        let outcome = try runScript(source, limits: ScriptLimits(instructions: 50_000_000, memory: 64 << 20))
        guard let error = outcome.error else {
            Issue.record("deep recursion returned \(String(describing: outcome.status))")
            return
        }
        #expect(
            error.message.contains("stack overflow") || error.limit == .memory, "unexpected: '\(error.message)'")
        #expect(error.message.contains("script.lua:"), "\(error.message)")
        try expectHealthyRun()
    }

    @Test(arguments: [
        // __index recursion through the C stack.
        "local t = setmetatable({}, { __index = function(t, k) return t[k] end })\nreturn t.x\n",
        // tostring recursion through __tostring.
        "local t = setmetatable({}, { __tostring = function(s) return tostring(s) end })\nprint(t)\n",
        // gsub callback recursion.
        "local function f(s) return (s:gsub('.', f)) end\nreturn f('abc')\n",
        // table.sort inside a comparator inside table.sort…
        "local function cmp(a, b) table.sort({3, 2, 1}, cmp) return a < b end\ntable.sort({3, 2, 1}, cmp)\n",
    ])
    func cStackRecursionIsACleanError(_ source: String) throws {
        let outcome = try runScript(source, limits: ScriptLimits(instructions: 20_000_000, memory: 16 << 20))
        guard let error = outcome.error else {
            Issue.record("recursion returned \(String(describing: outcome.status))")
            return
        }
        #expect(error.message.contains("script.lua:"), "\(error.message)")
        #expect(error.message.contains("stack overflow") || error.limit != nil, "\(error.message)")
        try expectHealthyRun()
    }

    @Test func pcallRecursionEndsCleanly() throws {
        let outcome = try runScript(
            """
            local depth = 0
            local function f() depth = depth + 1; return pcall(f) end
            f()
            print(depth > 100)
            return 0
            """, limits: ScriptLimits(instructions: 20_000_000, memory: 16 << 20))
        #expect(outcome.status == 0 || outcome.error != nil)
        try expectHealthyRun()
    }

    // MARK: - Memory

    static let memoryRunaways: [Runaway] = [
        Runaway(
            name: "table bomb",
            source: """
                local t, i = {}, 0
                while true do i = i + 1; t[i] = { i, i, i } end -- STOP
                """, limit: .memory),
        Runaway(
            name: "linked list bomb",
            source: """
                local head
                while true do head = { head, "payload" } end -- STOP
                """, limit: .memory),
        Runaway(
            name: "string doubling",
            source: """
                local s = "x"
                while true do s = s .. s end -- STOP
                """, limit: .memory),
        Runaway(
            name: "string.rep of a billion",
            source: """
                local s = string.rep("x", 1e9) -- STOP
                """, limit: .memory),
        Runaway(
            name: "string method rep of a billion",
            source: """
                local s = ("xy"):rep(1e9, ",") -- STOP
                """, limit: .memory),
        Runaway(
            name: "many big strings",
            source: """
                local parts = {}
                for i = 1, 64 do parts[i] = string.rep("y", 1 << 20) end -- STOP
                """, limit: .memory),
        Runaway(
            name: "pcall catches the memory error and continues",
            source: """
                local ok = pcall(function() local t = {} for i = 1, 1e9 do t[i] = { i } end end) -- STOP
                local x = 0
                for i = 1, 100 do x = x + i end
                print("survived", ok, x)
                return 0
                """, limit: .memory),
        Runaway(
            name: "pcall catches string.rep and continues",
            source: """
                local ok, message = pcall(string.rep, "x", 1e9) -- STOP
                return 0
                """, limit: .memory),
        Runaway(
            name: "memory error caught in a loop",
            source: """
                while true do
                  pcall(function() local t = {} for i = 1, 1e9 do t[i] = { i } end end) -- STOP
                end
                """, limit: .memory),
        Runaway(
            name: "a refused buffer caught by pcall (lauxlib does not retry)",
            source: """
                local s = ("x"):rep(3 * 2^20)
                local t = { s, s, s }
                local ok = pcall(table.concat, t) -- STOP
                local kept = {}
                for i = 1, 1e6 do kept[i % 100 + 1] = { i } end
                return 0
                """, limit: .memory),
        Runaway(
            name: "coroutine bomb",
            source: """
                local list = {}
                while true do list[#list + 1] = coroutine.create(function() end) end -- STOP
                """, limit: .memory),
    ]

    @Test(arguments: memoryRunaways)
    func memoryBombsAreStoppedByTheMemoryLimit(_ runaway: Runaway) throws {
        let outcome = try runScript(runaway.source, limits: ScriptLimits(instructions: 20_000_000, memory: 8 << 20))
        expectFailure(outcome, "memory limit exceeded (8 MiB)", limit: .memory)
        #expect(
            outcome.message.contains("script.lua:\(line(of: "-- STOP", in: runaway.source)):"),
            "the limit message should name the script and the line: '\(outcome.message)'")
        try expectHealthyRun()
    }

    /// Garbage the collector can reclaim is not "held": a script whose live data stays far
    /// below the budget is not stopped because it churns.
    @Test(arguments: [
        """
        for i = 1, 60 do local s = string.rep("x", 1 << 20) end
        return 0
        """,
        """
        local keep = {}
        for i = 1, 12000 do keep[i] = { i } end
        for round = 1, 60 do
          local t = {}
          for i = 1, 12000 do t[i] = { i } end
        end
        return 0
        """,
    ])
    func garbageDoesNotCountAsHeldMemory(_ source: String) throws {
        let outcome = try runScript(source, limits: ScriptLimits(instructions: 50_000_000, memory: 4 << 20))
        #expect(outcome.status == 0, "stopped although live memory stays small: '\(outcome.message)'")
    }

    @Test func limitOverridesTripWhereTheDefaultsDoNot() throws {
        let memoryHungry = """
            local t = {}
            for i = 1, 200000 do t[i] = i end
            return 0
            """
        let small = try runScript(memoryHungry, limits: ScriptLimits(instructions: 100_000_000, memory: 2 << 20))
        expectFailure(small, "memory limit exceeded (2 MiB)", limit: .memory)
        let roomy = try runScript(memoryHungry, limits: .defaults)
        #expect(roomy.status == 0, "\(roomy.message)")

        let busy = """
            local x = 0
            for i = 1, 2000000 do x = x + 1 end
            return 0
            """
        let tight = try runScript(busy, limits: ScriptLimits(instructions: 1_000_000, memory: 64 << 20))
        expectFailure(tight, "instruction limit exceeded (1000000 instructions)", limit: .instructions)
        let generous = try runScript(busy, limits: .defaults)
        #expect(generous.status == 0, "\(generous.message)")

        let oddMemory = try runScript(memoryHungry, limits: ScriptLimits(instructions: 100_000_000, memory: 1_500_000))
        expectFailure(oddMemory, "memory limit exceeded (1500000 bytes)", limit: .memory)
    }

    @Test func aStateRecoversAfterEachLimitWithinAPlugin() throws {
        let folders = try PluginFolders()
        let source = """
            relais.filter("spin", function(e) while true do end end)
            relais.filter("bomb", function(e)
              local head
              while true do head = { head, e.id } end -- BOMB
            end)
            relais.filter("rep", function(e) return #string.rep("x", 1e9) > 0 end)
            relais.filter("ok", function(e) local n = 0 for i = 1, 1000 do n = n + i end return n == 500500 and e.id == "mip-001" end)
            """
        try folders.add("limits", initSource: source)
        try folders.add("other", initSource: #"relais.filter("ok", function(e) return e.kind == "workshop" end)"#)
        let host = folders.host()
        let event = sampleEvents[0]
        let spin = try host.predicate(for: "limits.spin")
        let bomb = try host.predicate(for: "limits.bomb")
        let rep = try host.predicate(for: "limits.rep")
        let ok = try host.predicate(for: "limits.ok")
        let other = try host.predicate(for: "other.ok")
        for round in 0..<3 {
            expectScriptError("limits/init.lua:1:", "instruction limit exceeded", limit: .instructions) {
                _ = try spin(event)
            }
            #expect(try ok(event), "round \(round): after the instruction limit")
            #expect(try other(event))
            expectScriptError("limits/init.lua:", "memory limit exceeded", limit: .memory) { _ = try bomb(event) }
            #expect(try ok(event), "round \(round): after the memory limit")
            #expect(try other(event))
            expectScriptError("limits/init.lua:6:", "memory limit exceeded", limit: .memory) { _ = try rep(event) }
            #expect(try ok(event), "round \(round): after string.rep")
        }
    }
}
