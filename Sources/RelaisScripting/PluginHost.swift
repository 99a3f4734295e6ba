import Foundation
import RelaisCore
import RelaisFormats

/// A plugin folder found on disk (`Plugins/<id>/init.lua`).
public struct PluginLocation: Sendable, Equatable {
    public var id: String
    public var folder: URL
}

/// A plugin loaded in its own Lua state: its manifest and what its `init.lua` registered.
public final class LoadedPlugin {
    public let location: PluginLocation
    public let manifest: PluginManifest
    public var registrations: ScriptRegistrations { runtime.registrations }
    let runtime: ScriptRuntime

    init(location: PluginLocation, manifest: PluginManifest, runtime: ScriptRuntime) {
        self.location = location
        self.manifest = manifest
        self.runtime = runtime
    }

    /// `request` as the outbox keeps it: the secrets this plugin has read are replaced by
    /// references, resolved only when the delivery is sent (see ``SecretReference``).
    public func concealingSecrets(in request: DeliveryRequest) -> DeliveryRequest {
        runtime.concealingSecrets(in: request)
    }

    /// Runs filter `name` on `event`.
    public func filter(_ name: String, _ event: Event) throws -> Bool {
        try filterOutcome(name, try call("filter", name, event: .event(event)))
    }

    /// Runs filter `name` (also given as `cName`) on the event whose stored text is `fields`.
    func filter(_ name: String, cName: ContiguousArray<CChar>, fields: EventFieldTexts) throws -> Bool {
        try filterOutcome(name, try outcome { try runtime.lua.invokeFilter(cName, fields: fields) })
    }

    /// Runs filter `name` (also given as `cName`) on every event of `batch`, in one call
    /// into the plugin's state, appending each answer to `results` (see
    /// ``EventPrefilter/matches(batch:into:)``).
    func filter(_ name: String, cName: ContiguousArray<CChar>, batch: EventFieldBatch, into results: inout [Bool])
        throws
    {
        _ = try outcome {
            try runtime.lua.invokeFilterBatch(cName, batch: batch, into: &results) ? .none : .exit(0)
        }
    }

    /// The fields this plugin's scripts have read from events so far, one bit per field.
    var fieldsRead: UInt32 { runtime.lua.fieldsRead }

    private func filterOutcome(_ name: String, _ outcome: LuaState.Outcome) throws -> Bool {
        switch outcome {
        case .boolean(let matched): return matched
        default: throw ScriptError(message: "\(location.id): filter '\(name)' must return a boolean")
        }
    }

    /// Runs the plugin's handlers of `change` and returns the deliveries they asked for
    /// (none queued yet: the caller commits them with the plugin's cursor).
    func handle(_ change: EventChange) throws -> [DeliveryRequest] {
        guard let topic = change.kind.topic else { return [] }
        let handling = ScriptRuntime.HandledChange(sequence: change.sequence)
        runtime.handling = handling
        defer { runtime.handling = nil }
        let metadata = [
            change.kind.rawValue, String(change.sequence), EventTime.instant(change.recordedAt).description,
            change.source.replacingOccurrences(of: "\n", with: " "),
        ].joined(separator: "\n")
        _ = try outcome { try runtime.lua.invoke("handler", topic, event: change.after, extra: metadata, second: change.before) }
        return handling.deliveries
    }

    /// Whether the plugin handles changes of this kind.
    public func handles(_ kind: ChangeKind) -> Bool {
        kind.topic.map { registrations.handlers.contains($0) } ?? false
    }

    /// Builds digest `name` for `week`: nil when its `build` returned nil (nothing to send
    /// this week). Errors name the plugin, file and line.
    public func buildDigest(_ name: String, week: ISOWeek) throws -> DigestContent? {
        guard registrations.digests.contains(name) else {
            let known = registrations.digests.isEmpty ? "none" : registrations.digests.joined(separator: ", ")
            throw ScriptError(message: "\(location.id): no digest named '\(name)' (its digests: \(known))")
        }
        switch try outcome({ try runtime.lua.invoke("digest", name, extra: week.description) }) {
        case .none:
            return nil
        case .string(let json):
            return try DigestContent(json: json, shownAs: "\(location.id): digest '\(name)'")
        default:
            throw ScriptError(message: "\(location.id): digest '\(name)': build returned something unexpected")
        }
    }

    /// Calls part `part` (`header`, `event`, `footer`) of exporter `name`.
    func exporterText(_ name: String, part: String, event: Event? = nil) throws -> String? {
        switch try call(part, name, event: event.map { .event($0) }) {
        case .string(let text): return text
        case .none: return nil
        default: throw ScriptError(message: "\(location.id): exporter '\(name)': \(part) must return a string or nil")
        }
    }

    private func call(_ action: String, _ name: String, event: LuaState.EventArgument?) throws -> LuaState.Outcome {
        try outcome { try runtime.lua.invoke(action, name, event: event) }
    }

    /// Runs a call into the plugin's state, naming the plugin in its errors.
    private func outcome(_ call: () throws -> LuaState.Outcome) throws -> LuaState.Outcome {
        do {
            let outcome = try call()
            if case .exit = outcome {
                throw ScriptError(message: "\(location.id): relais.exit is only for `relais run` scripts")
            }
            return outcome
        } catch var error as ScriptError {
            if !error.message.hasPrefix(location.id + "/") && !error.message.hasPrefix(location.id + ":") {
                error.message = "\(location.id): " + error.message
            }
            throw error
        }
    }
}

/// A plugin's filter, as `--filter plugin.name` uses it: the store lends it each event's
/// stored text, and builds only the events it passes.
public final class LuaEventFilter: EventPrefilter {
    public let plugin: LoadedPlugin
    public let name: String
    private let cName: ContiguousArray<CChar>

    init(plugin: LoadedPlugin, name: String) {
        self.plugin = plugin
        self.name = name
        self.cName = name.utf8CString
    }

    public func matches(_ event: Event) throws -> Bool {
        try plugin.filter(name, event)
    }

    public func matches(fields: EventFieldTexts) throws -> Bool {
        try plugin.filter(name, cName: cName, fields: fields)
    }

    /// One call into Lua for the whole batch: what a call costs (a protected call, the
    /// host's bookkeeping) is paid once, not per event.
    public func matches(batch: EventFieldBatch, into results: inout [Bool]) throws {
        try plugin.filter(name, cName: cName, batch: batch, into: &results)
    }

    /// The fields read by any script of the plugin, this filter among them.
    public var fieldsRead: UInt32 { plugin.fieldsRead }
}

/// Finds, loads and serves plugins: their filters as predicates, their exporters in the
/// export registry. Each plugin gets its own Lua state; plugins are loaded on first use.
public final class PluginHost {
    public let directories: [URL]
    private let limitsOverride: (instructions: Int64?, memory: Int?)
    private let events: (any ScriptEventSource)?
    private let log: (String) -> Void
    private var loaded: [String: LoadedPlugin] = [:]
    /// Where plugins find their secrets (`relais.secret`).
    public var secrets: (any SecretSource)?
    /// What renders `relais.template` (nil: templates unavailable).
    public var templates: (any TemplateRendering)?
    /// The time `relais.now` gives (pinned by `--now` / `$RELAIS_NOW`).
    public var clock: @Sendable () -> Date = { Date() }

    /// - Parameters:
    ///   - directories: folders holding plugin folders, in priority order.
    ///   - instructionLimit, memoryLimit: override every plugin's limits (the CLI's
    ///     `--cpu-limit` / `--memory-limit`).
    ///   - events: what `relais.events` reads.
    ///   - log: where plugins' `print` and `relais.log` go (standard error by default).
    public init(
        directories: [URL], instructionLimit: Int64? = nil, memoryLimit: Int? = nil,
        events: (any ScriptEventSource)? = nil, log: @escaping (String) -> Void
    ) {
        self.directories = directories
        self.limitsOverride = (instructionLimit, memoryLimit)
        self.events = events
        self.log = log
    }

    /// The plugin folders in `directories`: each subfolder with an `init.lua`. When two
    /// directories hold the same id, the first wins; the others are reported as shadowed.
    public func discover() -> (plugins: [PluginLocation], shadowed: [PluginLocation]) {
        var found: [PluginLocation] = []
        var shadowed: [PluginLocation] = []
        var seen: Set<String> = []
        for directory in directories {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { continue }
            for entry in entries.sorted() where !entry.hasPrefix(".") {
                let folder = directory.appendingPathComponent(entry)
                guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("init.lua").path) else { continue }
                let location = PluginLocation(id: entry, folder: folder)
                if seen.insert(entry).inserted { found.append(location) } else { shadowed.append(location) }
            }
        }
        return (found.sorted { $0.id < $1.id }, shadowed)
    }

    /// The plugin with this id, loading it if needed.
    public func plugin(_ id: String) throws -> LoadedPlugin {
        if let plugin = loaded[id] { return plugin }
        guard let location = discover().plugins.first(where: { $0.id == id }) else {
            let known = discover().plugins.map(\.id).joined(separator: ", ")
            throw ScriptError(message: "no plugin '\(id)' (found: \(known.isEmpty ? "none" : known))")
        }
        let plugin = try load(location)
        loaded[id] = plugin
        return plugin
    }

    /// Loads a plugin in a fresh state: reads its manifest, then runs its `init.lua`.
    public func load(_ location: PluginLocation) throws -> LoadedPlugin {
        guard Event.isValidLabID(location.id) else {
            throw ScriptError(
                message: "\(location.folder.path): a plugin folder name must be a lower-case id (letters, digits, -)")
        }
        let manifest = try readManifest(location)
        let limits = ScriptLimits(
            instructions: limitsOverride.instructions ?? manifest.instructionLimit ?? ScriptLimits.defaults.instructions,
            memory: limitsOverride.memory ?? manifest.memoryLimit ?? ScriptLimits.defaults.memory)
        let id = location.id
        let log = self.log
        let runtime = try ScriptRuntime(
            name: id, origin: ScriptOrigin(pluginID: id, folder: location.folder), limits: limits,
            manifest: manifest, events: events, write: { text, _ in log("[\(id)] \(text)") })
        let secrets = self.secrets
        runtime.secret = { name in secrets?.secret(owner: id, name: name) }
        runtime.templates = templates
        runtime.clock = clock
        let outcome = try runtime.runFile("init.lua")
        if case .exit = outcome { throw ScriptError(message: "\(id)/init.lua: relais.exit is only for `relais run` scripts") }
        return LoadedPlugin(location: location, manifest: manifest, runtime: runtime)
    }

    private func readManifest(_ location: PluginLocation) throws -> PluginManifest {
        let url = location.folder.appendingPathComponent("manifest.lua")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ScriptError(message: "\(location.id): missing manifest.lua (see docs/plugins.md)")
        }
        let source = try ScriptRuntime.readSource(url, shownAs: "manifest.lua", pluginID: location.id)
        let runtime = try ScriptRuntime(
            name: location.id, origin: ScriptOrigin(pluginID: location.id, folder: location.folder),
            limits: ScriptLimits(instructions: 1_000_000, memory: 8 << 20), events: nil, write: { _, _ in })
        let outcome = try runtime.lua.invoke("manifest", "@\(location.id)/manifest.lua", extra: source)
        guard case .string(let json) = outcome else {
            throw ScriptError(message: "\(location.id)/manifest.lua: must return a table")
        }
        return try PluginManifest.decode(json: json, folderID: location.id)
    }

    /// Every plugin loaded, or the error that stopped it: what `relais plugins check` shows.
    public func loadAll() -> [(location: PluginLocation, result: Result<LoadedPlugin, ScriptError>)] {
        discover().plugins.map { location in
            do {
                return (location, .success(try plugin(location.id)))
            } catch let error as ScriptError {
                return (location, .failure(error))
            } catch {
                return (location, .failure(ScriptError(message: "\(location.id): \(error)")))
            }
        }
    }

    /// The filter `--filter plugin.name` names, loading its plugin if needed.
    public func filter(named qualifiedName: String) throws -> LuaEventFilter {
        let parts = qualifiedName.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ScriptError(message: "filter '\(qualifiedName)' must be written plugin.name (e.g. la-base.agents)")
        }
        let plugin = try self.plugin(parts[0])
        let name = parts[1]
        guard plugin.registrations.filters.contains(name) else {
            let known = plugin.registrations.filters.joined(separator: ", ")
            throw ScriptError(
                message: "plugin '\(parts[0])' has no filter '\(name)' (its filters: \(known.isEmpty ? "none" : known))")
        }
        return LuaEventFilter(plugin: plugin, name: name)
    }

    /// The filter `--filter plugin.name` names, as a test of built events.
    public func predicate(for qualifiedName: String) throws -> (Event) throws -> Bool {
        let filter = try filter(named: qualifiedName)
        return { event in try filter.matches(event) }
    }

    /// Registers every plugin's exporters in `registry`, next to the built-in ones. A name
    /// taken twice is an error naming both. Plugins that fail to load are returned, not
    /// thrown, so one broken plugin does not hide the others' formats.
    @discardableResult
    public func registerExporters(in registry: ExporterRegistry) throws -> [ScriptError] {
        var failures: [ScriptError] = []
        for (_, result) in loadAll() {
            switch result {
            case .failure(let error): failures.append(error)
            case .success(let plugin):
                for exporter in plugin.registrations.exporters {
                    let name = exporter.name
                    try registry.register(
                        ExporterDescriptor(
                            name: name, fileExtension: exporter.fileExtension, mimeType: exporter.mimeType,
                            origin: "plugin \(plugin.location.id)", summary: exporter.summary,
                            makeWriter: { output, _ in LuaExportWriter(plugin: plugin, exporter: name, output: output) }))
                }
            }
        }
        return failures
    }
}

/// An export format written in Lua: header, then one call per event, then footer.
final class LuaExportWriter: EventWriter {
    private let plugin: LoadedPlugin
    private let exporter: String
    private let output: any TextOutput

    init(plugin: LoadedPlugin, exporter: String, output: any TextOutput) {
        self.plugin = plugin
        self.exporter = exporter
        self.output = output
    }

    func begin() throws {
        if let text = try plugin.exporterText(exporter, part: "header") { try output.write(text) }
    }

    func write(_ event: Event) throws {
        if let text = try plugin.exporterText(exporter, part: "event", event: event) { try output.write(text) }
    }

    func finish() throws {
        if let text = try plugin.exporterText(exporter, part: "footer") { try output.write(text) }
    }
}

// The host holds non-Sendable Lua states but is used from one thread; descriptors only
// capture it to build writers on that same thread.
extension LoadedPlugin: @unchecked Sendable {}
