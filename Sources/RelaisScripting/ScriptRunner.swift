import Foundation
import RelaisCore

/// Runs a regional script (`relais run SCRIPT.lua ARGS...`) in its own sandboxed state.
public enum ScriptRunner {
    /// Runs `path` with `arguments` as `relais.args`. `print` goes to `output`, `relais.log`
    /// to `log`. Returns the exit status: what the script returns (an integer 0–255, `true`
    /// for 0, `false` for 1, nothing for 0) or what it passed to `relais.exit`.
    /// Throws ``ScriptError`` naming `file.lua:LINE` when the script fails or hits a limit.
    /// With `outbox`, `relais.notify{…, key=}` queues there at once; `secrets` serves
    /// `relais.secret` (a script's secrets are those of the owner `script`).
    public static func run(
        path: String, arguments: [String], limits: ScriptLimits, events: (any ScriptEventSource)?,
        outbox: (any OutboxStore)? = nil, secrets: (any SecretSource)? = nil,
        output: @escaping (String) -> Void, log: @escaping (String) -> Void
    ) throws -> Int32 {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ScriptError(message: "\(path): no such script")
        }
        let runtime = try ScriptRuntime(
            name: path, origin: ScriptOrigin(pluginID: nil, folder: url.deletingLastPathComponent()), limits: limits,
            arguments: arguments, events: events,
            write: { text, stream in
                switch stream {
                case .output: output(text + "\n")
                case .log: log(text + "\n")
                }
            })
        if let outbox {
            runtime.queueDeliveries = { deliveries in _ = try outbox.queue(deliveries, at: Date()) }
        }
        runtime.secret = { name in secrets?.secret(owner: "script", name: name) }
        let source = try ScriptRuntime.readSource(url, shownAs: path, pluginID: nil)
        let outcome = try runtime.lua.run(source, chunkname: "@" + path)
        switch outcome {
        case .none: return 0
        case .exit(let status): return status
        case .boolean(let ok): return ok ? 0 : 1
        case .number(let value):
            guard value >= 0, value <= 255, value == value.rounded() else {
                throw ScriptError(message: "\(path): the script returned \(value); an exit status is an integer from 0 to 255")
            }
            return Int32(value)
        case .string, .other:
            throw ScriptError(
                message: "\(path): the script returned a \(outcome == .none ? "nil" : "value that is not a number"); return an exit status (0–255), true/false or nothing")
        }
    }
}
