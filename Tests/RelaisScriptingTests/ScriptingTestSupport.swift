import Foundation
import RelaisCore
import RelaisTesting
import Testing

@testable import RelaisScripting

// Helpers shared by the scripting tests: scripts and plugin folders written to temporary
// directories, an in-memory event source for `relais.events`, and small assertions on
// `ScriptError` messages.

/// Limits small enough that a runaway script stops in a few milliseconds.
let smallLimits = ScriptLimits(instructions: 1_000_000, memory: 8 << 20)

/// Text a script wrote, kept by reference so the host's escaping closures can append.
final class TextSink {
    var text = ""
    var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
}

/// What one `relais run` produced: an exit status or an error, and the text written.
struct ScriptOutcome {
    var status: Int32?
    var error: ScriptError?
    var output: String
    var log: String

    var lines: [String] { output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    var message: String { error?.message ?? "" }
}

/// A folder for scripts: `root/scripts/` holds the script and its modules; the root may hold
/// other folders (`elsewhere/`) that the script must not reach.
final class ScriptFolder {
    let root: TemporaryDirectory
    let scripts: URL

    init() throws {
        root = try TemporaryDirectory()
        scripts = root.url.appendingPathComponent("scripts")
        try FileManager.default.createDirectory(at: scripts, withIntermediateDirectories: true)
    }

    /// Writes `contents` at `relative` inside `scripts/` (creating folders) and returns its path.
    @discardableResult
    func write(_ relative: String, _ contents: String) throws -> String {
        try writeFile(scripts.appendingPathComponent(relative), contents)
    }

    /// Writes `contents` at `relative` inside the root (outside `scripts/`).
    @discardableResult
    func writeOutside(_ relative: String, _ contents: String) throws -> String {
        try writeFile(root.url.appendingPathComponent(relative), contents)
    }

    /// Every file and folder under the root, as sorted relative paths (symbolic links are
    /// listed, not followed).
    func listing() -> [String] {
        var found: [String] = []
        let base = root.url.path
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        while let entry = enumerator.nextObject() as? String { found.append(entry) }
        return found.sorted()
    }

    /// Runs `source` as `scripts/<name>` through `ScriptRunner`.
    func run(
        _ source: String, name: String = "script.lua", arguments: [String] = [], limits: ScriptLimits = smallLimits,
        events: (any ScriptEventSource)? = nil
    ) throws -> ScriptOutcome {
        let path = try write(name, source)
        return try runFile(path, arguments: arguments, limits: limits, events: events)
    }

    /// Runs an existing script file.
    func runFile(
        _ path: String, arguments: [String] = [], limits: ScriptLimits = smallLimits,
        events: (any ScriptEventSource)? = nil
    ) throws -> ScriptOutcome {
        let output = TextSink()
        let log = TextSink()
        do {
            let status = try ScriptRunner.run(
                path: path, arguments: arguments, limits: limits, events: events,
                output: { output.text += $0 }, log: { log.text += $0 })
            return ScriptOutcome(status: status, error: nil, output: output.text, log: log.text)
        } catch let error as ScriptError {
            return ScriptOutcome(status: nil, error: error, output: output.text, log: log.text)
        }
    }
}

private func writeFile(_ url: URL, _ contents: String) throws -> String {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(contents.utf8).write(to: url)
    return url.path
}

/// Runs `source` in a fresh folder.
func runScript(
    _ source: String, arguments: [String] = [], limits: ScriptLimits = smallLimits,
    events: (any ScriptEventSource)? = nil
) throws -> ScriptOutcome {
    try ScriptFolder().run(source, arguments: arguments, limits: limits, events: events)
}

/// The 1-based line of the first line of `source` containing `marker`.
func line(of marker: String, in source: String) -> Int {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    return (lines.firstIndex { $0.contains(marker) } ?? -1) + 1
}

/// A Lua string literal for `text`.
func luaQuoted(_ text: String) -> String {
    var quoted = "\""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""): quoted += "\\\""
        case UInt8(ascii: "\\"): quoted += "\\\\"
        case 0x20...0x7E: quoted += String(UnicodeScalar(byte))
        default: quoted += String(format: "\\%03d", Int(byte))
        }
    }
    return quoted + "\""
}

/// Expects the run to have failed with a message containing every fragment.
func expectFailure(
    _ outcome: ScriptOutcome, _ fragments: String..., limit: ScriptError.Limit? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error = outcome.error else {
        Issue.record(
            "expected an error, got status \(String(describing: outcome.status)); output: \(outcome.output)",
            sourceLocation: sourceLocation)
        return
    }
    for fragment in fragments {
        #expect(error.message.contains(fragment), "'\(error.message)' should contain '\(fragment)'", sourceLocation: sourceLocation)
    }
    if let expected = limit {
        #expect(error.limit == expected, "limit \(String(describing: error.limit)) for '\(error.message)'", sourceLocation: sourceLocation)
    }
}

/// Expects a thrown `ScriptError` whose message contains every fragment; returns it.
@discardableResult
func expectScriptError(
    _ fragments: String..., limit: ScriptError.Limit? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> ScriptError? {
    do {
        try body()
        Issue.record("expected a ScriptError containing \(fragments)", sourceLocation: sourceLocation)
        return nil
    } catch let error as ScriptError {
        for fragment in fragments {
            #expect(
                error.message.contains(fragment), "'\(error.message)' should contain '\(fragment)'",
                sourceLocation: sourceLocation)
        }
        if let expected = limit {
            #expect(
                error.limit == expected, "limit \(String(describing: error.limit)) for '\(error.message)'",
                sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a ScriptError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Checks that a state (or process) that just stopped a runaway script still runs an
/// ordinary script normally under the same small limits.
func expectHealthyRun(limits: ScriptLimits = smallLimits, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let outcome = try runScript(
        """
        local total = 0
        for i = 1, 10000 do total = total + i end
        local parts = {}
        for i = 1, 100 do parts[i] = tostring(i) end
        print(total, #table.concat(parts))
        return 0
        """, limits: limits)
    #expect(outcome.status == 0, "\(outcome.message)", sourceLocation: sourceLocation)
    #expect(outcome.lines == ["50005000\t192"], sourceLocation: sourceLocation)
}

// MARK: - Events

/// A time that must parse.
func eventTime(_ text: String) -> EventTime {
    guard let time = EventTime(parsing: text) else { fatalError("bad test time \(text)") }
    return time
}

func makeEvent(
    _ id: String, title: String = "Atelier", kind: EventKind = .workshop, status: EventStatus = .scheduled,
    slots: [(String, String?)] = [("2020-11-10T09:30", "2020-11-10T11:30")], region: String? = nil,
    online: Bool = false, lab: String? = nil, organizer: String? = nil, place: String? = nil, url: String? = nil,
    contact: String? = nil, audience: [String] = [], tags: [String] = [], description: String? = nil
) -> Event {
    Event(
        id: id, title: title, kind: kind, status: status,
        slots: slots.map { Slot(start: eventTime($0.0), end: $0.1.map(eventTime)) },
        region: region.flatMap { Region(code: $0) }, online: online, lab: lab, organizer: organizer, place: place,
        url: url, contact: contact, audience: audience, tags: tags, description: description)
}

/// Four events covering every field and filter.
let sampleEvents: [Event] = [
    makeEvent(
        "mip-001", title: "Atelier design des politiques publiques", kind: .workshop,
        slots: [("2020-11-10T09:30", "2020-11-10T11:30")], region: "75", lab: "la-base", organizer: "La Base",
        place: "Poitiers", url: "https://example.org/1", contact: "contact@example.org", audience: ["agents", "élus"],
        tags: ["design", "agents"], description: "Un atelier pour les agents"),
    makeEvent(
        "mip-002", title: "Webinaire sobriété numérique", kind: .webinar, slots: [("2020-11-12T14:00", nil)],
        online: true),
    makeEvent(
        "mip-003", title: "Hackathon Bretagne", kind: .hackathon, status: .cancelled,
        slots: [("2020-11-17", "2020-11-19"), ("2020-11-24", nil)], region: "53", lab: "ti-lab"),
    makeEvent(
        "mip-004", title: "Forum de l'innovation", kind: .forum, status: .postponed,
        slots: [("2020-11-30T10:00", "2020-11-30T12:00")], region: "75", online: true, lab: "la-base",
        description: "Le cœur de l’innovation numérique"),
]

/// Serves `relais.events` from memory the way a catalogue does: filtered by the query
/// (including its `after` position), in (first start, id) order, a page at a time.
final class MemoryEventSource: ScriptEventSource {
    let events: [Event]
    private(set) var queries: [EventQuery] = []

    init(_ events: [Event]) {
        self.events = events.sorted { ($0.firstStart, $0.id) < ($1.firstStart, $1.id) }
    }

    func page(_ query: EventQuery, limit: Int) throws -> [Event] {
        queries.append(query)
        var page: [Event] = []
        for event in events where query.matches(event) {
            if let cap = query.limit, page.count >= cap { break }
            page.append(event)
            if page.count >= limit { break }
        }
        return page
    }
}

// MARK: - Plugins

/// Plugin folders under a temporary directory: `<root>/<folder>/<id>/init.lua`.
final class PluginFolders {
    let root: TemporaryDirectory

    init() throws { root = try TemporaryDirectory() }

    /// The folder holding plugins named `name` (created on demand).
    func directory(_ name: String = "plugins") -> URL {
        root.url.appendingPathComponent(name)
    }

    static func manifest(_ id: String) -> String {
        """
        return { name = "Plugin \(id)", version = "1.0.0" }
        """
    }

    /// Writes plugin `id` into `directory` with its manifest (nil: none), `init.lua` and
    /// other files; returns the plugin folder.
    @discardableResult
    func add(
        _ id: String, in directory: String = "plugins", manifest: String?? = .none, initSource: String?,
        files: [String: String] = [:]
    ) throws -> URL {
        let folder = self.directory(directory).appendingPathComponent(id)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let manifestText: String?
        switch manifest {
        case .none: manifestText = Self.manifest(id)
        case .some(let given): manifestText = given
        }
        if let manifestText { _ = try writeFile(folder.appendingPathComponent("manifest.lua"), manifestText) }
        if let initSource { _ = try writeFile(folder.appendingPathComponent("init.lua"), initSource) }
        for (name, contents) in files { _ = try writeFile(folder.appendingPathComponent(name), contents) }
        return folder
    }

    /// A host over the given plugin directories, logging into `log`.
    func host(
        _ directories: [String] = ["plugins"], instructionLimit: Int64? = 1_000_000, memoryLimit: Int? = 8 << 20,
        events: (any ScriptEventSource)? = nil, log: TextSink = TextSink()
    ) -> PluginHost {
        PluginHost(
            directories: directories.map { directory($0) }, instructionLimit: instructionLimit, memoryLimit: memoryLimit,
            events: events, log: { log.text += $0 + "\n" })
    }
}
