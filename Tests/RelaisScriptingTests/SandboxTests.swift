import Foundation
import RelaisCore
import RelaisTesting
import Testing

@testable import RelaisScripting

/// One thing a script must not be able to do, and what its error says.
struct ForbiddenAttempt: Sendable, CustomTestStringConvertible {
    var code: String
    var expected: String
    var testDescription: String { code }
}

@Suite struct SandboxTests {
    /// A folder with bait a successful escape would touch: a Lua file that prints when run,
    /// a fake C module, a module outside the script's folder and links to it.
    private func baitedFolder() throws -> ScriptFolder {
        let folder = try ScriptFolder()
        try folder.write("bait.lua", "print('bait ran')\nreturn {}\n")
        try folder.write("cmod.so", "\u{7F}ELF not really a library")
        try folder.write("x/y.lua", "return { value = 42 }\n")
        try folder.writeOutside("elsewhere/secret.lua", "print('secret ran')\nreturn { secret = true }\n")
        let fm = FileManager.default
        try fm.createSymbolicLink(
            atPath: folder.scripts.appendingPathComponent("linked.lua").path,
            withDestinationPath: folder.root.url.appendingPathComponent("elsewhere/secret.lua").path)
        try fm.createSymbolicLink(
            atPath: folder.scripts.appendingPathComponent("linkdir").path, withDestinationPath: "../elsewhere")
        return folder
    }

    static let attempts: [ForbiddenAttempt] = [
        .init(code: #"io.open(dir .. "/pwned", "w"):write("x")"#, expected: "global 'io'"),
        .init(code: #"io.write("x")"#, expected: "global 'io'"),
        .init(code: #"os.execute("touch " .. dir .. "/pwned")"#, expected: "field 'execute'"),
        .init(code: #"os.remove(dir .. "/bait.lua")"#, expected: "field 'remove'"),
        .init(code: #"os.rename(dir .. "/bait.lua", dir .. "/pwned")"#, expected: "field 'rename'"),
        .init(code: #"print(os.getenv("HOME"))"#, expected: "field 'getenv'"),
        .init(code: #"os.exit(3)"#, expected: "field 'exit'"),
        .init(code: #"os.tmpname()"#, expected: "field 'tmpname'"),
        .init(code: #"debug.sethook()"#, expected: "global 'debug'"),
        .init(code: #"debug.getregistry()"#, expected: "global 'debug'"),
        .init(code: #"package.loadlib("libc.so.6", "system")"#, expected: "global 'package'"),
        .init(code: #"dofile(dir .. "/bait.lua")"#, expected: "global 'dofile'"),
        .init(code: #"loadfile(dir .. "/bait.lua")()"#, expected: "global 'loadfile'"),
        .init(code: #"string.dump(print)"#, expected: "field 'dump'"),
        .init(code: #"("x").dump(print)"#, expected: "field 'dump'"),
        .init(code: #"("x"):dump()"#, expected: "method 'dump'"),
        .init(code: #"collectgarbage("collect")"#, expected: #"only "count" is allowed"#),
        .init(code: #"collectgarbage("stop")"#, expected: #"only "count" is allowed"#),
        .init(code: #"collectgarbage()"#, expected: #"only "count" is allowed"#),
        .init(code: #"collectgarbage("generational")"#, expected: #"only "count" is allowed"#),
        .init(code: #"require("../bait")"#, expected: "is not a module name"),
        .init(code: #"require("/etc/passwd")"#, expected: "is not a module name"),
        .init(code: #"require("a/b")"#, expected: "is not a module name"),
        .init(code: #"require("..elsewhere.secret")"#, expected: "is not a module name"),
        .init(code: #"require("linked")"#, expected: "resolves outside"),
        .init(code: #"require("linkdir.secret")"#, expected: "resolves outside"),
        .init(code: #"require("missing")"#, expected: "module 'missing' not found"),
        .init(code: #"require("cmod")"#, expected: "module 'cmod' not found"),
        .init(code: #"require("socket.core")"#, expected: "module 'socket.core' not found"),
        .init(code: #"setmetatable({}, { __gc = function() end })"#, expected: "__gc metamethods are not allowed"),
        .init(code: #"setmetatable({}, { __gc = false })"#, expected: "__gc metamethods are not allowed"),
        .init(code: #"load(string.char(27) .. "Lua", "x", "b", _ENV)"#, expected: "only text chunks"),
        .init(code: #"_ENV.io.open(dir .. "/pwned", "w")"#, expected: "global 'io'"),
        .init(code: #"_G.os.execute("touch " .. dir .. "/pwned")"#, expected: "field 'execute'"),
        .init(code: #"rawget(_G, "io").open(dir .. "/pwned", "w")"#, expected: "attempt to index a nil value"),
        .init(code: #"load("return io")().open(dir .. "/pwned", "w")"#, expected: "attempt to index a nil value"),
        .init(code: #"getmetatable("").__index.dump(print)"#, expected: "field 'dump'"),
        .init(code: #"__host.write("x")"#, expected: "global '__host'"),
        .init(code: #"__relais_where()"#, expected: "global '__relais_where'"),
    ]

    @Test(arguments: attempts)
    func forbiddenOperationFailsAtItsLineAndTouchesNothing(_ attempt: ForbiddenAttempt) throws {
        let folder = try baitedFolder()
        let script = "local dir = \(luaQuoted(folder.scripts.path))\n\(attempt.code)\nreturn 0\n"
        let path = try folder.write("script.lua", script)
        let before = folder.listing()
        let outcome = try folder.runFile(path)
        expectFailure(outcome, "script.lua:2:", attempt.expected)
        #expect(outcome.error?.limit == nil)
        #expect(!outcome.output.contains("bait ran"))
        #expect(!outcome.output.contains("secret ran"))
        #expect(folder.listing() == before, "files changed: \(folder.listing())")
        #expect(before.contains("scripts/bait.lua") && before.contains("scripts/script.lua"))
    }

    @Test func sandboxKeepsOnlyTheAllowedLibraries() throws {
        let outcome = try runScript(
            """
            print(io, debug, package, dofile, loadfile, require ~= nil, xpcall ~= nil)
            print(os.execute, os.getenv, os.remove, os.exit, os.rename, os.tmpname, os.setlocale)
            print(type(os.time()), type(os.date("%Y")), type(os.clock()), os.difftime(10, 4))
            print(string.dump, getmetatable("").__index == string, getmetatable("").__index.dump)
            print(type(collectgarbage("count")), collectgarbage("count") > 0)
            print(math.floor(2.5), utf8.char(233), coroutine.status(coroutine.create(print)), table.concat({1, 2}, "+"))
            print(__host, __relais_where, rawget(_G, "__host"))
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(
            outcome.lines == [
                "nil\tnil\tnil\tnil\tnil\ttrue\ttrue",
                "nil\tnil\tnil\tnil\tnil\tnil\tnil",
                "number\tstring\tnumber\t6.0",
                "nil\ttrue\tnil",
                "number\ttrue",
                "2\té\tsuspended\t1+2",
                "nil\tnil\tnil",
            ])
    }

    @Test func loadOfTextWorksAndSeesTheSandbox() throws {
        let outcome = try runScript(
            """
            local f = assert(load("x = 41; return x + 1, io, os.execute, relais ~= nil, _ENV == _G"))
            print(f())
            print(x)
            local g = assert(load("return print", "chunk", "t", {}))
            print(g())
            local h = assert(load(function() local done; return nil end))
            print(type(h))
            local bad, message = load("return +", "=broken")
            print(bad, message)
            print(load("return _ENV")() == _G, load("return _G")() == _ENV)
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(
            outcome.lines == [
                "42\tnil\tnil\ttrue\ttrue",
                "41",
                "nil",
                "function",
                "nil\tbroken:1: unexpected symbol near '+'",
                "true\ttrue",
            ])
    }

    @Test func loadRefusesBinaryChunks() throws {
        let outcome = try runScript(
            """
            local binary = string.char(27) .. "Lua" .. string.char(84, 0, 25, 147, 13, 10, 26, 10)
            local f, message = load(binary)
            print(f, message)
            local g, message2 = load(binary, "x", "t")
            print(g, message2)
            local h, message3 = load(binary, "x", "bt")
            print(h, message3)
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines.count == 3)
        for line in outcome.lines {
            #expect(line.hasPrefix("nil\t"), "\(line)")
            #expect(line.contains("binary chunk"), "\(line)")
        }
    }

    /// `load(s, name, "b")` must not load anything: binary chunks are refused, and a text chunk
    /// is not what mode "b" asks for.
    @Test func loadWithModeBinaryIsRefused() throws {
        let outcome = try runScript(
            """
            local ok, f, message = pcall(load, "return 7", "chunk", "b")
            print(ok and f ~= nil)
            local ok2, f2 = pcall(load, "return 7", "chunk", "b", _ENV)
            print(ok2 and f2 ~= nil)
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines == ["false", "false"], "mode \"b\" loaded a text chunk: \(outcome.lines)")
    }

    @Test func requireLoadsModulesFromTheScriptFolder() throws {
        let folder = try baitedFolder()
        try folder.write("lib/util.lua", "local M = {}\nfunction M.twice(x) return 2 * x end\nreturn M\n")
        try folder.write("counter.lua", "count = (count or 0) + 1\nreturn { loaded = count }\n")
        try folder.write("named.lua", "local name = ...\nreturn name\n")
        let outcome = try folder.run(
            """
            print(require("x.y").value)
            print(require("lib.util").twice(21))
            print(require("counter").loaded, require("counter").loaded, count)
            print(require("named"))
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines == ["42", "42", "1\t1\t1", "named"])
    }

    @Test func errorsInModulesNameTheModuleFile() throws {
        let folder = try ScriptFolder()
        try folder.write("lib/broken.lua", "local t = {}\nreturn t.missing.field\n")
        try folder.write("lib/syntax.lua", "local x = \nreturn (\n")
        let outcome = try folder.run("local ok, message = pcall(require, 'lib.syntax')\nprint(message)\nrequire('lib.broken')\n")
        expectFailure(outcome, "lib/broken.lua:2:", "missing")
        #expect(outcome.lines.first?.contains("lib/syntax.lua:2:") == true, "\(outcome.lines)")
    }

    /// A module whose first `require` failed must fail again with its own error, not claim to
    /// require itself.
    @Test func requireAfterAFailedRequireReportsTheRealError() throws {
        let folder = try ScriptFolder()
        try folder.write("flaky.lua", "error('flaky module broke')\n")
        let outcome = try folder.run(
            """
            local ok, first = pcall(require, "flaky")
            print(ok, first)
            local ok2, second = pcall(require, "flaky")
            print(ok2, second)
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines.count == 2)
        #expect(outcome.lines.first?.contains("flaky module broke") == true, "\(outcome.lines)")
        #expect(outcome.lines.last?.contains("flaky module broke") == true, "second require: \(outcome.lines)")
        #expect(outcome.lines.last?.contains("requires itself") == false, "second require: \(outcome.lines)")
    }

    @Test func requireOfItselfIsAClearError() throws {
        let folder = try ScriptFolder()
        try folder.write("loop.lua", "local again = require('loop')\nreturn again\n")
        let outcome = try folder.run("require('loop')\n")
        expectFailure(outcome, "loop.lua:1:", "module 'loop' requires itself")
    }

    @Test func gcThroughSetmetatableIsRefusedButOtherMetatablesWork() throws {
        let outcome = try runScript(
            """
            local t = setmetatable({}, { __index = function(_, k) return k .. "!" end })
            print(t.hello)
            local mt = {}
            local u = setmetatable({}, mt)
            mt.__gc = function() print("finalized") end
            print(getmetatable(u) == mt)
            local ok, message = pcall(setmetatable, {}, { __gc = print })
            print(ok, message)
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines.count == 3)
        #expect(outcome.lines.prefix(2) == ["hello!", "true"])
        #expect(outcome.lines.last?.hasPrefix("false\t") == true)
        #expect(outcome.lines.last?.contains("__gc metamethods are not allowed") == true)
        #expect(!outcome.output.contains("finalized"))
    }

    @Test func eventViewsAreReadOnly() throws {
        let source = MemoryEventSource(sampleEvents)
        let script = """
            local e = relais.events{ limit = 1 }()
            print(getmetatable(e))
            print(pcall(setmetatable, e, {}))
            local mt = getmetatable(e)
            print(type(mt))
            print(pcall(function() e.title = "changed" end))
            print(pcall(function() rawset(e, "title", "changed") end))
            print(e.title)
            e.title = "changed" -- WRITE
            """
        let outcome = try runScript(script, events: source)
        expectFailure(
            outcome, "script.lua:\(line(of: "-- WRITE", in: script)):", "events are read-only (cannot set field 'title')")
        #expect(outcome.lines.count == 6, "\(outcome.lines)")
        guard outcome.lines.count == 6 else { return }
        #expect(outcome.lines[0] == "read-only event")
        #expect(outcome.lines[1].hasPrefix("false\t"))
        #expect(outcome.lines[2] == "string")
        #expect(outcome.lines[3].hasPrefix("false\t"))
        #expect(outcome.lines[3].contains("events are read-only (cannot set field 'title')"))
        #expect(outcome.lines[4].hasPrefix("false\t"))
        #expect(outcome.lines[5] == "Atelier design des politiques publiques")
    }

    @Test func changingTheStringMetatableOnlyAffectsThatScript() throws {
        let first = try runScript(
            """
            getmetatable("").__index = { upper = function() return "hijacked" end }
            string.upper = function() return "hijacked too" end
            print(("x"):upper(), string.upper("x"))
            """)
        #expect(first.status == 0, "\(first.message)")
        #expect(first.lines == ["hijacked\thijacked too"])
        let second = try runScript(#"print(("x"):upper(), string.upper("y"), getmetatable("").__index == string)"#)
        #expect(second.status == 0, "\(second.message)")
        #expect(second.lines == ["X\tY\ttrue"])
    }

    @Test func globalsTricksStayInsideTheSandbox() throws {
        let outcome = try runScript(
            """
            rawset(_G, "io", { open = function() return "fake" end })
            print(io.open())
            _G.os = nil
            print(os)
            setmetatable(_G, { __index = function(_, k) return "missing " .. k end })
            print(undefined_global)
            local _ENV = { print = print }
            print(relais, string)
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines == ["fake", "nil", "missing undefined_global", "nil\tnil"])
        // A later script sees the pristine sandbox.
        let later = try runScript("print(io, type(os), type(os.time), getmetatable(_G))")
        #expect(later.lines == ["nil\ttable\tfunction\tnil"], "\(later.message)")
    }
}
