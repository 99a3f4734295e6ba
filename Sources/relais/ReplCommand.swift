import ArgumentParser
import Foundation
import RelaisCore
import RelaisDigests
import RelaisFormats
import RelaisScripting
import RelaisShell
import RelaisStorage

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Ask the catalogue questions in French or English (also `relais` alone on a terminal).",
        discussion: """
            On a terminal: line editing, history (~/.local/state/relais/history), tab completion, \
            :help for the commands. With standard input piped, reads one line at a time with no \
            prompt or colours and exits with status 1 if any command failed.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scripts: ScriptOptions

    func run() throws {
        let store = try global.openCatalogue()
        let host = try scripts.pluginHost(global: global, store: store)
        host.secrets = try global.deliveryConfiguration().knowing(owners: host.discover().plugins.map(\.id) + ["script"])
        host.templates = MustacheTemplates()
        host.clock = try global.clock()
        let backend = try CatalogueReplBackend(store: store, host: host)
        let interactive = isatty(STDIN_FILENO) == 1
        let reader: any LineReader
        if interactive {
            ShellSignals.install()
            reader = EditLineReader(
                historyFile: EditLineReader.defaultHistoryFile, completion: ReplCompleter(backend: backend))
        } else {
            // Ctrl-C still interrupts a long query of a piped session rather than killing it.
            ShellSignals.install()
            reader = PipedLineReader()
        }
        let output = StandardOutputTextOutput(bufferSize: 0)
        let session = ReplSession(
            backend: backend, reader: reader, interactive: interactive, now: try global.pinnedNow(),
            write: { text in try? output.write(text) },
            writeError: { Terminal.writeError($0) })
        let succeeded = session.run()
        try? output.flush()
        if !succeeded { throw ExitCode(1) }
    }
}

/// The REPL over the SQLite catalogue and the plugins.
final class CatalogueReplBackend: ReplBackend {
    private let store: SQLiteCatalogue
    private let host: PluginHost
    private let registry: ExporterRegistry
    private var plugins: [(id: String, plugin: LoadedPlugin?, failure: String?)] = []
    private var console: LuaConsole?
    let labs: [String: String]
    let scriptFilters: [String]
    let digestPlugins: [String]

    init(store: SQLiteCatalogue, host: PluginHost) throws {
        self.store = store
        self.host = host
        registry = try makeExporterRegistry()
        var labs: [String: String] = [:]
        var filters: [String] = []
        var digests: [String] = []
        for (location, result) in host.loadAll() {
            switch result {
            case .success(let plugin):
                plugins.append((location.id, plugin, nil))
                filters += plugin.registrations.filters.map { "\(location.id).\($0)" }
                if !plugin.registrations.digests.isEmpty { digests.append(location.id) }
                if let lab = plugin.manifest.lab {
                    labs[TextFolding.nameKey(lab)] = lab
                    // "La Base — laboratoire …" → "La Base", also without its article.
                    let short = plugin.manifest.name.components(separatedBy: " — ").first ?? plugin.manifest.name
                    if short.count <= 30 {
                        labs[TextFolding.nameKey(short)] = lab
                        for article in ["la ", "le ", "l'", "les "] where short.lowercased().hasPrefix(article) {
                            labs[TextFolding.nameKey(String(short.dropFirst(article.count)))] = lab
                        }
                    }
                }
            case .failure(let error):
                plugins.append((location.id, nil, error.message))
            }
        }
        self.labs = labs
        scriptFilters = filters.sorted()
        digestPlugins = digests.sorted()
        _ = try host.registerExporters(in: registry)
    }

    func forEachEvent(matching query: EventQuery, _ body: (consuming Event) throws -> Bool) throws {
        let filters = try query.scriptFilters.map { try host.filter(named: $0) }
        if filters.isEmpty {
            try store.forEachEvent(matching: query, body)
        } else {
            let prefilter: any EventPrefilter = filters.count == 1 ? filters[0] : AllOfPrefilters(filters)
            try store.forEachEvent(matching: query, passing: prefilter, body)
        }
    }

    func count(matching query: EventQuery) throws -> Int {
        if query.scriptFilters.isEmpty { return try store.count(matching: query) }
        var count = 0
        try forEachEvent(matching: query) { _ in
            if ShellSignals.interruptPending { return false }
            count += 1
            return true
        }
        return count
    }

    func event(id: String) throws -> Event? { try store.event(id: id) }

    func history(of id: String) throws -> [EventChange] { try store.changes(ofEvent: id) }

    func eventIDs(startingWith prefix: String, limit: Int) -> [String] {
        (try? store.eventIDs(startingWith: prefix, limit: limit)) ?? []
    }

    var exporterNames: [String] { registry.all.map(\.name) }

    func export(format: String, query: EventQuery, to path: String?, output: (String) throws -> Void) throws -> Int {
        guard let exporter = registry.exporter(named: format) else { throw UserError("unknown format '\(format)'") }
        let filters = try query.scriptFilters.map { try host.filter(named: $0) }
        var written = 0
        if let path {
            try writeOutput(to: path, sparing: store) { file in
                let writer = try exporter.makeWriter(file, ExportOptions())
                written = try ExportPipeline.run(from: store, matching: query, filters: filters, into: writer)
            }
        } else {
            try withoutActuallyEscaping(output) { output in
                let sink = ForwardingTextOutput(forward: output)
                let writer = try exporter.makeWriter(sink, ExportOptions())
                written = try ExportPipeline.run(from: store, matching: query, filters: filters, into: writer)
            }
        }
        return written
    }

    func pluginSummaries() -> [String] {
        plugins.map { entry in
            guard let plugin = entry.plugin else { return "\(entry.id): failed to load: \(entry.failure ?? "")" }
            let registrations = plugin.registrations
            var parts: [String] = []
            if !registrations.filters.isEmpty { parts.append("filters " + registrations.filters.joined(separator: ", ")) }
            if !registrations.exporters.isEmpty {
                parts.append("formats " + registrations.exporters.map(\.name).joined(separator: ", "))
            }
            if !registrations.handlers.isEmpty { parts.append("handlers " + registrations.handlers.joined(separator: ", ")) }
            if !registrations.digests.isEmpty { parts.append("digests " + registrations.digests.joined(separator: ", ")) }
            return "\(entry.id) \(plugin.manifest.version) — \(parts.joined(separator: "; "))"
        }
    }

    func digest(plugin id: String, week: ISOWeek) throws -> String {
        guard let entry = plugins.first(where: { $0.id == id }) else {
            throw UserError("no plugin '\(id)'" + QuestionParser.suggestion(id, among: plugins.map(\.id)))
        }
        guard let plugin = entry.plugin else { throw UserError("\(id) failed to load: \(entry.failure ?? "")") }
        var texts: [String] = []
        for name in plugin.registrations.digests {
            if let content = try plugin.buildDigest(name, week: week) {
                texts.append("Objet : \(content.subject)\n\n" + DigestRendering.render(content).text)
            } else {
                texts.append("(\(id)/\(name): nothing to send for \(week))\n")
            }
        }
        guard !texts.isEmpty else { throw UserError("\(id) has no digest") }
        return texts.joined(separator: "\n")
    }

    var savedQueries: any SavedQueryStore { store }

    func lua(_ chunk: String, now: Date) -> LuaChunkResult {
        do {
            if console == nil {
                console = try LuaConsole(
                    events: CatalogueEventSource(store: store), limits: ScriptLimits.defaults,
                    folder: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            }
            guard let console else { return .failure("no Lua state") }
            switch console.evaluate(chunk, now: now) {
            case .output(let text): return .output(text)
            case .incomplete: return .incomplete
            case .failure(let message): return .failure(message)
            }
        } catch {
            return .failure("\(error)")
        }
    }
}

/// Hands each chunk an exporter writes to a closure.
private final class ForwardingTextOutput: TextOutput {
    private let forward: (String) throws -> Void
    init(forward: @escaping (String) throws -> Void) { self.forward = forward }
    func write(_ text: String) throws { try forward(text) }
}
