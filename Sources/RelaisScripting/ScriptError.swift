import CLuaShim
import Foundation

/// A script failed: a Lua error, a limit, or a bad value returned to the host.
///
/// `message` reads `plugin-id/file.lua:LINE: message` (for a `relais run` script,
/// `file.lua:LINE: message`); `traceback` holds a few lines of the Lua stack.
public struct ScriptError: Error, CustomStringConvertible, Sendable {
    /// Which limit stopped the script, if one did.
    public enum Limit: Sendable { case instructions, memory }

    public var message: String
    public var traceback: [String] = []
    public var limit: Limit?

    public init(message: String, traceback: [String] = [], limit: Limit? = nil) {
        self.message = message
        self.traceback = traceback
        self.limit = limit
    }

    init(lua text: String, stop: relais_lua_stop) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        message = lines.isEmpty ? "error" : lines.removeFirst()
        // Keep a short traceback, without the host's own frames.
        // Keep the script's frames only: the host prelude's (`relais:NN`) and C frames
        // would only confuse a plugin author.
        traceback = lines.filter { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return !trimmed.hasPrefix("relais:") && !trimmed.hasPrefix("[C]:") && !trimmed.hasPrefix("(...tail calls...)")
        }.prefix(6).map { $0.replacingOccurrences(of: "\t", with: "  ") }
        switch stop {
        case RELAIS_STOP_CPU: limit = .instructions
        case RELAIS_STOP_MEMORY: limit = .memory
        default: limit = nil
        }
    }

    public var description: String {
        let frames = traceback.filter { $0 != "stack traceback:" }
        guard !frames.isEmpty else { return message }
        return message + "\nstack traceback:\n" + frames.joined(separator: "\n")
    }
}
