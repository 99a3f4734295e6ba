import ArgumentParser
import Foundation
import RelaisCore
import RelaisFormats
import RelaisScripting
import RelaisShell

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua script in the sandbox with the relais API.",
        discussion: """
            The script sees relais.args (the arguments after its name) and relais.events{…} over \
            the catalogue. Its return value (0–255, true, false) or relais.exit(n) is the exit status.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scripts: ScriptOptions

    @Argument(help: ArgumentHelp("The script.", valueName: "script.lua"))
    var script: String

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Arguments for the script.", valueName: "args"))
    var arguments: [String] = []

    func run() throws {
        let store = try global.openCatalogue()
        let limits = ScriptLimits(
            instructions: scripts.cpuLimit ?? ScriptLimits.defaults.instructions,
            memory: try scripts.memoryBytes() ?? ScriptLimits.defaults.memory)
        let output = StandardOutputTextOutput()
        var failure: (any Error)?
        var status: Int32 = 0
        do {
            status = try ScriptRunner.run(
                path: script, arguments: arguments, limits: limits, events: CatalogueEventSource(store: store),
                outbox: store,
                secrets: try global.deliveryConfiguration().knowing(
                    owners: try scripts.pluginHost(global: global, store: nil).discover().plugins.map(\.id) + ["script"]),
                output: { text in
                    do { try output.write(text) } catch { failure = failure ?? error }
                },
                log: { Terminal.writeError($0) })
        } catch {
            try? output.flush()
            throw error
        }
        do { try output.flush() } catch is OutputClosed {}
        if let failure, !(failure is OutputClosed) { throw failure }
        if status != 0 { throw ExitCode(status) }
    }
}

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the plugins found, or check that each one loads.",
        subcommands: [ListPlugins.self, CheckPlugins.self],
        defaultSubcommand: ListPlugins.self)

    struct ListPlugins: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Each plugin: id, folder, filters, exporters, handlers, digests.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var scripts: ScriptOptions

        func run() throws {
            let host = try scripts.pluginHost(global: global, store: nil)
            let results = host.loadAll()
            if results.isEmpty {
                print("No plugins found in: \(host.directories.map(\.path).joined(separator: ", "))")
                return
            }
            for (location, result) in results {
                switch result {
                case .success(let plugin):
                    let r = plugin.registrations
                    print("\(location.id) \(plugin.manifest.version) — \(plugin.manifest.name)")
                    print("  folder:    \(location.folder.path)")
                    if let region = plugin.manifest.region { print("  region:    \(region.name) (\(region.code))") }
                    print("  filters:   \(r.filters.isEmpty ? "-" : r.filters.map { "\(location.id).\($0)" }.joined(separator: ", "))")
                    print("  exporters: \(r.exporters.isEmpty ? "-" : r.exporters.map(\.name).joined(separator: ", "))")
                    print("  handlers:  \(r.handlers.isEmpty ? "-" : r.handlers.joined(separator: ", "))")
                    print("  digests:   \(r.digests.isEmpty ? "-" : r.digests.joined(separator: ", "))")
                case .failure(let error):
                    print("\(location.id) — failed to load")
                    print("  folder:    \(location.folder.path)")
                    print("  error:     \(error.message)")
                }
            }
            for shadowed in host.discover().shadowed {
                print("(\(shadowed.id) in \(shadowed.folder.path) is shadowed by an earlier folder)")
            }
        }
    }

    struct CheckPlugins: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Load every plugin in the sandbox and report every error (exit 1 if any).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var scripts: ScriptOptions

        func run() throws {
            let host = try scripts.pluginHost(global: global, store: nil)
            var failures = 0
            // The built-in formats, from the registry the other commands use.
            let builtIns = ExporterRegistry()
            try BuiltinFormats.registerExporters(in: builtIns)
            var exporterOwners: [String: String] = [:]
            for (location, result) in host.loadAll() {
                switch result {
                case .success(let plugin):
                    var clashes: [String] = []
                    for exporter in plugin.registrations.exporters {
                        if let owner = exporterOwners[exporter.name] {
                            clashes.append("export format '\(exporter.name)' is registered by \(owner) and by \(location.id)")
                        } else if builtIns.exporter(named: exporter.name) != nil {
                            clashes.append("export format '\(exporter.name)' is built in and registered again by \(location.id)")
                        } else {
                            exporterOwners[exporter.name] = location.id
                        }
                    }
                    if !clashes.isEmpty {
                        failures += 1
                        print("FAIL \(location.id): " + clashes.joined(separator: "\n     "))
                    } else {
                        print("ok   \(location.id) \(plugin.manifest.version)")
                    }
                case .failure(let error):
                    failures += 1
                    print("FAIL \(location.id): \(error.description.replacingOccurrences(of: "\n", with: "\n     "))")
                }
            }
            if failures > 0 {
                Terminal.writeError("relais: \(failures) plugin\(failures == 1 ? "" : "s") failed the check\n")
                throw ExitCode(1)
            }
        }
    }
}
