import Foundation
import RelaisCore
import RelaisTesting
import Testing

@testable import RelaisScripting

/// A script and the exit status `relais run` must give it (nil: an error).
struct ExitCase: Sendable, CustomTestStringConvertible {
    var source: String
    var status: Int32?
    var testDescription: String { source.replacingOccurrences(of: "\n", with: " ⏎ ") }
}

@Suite struct RunSemanticsTests {
    static let cases: [ExitCase] = [
        ExitCase(source: "local x = 1", status: 0),
        ExitCase(source: "return", status: 0),
        ExitCase(source: "return nil", status: 0),
        ExitCase(source: "return 0", status: 0),
        ExitCase(source: "return 3", status: 3),
        ExitCase(source: "return 3.0", status: 3),
        ExitCase(source: "return 255", status: 255),
        ExitCase(source: "return true", status: 0),
        ExitCase(source: "return false", status: 1),
        ExitCase(source: "return 'x'", status: nil),
        ExitCase(source: "return '3'", status: nil),
        ExitCase(source: "return 300", status: nil),
        ExitCase(source: "return 256", status: nil),
        ExitCase(source: "return -1", status: nil),
        ExitCase(source: "return 2.5", status: nil),
        ExitCase(source: "return 0/0", status: nil),
        ExitCase(source: "return math.huge", status: nil),
        ExitCase(source: "return {}", status: nil),
        ExitCase(source: "return print", status: nil),
        ExitCase(source: "relais.exit(4)\nreturn 0", status: 4),
        ExitCase(source: "relais.exit()", status: 0),
        ExitCase(source: "relais.exit(0)\nreturn 7", status: 0),
        ExitCase(source: "pcall(relais.exit, 4)\nreturn 0", status: 4),
        ExitCase(source: "pcall(function() relais.exit(4) end)\nprint('after')\nreturn 0", status: 4),
        ExitCase(source: "while true do pcall(relais.exit, 5) end", status: 5),
        ExitCase(source: "xpcall(relais.exit, function() return 'swallowed' end, 6)\nreturn 0", status: 6),
        ExitCase(source: "coroutine.wrap(function() relais.exit(7) end)()\nreturn 0", status: 7),
        ExitCase(source: "coroutine.resume(coroutine.create(function() relais.exit(8) end))\nreturn 0", status: 8),
        ExitCase(
            source: "local t <close> = setmetatable({}, { __close = function() error('in close') end })\nrelais.exit(9)",
            status: 9),
        ExitCase(source: "relais.exit(256)", status: nil),
        ExitCase(source: "relais.exit(-1)", status: nil),
    ]

    @Test(arguments: cases)
    func exitStatus(_ exitCase: ExitCase) throws {
        let outcome = try runScript(exitCase.source)
        if let expected = exitCase.status {
            #expect(outcome.status == expected, "error: \(outcome.message)")
            #expect(outcome.error == nil)
        } else {
            #expect(outcome.status == nil, "expected an error, got status \(String(describing: outcome.status))")
            #expect(outcome.error?.message.contains("script.lua") == true, "\(outcome.message)")
        }
    }

    @Test func badReturnValuesExplainTheRule() throws {
        let text = try runScript("return 'x'")
        expectFailure(text, "script.lua", "return an exit status (0–255), true/false or nothing")
        let big = try runScript("return 300")
        expectFailure(big, "script.lua", "returned 300", "0 to 255")
    }

    @Test func argumentsArriveAsRelaisArgs() throws {
        let outcome = try runScript(
            """
            print(#relais.args)
            for i, a in ipairs(relais.args) do print(i, a) end
            print(type(relais.args[4]))
            """, arguments: ["75", "été 2020", ""])
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines == ["3", "1\t75", "2\tété 2020", "3\t", "nil"])
        let none = try runScript("print(#relais.args, type(relais.args))")
        #expect(none.lines == ["0\ttable"])
    }

    @Test func printAndLogGoToTheirStreams() throws {
        let outcome = try runScript(
            """
            print("a", 1, nil, true, 2.5)
            relais.log("to the log", 42)
            print()
            print(setmetatable({}, { __tostring = function() return "custom" end }))
            """)
        #expect(outcome.status == 0, "\(outcome.message)")
        #expect(outcome.lines == ["a\t1\tnil\ttrue\t2.5", "", "custom"])
        #expect(outcome.log == "to the log\t42\n")
    }

    @Test func missingScriptAndBinaryScriptAreRefused() throws {
        let folder = try ScriptFolder()
        let missing = try folder.runFile(folder.scripts.appendingPathComponent("nope.lua").path)
        expectFailure(missing, "nope.lua", "no such script")
        let binary = folder.scripts.appendingPathComponent("binary.lua")
        try Data([0x1B, 0x4C, 0x75, 0x61, 0x54, 0x00]).write(to: binary)
        let refused = try folder.runFile(binary.path)
        expectFailure(refused, "binary.lua", "binary chunks are not allowed")
        let notUTF8 = folder.scripts.appendingPathComponent("latin1.lua")
        try Data([0x70, 0x72, 0x69, 0x6E, 0x74, 0x28, 0x22, 0xE9, 0x22, 0x29]).write(to: notUTF8)
        let latin1 = try folder.runFile(notUTF8.path)
        expectFailure(latin1, "latin1.lua", "not UTF-8")
        let directory = try folder.runFile(folder.scripts.path)
        expectFailure(directory, "no such script")
    }

    @Test func eachRunGetsAFreshState() throws {
        let folder = try ScriptFolder()
        let path = try folder.write(
            "counter.lua",
            """
            counter = (counter or 0) + 1
            print(counter)
            """)
        for _ in 0..<3 {
            let outcome = try folder.runFile(path)
            #expect(outcome.lines == ["1"], "\(outcome.message)")
        }
    }
}
