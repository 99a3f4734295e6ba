import ArgumentParser
import Foundation
import RelaisCore
import RelaisFormats
import RelaisScripting
import RelaisShell

/// The Lua limits a user may set for one run (they override plugins' manifests).
struct ScriptOptions: ParsableArguments {
    @Option(
        name: .customLong("cpu-limit"), parsing: .unconditional,
        help: ArgumentHelp(
            "Lua instructions per call into a script (default 100000000; a plugin's manifest may set its own).",
            valueName: "n"))
    var cpuLimit: Int64?

    @Option(
        name: .customLong("memory-limit"),
        parsing: .unconditional,
        help: ArgumentHelp("Memory per Lua state: bytes, or with K, M or G (default 64M).", valueName: "size"))
    var memoryLimit: String?

    func validate() throws {
        if let cpuLimit, cpuLimit <= 0 { throw ValidationError("--cpu-limit must be a positive number of instructions") }
        _ = try memoryBytes()
    }

    /// `--memory-limit` in bytes.
    func memoryBytes() throws -> Int? {
        guard let memoryLimit else { return nil }
        let text = memoryLimit.trimmingCharacters(in: .whitespaces).uppercased()
        var digits = text
        var scale = 1
        if let last = text.last, "KMG".contains(last) {
            digits = String(text.dropLast())
            scale = last == "K" ? 1 << 10 : last == "M" ? 1 << 20 : 1 << 30
        } else if text.hasSuffix("B") {
            digits = String(text.dropLast())
        }
        guard let value = Int(digits), value > 0, value <= (1 << 40) / scale, value * scale >= 1 << 20 else {
            throw ValidationError("--memory-limit '\(memoryLimit)' must be a size from 1M to 1024G (e.g. 32M, 1G)")
        }
        return value * scale
    }

    /// The plugin host for this run, reading events from `store` when one is open.
    func pluginHost(global: GlobalOptions, store: (any CatalogueStore)?) throws -> PluginHost {
        // A folder named on the command line must exist: a misspelt one would otherwise
        // leave its plugins unfound, with nothing said.
        for directory in global.pluginDirectories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw UserError("--plugins \(directory): no such folder")
            }
        }
        return PluginHost(
            directories: global.pluginSearchPath, instructionLimit: cpuLimit, memoryLimit: try memoryBytes(),
            events: store.map { CatalogueEventSource(store: $0) },
            log: { Terminal.writeError($0 + "\n") })
    }
}
