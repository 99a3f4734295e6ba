import Foundation
import RelaisCore

/// The REPL's `lua>` prompt: one sandboxed state kept between chunks, with the `relais`
/// API over the catalogue, under the same limits as a `relais run` script.
public final class LuaConsole {
    /// What a chunk gave.
    public enum Result: Equatable, Sendable {
        /// What it printed, then the values it returned (an expression's value).
        case output(String)
        /// Not finished: an open `function`, `do`, `(`, string… Read another line.
        case incomplete
        case failure(String)
    }

    private let runtime: ScriptRuntime
    private var printed = ""
    /// The most a chunk's printed output is kept: 1 MiB.
    private static let printedLimit = 1 << 20

    public init(events: (any ScriptEventSource)?, limits: ScriptLimits, folder: URL) throws {
        var collected: (String) -> Void = { _ in }
        runtime = try ScriptRuntime(
            name: "lua", origin: ScriptOrigin(pluginID: nil, folder: folder), limits: limits, events: events,
            write: { text, _ in collected(text + "\n") })
        collected = { [unowned self] text in
            // The Lua state's memory budget does not cover what the host keeps: a loop of
            // prints stops being kept past a screenful many times over.
            guard self.printed.utf8.count < Self.printedLimit else { return }
            self.printed += text
            if self.printed.utf8.count >= Self.printedLimit {
                self.printed += "… (output cut at \(Self.printedLimit >> 20) MiB)\n"
            }
        }
    }

    /// Runs `chunk`: as an expression when it is one (`1 + 1`, `relais.regions["53"]`, or
    /// `= expr`), else as statements. Returned values are printed, tables as JSON.
    public func evaluate(_ chunk: String, now: Date) -> Result {
        runtime.clock = { now }
        printed = ""
        var source = chunk
        if source.hasPrefix("=") { source = "return " + source.dropFirst() }
        // The chunk travels as a long string whose brackets it does not contain.
        var level = 0
        while source.contains("]" + String(repeating: "=", count: level) + "]") { level += 1 }
        let equals = String(repeating: "=", count: level)
        let wrapper = """
            local source = [\(equals)[\(source)]\(equals)]
            local chunk, problem = load("return " .. source, "=lua", "t")
            if not chunk then chunk, problem = load(source, "=lua", "t") end
            if not chunk then
              if string.find(problem, "<eof>", 1, true) then return "\\0incomplete" end
              error(problem, 0)
            end
            local results = table.pack(chunk())
            for index = 1, results.n do
              local value = results[index]
              if type(value) == "table" then
                local ok, text = pcall(relais.json.encode, value)
                print(ok and text or tostring(value))
              else
                print(tostring(value))
              end
            end
            """
        do {
            switch try runtime.lua.run(wrapper, chunkname: "=lua") {
            case .string(let marker) where marker == "\0incomplete":
                return .incomplete
            case .exit:
                return .failure("relais.exit is for `relais run` scripts")
            default:
                return .output(printed)
            }
        } catch let error as ScriptError {
            return .failure(printed + error.message)
        } catch {
            return .failure(printed + "\(error)")
        }
    }
}
