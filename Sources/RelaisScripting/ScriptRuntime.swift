import Foundation
import RelaisCore
import RelaisFormats

/// Where a script's text comes from: a plugin folder or a `relais run` file. Decides how
/// errors name files and where `require` may look.
public struct ScriptOrigin: Sendable {
    /// The plugin id, or nil for a `relais run` script.
    public var pluginID: String?
    /// The folder `require` resolves modules in (the plugin's, or the script's).
    public var folder: URL

    public init(pluginID: String?, folder: URL) {
        self.pluginID = pluginID
        self.folder = folder
    }

    /// The chunk name Lua reports for `relativePath`: `@la-base/init.lua` for a plugin,
    /// `@script.lua` (as given) for a script.
    func chunkname(for relativePath: String) -> String {
        if let pluginID { return "@\(pluginID)/\(relativePath)" }
        return "@\(relativePath)"
    }
}

/// What a script asked the host for while it ran: every filter, exporter, handler and
/// digest it registered, in order.
public struct ScriptRegistrations: Sendable, Equatable {
    public struct Exporter: Sendable, Equatable {
        public var name: String
        public var fileExtension: String
        public var mimeType: String
        public var summary: String
    }
    public var filters: [String] = []
    public var exporters: [Exporter] = []
    public var handlers: [String] = []
    public var digests: [String] = []
}

/// Reads events for `relais.events`, a page at a time, so a script can walk a catalogue of
/// any size in flat memory.
public protocol ScriptEventSource: AnyObject {
    /// At most `limit` events that match `query` (which carries the position to start after).
    func page(_ query: EventQuery, limit: Int) throws -> [Event]

    /// Changes recorded from `start` (included) to `end` (excluded), after `sequence`,
    /// oldest first, at most `limit` (for `week:changes`).
    func changes(recordedFrom start: Date, before end: Date, after sequence: Int64, limit: Int) throws -> [EventChange]
}

extension ScriptEventSource {
    /// A source without a change log has no changes to give.
    public func changes(recordedFrom start: Date, before end: Date, after sequence: Int64, limit: Int) throws
        -> [EventChange]
    { [] }
}

/// Renders a plugin's Mustache templates for `relais.template` (implemented in
/// `RelaisDigests`, so the host does not depend on a template engine).
public protocol TemplateRendering: AnyObject {
    /// Renders template `name` (`templates/<name>.mustache` in `folder`) with `context`.
    /// Errors name the template file (as `shownAs`) and the line.
    func render(template name: String, in folder: URL, shownAs prefix: String, context: InterchangeValue) throws -> String
}

/// Any catalogue can serve `relais.events`.
public final class CatalogueEventSource: ScriptEventSource {
    private let store: any CatalogueStore
    public init(store: any CatalogueStore) { self.store = store }
    public func changes(recordedFrom start: Date, before end: Date, after sequence: Int64, limit: Int) throws
        -> [EventChange]
    {
        try store.changes(recordedFrom: start, before: end, after: sequence, limit: limit)
    }
    public func page(_ query: EventQuery, limit: Int) throws -> [Event] {
        var page: [Event] = []
        var bounded = query
        bounded.limit = limit
        try store.forEachEvent(matching: bounded) { event in
            page.append(event)
            return page.count < limit
        }
        return page
    }
}

/// A Lua state with the `relais` API installed: the prelude, the host functions, and the
/// bookkeeping they need. One per plugin, one per `relais run` script.
final class ScriptRuntime {
    let lua: LuaState
    let origin: ScriptOrigin
    private(set) var registrations = ScriptRegistrations()
    private let arguments: [String]
    private let manifest: PluginManifest?
    private let events: (any ScriptEventSource)?
    private let write: (String, ScriptOutputStream) -> Void
    private var cursors: [Int: EventCursor] = [:]
    private var nextCursor = 1
    /// The change whose handlers are running, collecting what they notify.
    var handling: HandledChange?
    /// Queues a delivery at once (for `relais run` scripts); nil where only change
    /// handlers may notify.
    var queueDeliveries: (([DeliveryRequest]) throws -> Void)?
    /// Finds this plugin's (or script's) secret by name.
    var secret: ((String) -> String?)?
    /// The secrets this state has read, by name: hidden from its logs and errors, and
    /// replaced by references in what it queues (see ``SecretReference``).
    private(set) var revealedSecrets: [String: String] = [:]
    /// Renders `relais.template`; nil where no template engine is wired.
    var templates: (any TemplateRendering)?
    /// The current time (`relais.now`), pinned by `--now` / `$RELAIS_NOW`.
    var clock: () -> Date = { Date() }
    private var changeCursors: [Int: ChangeCursor] = [:]

    /// The most the notifications of one change may hold: 16 MiB.
    static let deliveryBytesPerChange = 16 << 20

    /// The deliveries the handlers of one change asked for.
    final class HandledChange {
        let sequence: Int64
        var deliveries: [DeliveryRequest] = []
        /// Their ``DeliveryRequest/byteCount``s, which the Lua state's memory budget does
        /// not cover: bounded by ``deliveryBytesPerChange``.
        var deliveryBytes = 0
        var perChannel: [String: Int] = [:]
        init(sequence: Int64) { self.sequence = sequence }
    }

    /// A `week:changes` listing in progress.
    private struct ChangeCursor {
        var start: Date
        var end: Date
        var query: EventQuery
        var kinds: Set<ChangeKind>
        var remaining: Int?
        var after: Int64 = 0
        var buffered: [EventChange] = []
        var position = 0
        var finished = false
    }

    /// A `relais.events` iteration in progress.
    private struct EventCursor {
        var query: EventQuery
        var buffered: [Event] = []
        var position = 0
        var remaining: Int?
        var finished = false
    }

    init(
        name: String, origin: ScriptOrigin, limits: ScriptLimits, arguments: [String] = [],
        manifest: PluginManifest? = nil, events: (any ScriptEventSource)?,
        write: @escaping (String, ScriptOutputStream) -> Void
    ) throws {
        lua = try LuaState(name: name, limits: limits)
        self.origin = origin
        self.arguments = arguments
        self.manifest = manifest
        self.events = events
        self.write = write
        try registerHostFunctions()
        lua.redact = { [unowned self] text in self.redacted(text) }
        try lua.installPrelude(relaisPrelude)
        // An iteration lives within one call into Lua; what a script abandons is dropped.
        lua.afterCall = { [unowned self] in
            if !self.cursors.isEmpty { self.cursors.removeAll() }
            if !self.changeCursors.isEmpty { self.changeCursors.removeAll() }
            if !self.abandoned.isEmpty { self.abandoned.removeAll() }
        }
    }

    /// Runs the file at `relativePath` inside the origin's folder.
    func runFile(_ relativePath: String, displayName: String? = nil) throws -> LuaState.Outcome {
        let url = origin.folder.appendingPathComponent(relativePath)
        let source = try Self.readSource(url, shownAs: displayName ?? relativePath, pluginID: origin.pluginID)
        return try lua.run(source, chunkname: origin.chunkname(for: displayName ?? relativePath))
    }

    /// Reads a Lua file as UTF-8 text, refusing binary chunks and huge files.
    static func readSource(_ url: URL, shownAs name: String, pluginID: String?) throws -> String {
        let shown = pluginID.map { "\($0)/\(name)" } ?? name
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            if let size = attributes[.size] as? NSNumber, size.intValue > 4 << 20 {
                throw ScriptError(message: "\(shown): file is larger than 4 MiB")
            }
            data = try Data(contentsOf: url)
        } catch let error as ScriptError {
            throw error
        } catch {
            throw ScriptError(message: "\(shown): cannot read the file (\(error.localizedDescription))")
        }
        if data.first == 0x1B { throw ScriptError(message: "\(shown): binary chunks are not allowed") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScriptError(message: "\(shown): the file is not UTF-8 text")
        }
        return text
    }

    // MARK: - Host functions

    private func registerHostFunctions() throws {
        try lua.register("__host.version") { _ in [.string("relais 0.1")] }
        try lua.register("__host.notify") { [unowned self] args in try self.notify(args) }
        try lua.register("__host.secret") { [unowned self] args in
            let name = try Self.string(args, 0, "relais.secret")
            guard let value = self.secret?(name) else { return [.none] }
            if !value.isEmpty { self.revealedSecrets[name] = value }
            return [.string(value)]
        }
        try lua.register("__host.plugin_info") { [unowned self] _ in
            guard let manifest = self.manifest else { return [.none] }
            return [
                .string(manifest.id), .string(manifest.name), .string(manifest.version),
                manifest.region.map { .string($0.code) } ?? .none, manifest.lab.map { .string($0) } ?? .none,
            ]
        }
        try lua.register("__host.register") { [unowned self] args in
            try self.recordRegistration(args)
            return []
        }
        try lua.register("__host.write") { [unowned self] args in
            let text = try Self.string(args, 0, "print")
            let stream: ScriptOutputStream = Self.optionalString(args, 1) == "log" ? .log : .output
            self.write(self.redacted(text), stream)
            return []
        }
        try lua.register("__host.fold") { args in [.string(TextFolding.fold(try Self.string(args, 0, "relais.text.fold")))] }
        try lua.register("__host.words") { args in
            [.string(TextFolding.words(try Self.string(args, 0, "relais.text.words")).joined(separator: "\n"))]
        }
        try lua.register("__host.text_matches") { args in
            let text = try Self.string(args, 0, "relais.text.matches")
            let query = try Self.string(args, 1, "relais.text.matches")
            return [.boolean(TextFolding.matches(query: TextFolding.words(query), in: text))]
        }
        try lua.register("__host.date_format") { args in
            let text = try Self.string(args, 0, "relais.date.format")
            guard let time = EventTime(parsing: text) else {
                throw LuaFunctionError(
                    "relais.date.format: '\(text.prefix(40))' is not a time (2020-11-17, 2020-11-10T09:30 or 2020-11-10T09:30:00+01:00)")
            }
            let pattern = Self.optionalString(args, 1) ?? (time.isAllDay ? "%A %d %B %Y" : "%A %d %B %Y, %h")
            return [.string(FrenchDates.format(time, pattern: pattern))]
        }
        try lua.register("__host.date_slot") { args in
            let startText = try Self.string(args, 0, "relais.date.slot")
            guard let start = EventTime(parsing: startText) else {
                throw LuaFunctionError("relais.date.slot: start '\(startText.prefix(40))' is not a time")
            }
            var end: EventTime?
            if let endText = Self.optionalString(args, 1) {
                guard let parsed = EventTime(parsing: endText) else {
                    throw LuaFunctionError("relais.date.slot: end '\(endText.prefix(40))' is not a time")
                }
                end = parsed
            }
            var year = true
            if args.count > 2, case .boolean(let wanted) = args[2] { year = wanted }
            return [.string(FrenchDates.slot(Slot(start: start, end: end), year: year))]
        }
        try lua.register("__host.date_span") { args in
            let firstText = try Self.string(args, 0, "relais.date.span")
            let lastText = try Self.string(args, 1, "relais.date.span")
            guard let first = CivilDate(parsing: firstText), let last = CivilDate(parsing: lastText) else {
                throw LuaFunctionError("relais.date.span: days are written 2020-11-17")
            }
            var year = true
            if args.count > 2, case .boolean(let wanted) = args[2] { year = wanted }
            if first == last { return [.string("le " + FrenchDates.day(first, weekday: false, year: year))] }
            return [.string(FrenchDates.span(from: min(first, last), to: max(first, last), year: year))]
        }
        try lua.register("__host.date_week") { args in
            let text = try Self.string(args, 0, "relais.date.week")
            guard let time = EventTime(parsing: text) else {
                throw LuaFunctionError("relais.date.week: '\(text.prefix(40))' is not a time")
            }
            return [.string(ISOWeek(containing: time.parisDay).description)]
        }
        try lua.register("__host.regions") { _ in
            [.string(Region.all.map { "\($0.code)=\($0.name)" }.joined(separator: "\n"))]
        }
        try lua.register("__host.region_lookup") { args in
            guard let region = Region.lookup(try Self.string(args, 0, "relais.regions.lookup")) else { return [.none] }
            return [.string(region.code), .string(region.name)]
        }
        try lua.register("__host.arg_count") { [unowned self] _ in [.integer(Int64(self.arguments.count))] }
        try lua.register("__host.arg") { [unowned self] args in
            guard case .integer(let index)? = args.first, index >= 1, index <= self.arguments.count else { return [.none] }
            return [.string(self.arguments[Int(index) - 1])]
        }
        try lua.register("__host.module_source") { [unowned self] args in
            let name = try Self.string(args, 0, "require")
            let (source, chunkname) = try self.moduleSource(name)
            return [.string(source), .string(chunkname)]
        }
        try lua.register("__host.now") { [unowned self] _ in [.string(EventTime.instant(self.clock()).description)] }
        try lua.register("__host.week_info") { args in
            let text = try Self.string(args, 0, "week")
            guard let week = ISOWeek(parsing: text) else {
                throw LuaFunctionError("week: '\(text.prefix(40))' is not an ISO week (2020-W47)")
            }
            return [
                .string(week.description), .string(week.monday.description), .string(week.sunday.description),
                .string(FrenchDates.weekTitle(week)), .string(week.adding(weeks: -1).description),
                .string(week.adding(weeks: 1).description), .integer(Int64(week.year)), .integer(Int64(week.week)),
            ]
        }
        try lua.register("__host.date_add") { args in
            let text = try Self.string(args, 0, "date")
            guard let day = CivilDate(parsing: text), args.count > 1, case .integer(let days) = args[1],
                abs(days) < 100_000
            else {
                throw LuaFunctionError("date: cannot add days to '\(text.prefix(40))'")
            }
            return [.string(day.adding(days: Int(days)).description)]
        }
        try lua.register("__host.changes_open") { [unowned self] args in try self.openChanges(args) }
        try lua.register("__host.changes_next") { [unowned self] args in try self.nextChange(args) }
        try lua.register("__host.template") { [unowned self] args in try self.renderTemplate(args) }
        try lua.register("__host.events_open") { [unowned self] args in try self.openEvents(args) }
        try lua.register("__host.events_next") { [unowned self] args in try self.nextEvent(args) }
        try lua.registerExit("__host.exit")
    }

    private func recordRegistration(_ args: [LuaArgument]) throws {
        let kind = try Self.string(args, 0, "register")
        let name = try Self.string(args, 1, "register")
        switch kind {
        case "filter": registrations.filters.append(name)
        case "exporter":
            registrations.exporters.append(
                .init(
                    name: name, fileExtension: Self.optionalString(args, 2) ?? "txt",
                    mimeType: Self.optionalString(args, 3) ?? "text/plain", summary: Self.optionalString(args, 4) ?? ""))
        case "handler": if !registrations.handlers.contains(name) { registrations.handlers.append(name) }
        case "digest": registrations.digests.append(name)
        default: throw LuaFunctionError("unknown registration \(kind)")
        }
    }

    /// `require("lib.util")` → `lib/util.lua` inside the origin folder, never outside it;
    /// `require("relais.agenda")` → a module shipped with Relais (``SharedModules``).
    private func moduleSource(_ name: String) throws -> (String, String) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            !parts.isEmpty
            && parts.allSatisfy { part in
                !part.isEmpty && part.utf8.allSatisfy { b in
                    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
                }
            }
        guard valid else {
            throw LuaFunctionError(
                "require: '\(name.prefix(80))' is not a module name (letters, digits, - and _, separated by dots; no paths)")
        }
        if parts.count == 2, parts[0] == "relais" {
            guard let source = SharedModules.source(named: String(parts[1])) else {
                throw LuaFunctionError(
                    "require: Relais ships no module '\(name)' (it ships: \(SharedModules.names.map { "relais." + $0 }.joined(separator: ", ")))")
            }
            return (source, "@relais/\(parts[1]).lua")
        }
        let relative = parts.joined(separator: "/") + ".lua"
        let folder = origin.folder.resolvingSymlinksInPath().standardizedFileURL
        let file = folder.appendingPathComponent(relative).resolvingSymlinksInPath().standardizedFileURL
        guard file.path.hasPrefix(folder.path + "/") else {
            throw LuaFunctionError("require: module '\(name)' resolves outside the plugin's folder")
        }
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw LuaFunctionError("require: module '\(name)' not found (looked for \(relative) in the plugin's folder)")
        }
        do {
            let source = try Self.readSource(file, shownAs: relative, pluginID: origin.pluginID)
            return (source, origin.chunkname(for: relative))
        } catch let error as ScriptError {
            throw LuaFunctionError("require: \(error.message)")
        }
    }

    private static func list(_ args: [LuaArgument], _ index: Int) -> [String] {
        guard let text = Self.optionalString(args, index) else { return [] }
        return text.split(separator: "\u{1F}", omittingEmptySubsequences: true).map(String.init)
    }

    /// Reads the region, kind and lab lists at `index`, `index + 1`, `index + 2`.
    private static func addAttributes(_ args: [LuaArgument], from index: Int, to query: inout EventQuery, _ function: String)
        throws
    {
        for name in list(args, index) {
            if TextFolding.nameKey(name) == "national" {
                query.regions.append(.national)
            } else if let region = Region.lookup(name) {
                query.regions.append(.region(region))
            } else {
                throw LuaFunctionError("\(function): unknown region '\(name)'")
            }
        }
        for name in list(args, index + 1) {
            guard let kind = EventKind(rawValue: name) else {
                throw LuaFunctionError("\(function): unknown kind '\(name)' (expected one of \(EventKind.allNames))")
            }
            query.kinds.append(kind)
        }
        query.labs = list(args, index + 2)
    }

    /// The optional positive `limit` argument at `index`.
    private static func limit(_ args: [LuaArgument], at index: Int, _ function: String) throws -> Int? {
        guard args.count > index else { return nil }
        switch args[index] {
        case .integer(let value) where value > 0: return Int(value)
        case .number(let value) where value >= 1 && value < 1e12: return Int(value)
        case .none: return nil
        default: throw LuaFunctionError("\(function): limit must be a positive integer")
        }
    }

    private static func addStatuses(_ args: [LuaArgument], at index: Int, to query: inout EventQuery, _ function: String)
        throws
    {
        for name in list(args, index) {
            guard let status = EventStatus(rawValue: name) else {
                throw LuaFunctionError("\(function): unknown status '\(name)' (expected one of \(EventStatus.allNames))")
            }
            query.statuses.append(status)
        }
    }

    /// `week:changes`: args are the week id, region, kind, lab, status, online, text, change kinds.
    private func openChanges(_ args: [LuaArgument]) throws -> [LuaResult] {
        guard events != nil else { throw LuaFunctionError("week:changes: no catalogue is open") }
        let weekText = try Self.string(args, 0, "week:changes")
        guard let week = ISOWeek(parsing: weekText) else { throw LuaFunctionError("week:changes: '\(weekText)' is not a week") }
        var query = EventQuery()
        try Self.addAttributes(args, from: 1, to: &query, "week:changes")
        try Self.addStatuses(args, at: 4, to: &query, "week:changes")
        if args.count > 5, case .boolean(let online) = args[5] { query.online = online }
        if let text = Self.optionalString(args, 6), !TextFolding.words(text).isEmpty { query.text = text }
        let remaining = try Self.limit(args, at: 8, "week:changes")
        var kinds: Set<ChangeKind> = [.added, .updated, .rescheduled, .cancelled]
        let named = Self.list(args, 7)
        if !named.isEmpty {
            kinds = []
            for name in named {
                guard let kind = ChangeKind(rawValue: name), kind != .unchanged else {
                    throw LuaFunctionError(
                        "week:changes: unknown change '\(name)' (expected added, updated, rescheduled or cancelled)")
                }
                kinds.insert(kind)
            }
        }
        let handle = nextCursor
        nextCursor += 1
        if changeCursors.count >= Self.maximumOpenIterations, let oldest = changeCursors.keys.min() {
            changeCursors[oldest] = nil
        }
        changeCursors[handle] = ChangeCursor(
            start: ParisTime.startOfDay(week.monday), end: ParisTime.startOfDay(week.adding(weeks: 1).monday),
            query: query, kinds: kinds, remaining: remaining)
        return [.integer(Int64(handle))]
    }

    /// The next change of a `week:changes` listing: kind, sequence, time, the event after
    /// and before (nil when added); nothing at the end.
    private func nextChange(_ args: [LuaArgument]) throws -> [LuaResult] {
        guard case .integer(let raw)? = args.first, var cursor = changeCursors[Int(raw)], let events else { return [.none] }
        let handle = Int(raw)
        if cursor.remaining == 0 {
            changeCursors[handle] = nil
            return [.none]
        }
        while true {
            if cursor.position >= cursor.buffered.count {
                if cursor.finished {
                    changeCursors[handle] = nil
                    return [.none]
                }
                let page = try events.changes(
                    recordedFrom: cursor.start, before: cursor.end, after: cursor.after, limit: Self.pageSize)
                cursor.finished = page.count < Self.pageSize
                cursor.buffered = page
                cursor.position = 0
                if let last = page.last { cursor.after = last.sequence }
                if page.isEmpty {
                    changeCursors[handle] = nil
                    return [.none]
                }
            }
            let change = cursor.buffered[cursor.position]
            cursor.position += 1
            guard cursor.kinds.contains(change.kind), cursor.query.matches(change.after) else { continue }
            if let remaining = cursor.remaining { cursor.remaining = remaining - 1 }
            changeCursors[handle] = cursor
            return [
                .string(change.kind.rawValue), .integer(change.sequence),
                .string(EventTime.instant(change.recordedAt).description), .event(change.after),
                change.before.map { .event($0) } ?? .none,
            ]
        }
    }

    /// `relais.template(name, context)`: the context arrives as JSON text.
    private func renderTemplate(_ args: [LuaArgument]) throws -> [LuaResult] {
        let name = try Self.string(args, 0, "relais.template")
        let contextText = try Self.string(args, 1, "relais.template")
        guard let templates else { throw LuaFunctionError("relais.template: templates are not available here") }
        let context: InterchangeValue
        do {
            context = try JSONText.parse(contextText)
        } catch {
            throw LuaFunctionError("relais.template: the context cannot be read (\(error))")
        }
        let prefix = origin.pluginID.map { "\($0)/" } ?? ""
        do {
            return [.string(try templates.render(template: name, in: origin.folder, shownAs: prefix, context: context))]
        } catch let error as LuaFunctionError {
            throw error
        } catch {
            throw LuaFunctionError("relais.template: \(error)")
        }
    }

    private func openEvents(_ args: [LuaArgument]) throws -> [LuaResult] {
        guard events != nil else { throw LuaFunctionError("relais.events: no catalogue is open") }
        var query = EventQuery()
        try Self.addAttributes(args, from: 0, to: &query, "relais.events")
        if let from = Self.optionalString(args, 3) {
            guard let day = CivilDate(parsing: from) else { throw LuaFunctionError("relais.events: from '\(from)' is not a date (YYYY-MM-DD)") }
            query.from = day
        }
        if let to = Self.optionalString(args, 4) {
            guard let day = CivilDate(parsing: to) else { throw LuaFunctionError("relais.events: to '\(to)' is not a date (YYYY-MM-DD)") }
            query.to = day
        }
        try Self.addStatuses(args, at: 5, to: &query, "relais.events")
        if args.count > 6, case .boolean(let online) = args[6] { query.online = online }
        if let text = Self.optionalString(args, 7), !TextFolding.words(text).isEmpty { query.text = text }
        let remaining = try Self.limit(args, at: 8, "relais.events")
        if args.count > 9, case .boolean(let starting) = args[9] {
            if starting && query.from == nil {
                throw LuaFunctionError("relais.events: starting needs from (events that start from that day)")
            }
            query.startingInWindow = starting
        }
        let handle = nextCursor
        nextCursor += 1
        // Iterations a script abandons are never finished: keep only the newest few, so
        // their buffered pages cannot pile up in the host.
        if cursors.count >= Self.maximumOpenIterations, let oldest = cursors.keys.min() {
            cursors[oldest] = nil
            abandoned.insert(oldest)
        }
        cursors[handle] = EventCursor(query: query, remaining: remaining)
        return [.integer(Int64(handle))]
    }

    private static let pageSize = 256
    private static let maximumOpenIterations = 32
    private var abandoned: Set<Int> = []

    private func nextEvent(_ args: [LuaArgument]) throws -> [LuaResult] {
        guard case .integer(let raw)? = args.first else { return [.none] }
        if abandoned.contains(Int(raw)) {
            throw LuaFunctionError(
                "relais.events: this iteration was closed because more than \(Self.maximumOpenIterations) were open at once")
        }
        guard var cursor = cursors[Int(raw)] else { return [.none] }
        let handle = Int(raw)
        if cursor.remaining == 0 {
            cursors[handle] = nil
            return [.none]
        }
        if cursor.position >= cursor.buffered.count {
            if cursor.finished {
                cursors[handle] = nil
                return [.none]
            }
            guard let events else { return [.none] }
            let page = try events.page(cursor.query, limit: Self.pageSize)
            cursor.finished = page.count < Self.pageSize
            cursor.buffered = page
            cursor.position = 0
            if let last = page.last { cursor.query.after = EventQuery.Position(last) }
            if page.isEmpty {
                cursors[handle] = nil
                return [.none]
            }
        }
        let event = cursor.buffered[cursor.position]
        cursor.position += 1
        if let remaining = cursor.remaining { cursor.remaining = remaining - 1 }
        cursors[handle] = cursor
        return [.event(event)]
    }

    /// `text` with the values of the secrets this state has read shown by name
    /// (`‹secret:webhook-url›`): what logs and error messages print.
    func redacted(_ text: String) -> String {
        guard !revealedSecrets.isEmpty else { return text }
        return SecretReference.shown(SecretReference.conceal(text, secrets: secretList))
    }

    /// `request` as the outbox keeps it: the secrets this state has read replaced by
    /// references, resolved only when the delivery is sent.
    func concealingSecrets(in request: DeliveryRequest) -> DeliveryRequest {
        request.concealing(secretList)
    }

    private var secretList: [(name: String, value: String)] {
        revealedSecrets.map { (name: $0.key, value: $0.value) }
    }

    /// Refuses what the outbox cannot keep apart from a secret: text holding the
    /// characters references are made of, and a key holding a secret (keys are shown and
    /// name files, so they are never concealed).
    private func checkForOutbox(_ fields: [(String, String?)], key: String?) throws {
        for case (let field, let value?) in fields where SecretReference.containsReservedCharacters(value) {
            throw LuaFunctionError("relais.notify: \(field) must not contain U+E000 or U+E001 (Relais keeps them for secrets)")
        }
        if let key, revealedSecrets.values.contains(where: { key.contains($0) }) {
            throw LuaFunctionError("relais.notify: key must not contain a secret (keys are shown in listings)")
        }
    }

    // MARK: - Argument helpers

    /// `relais.notify`, after the prelude checked the types: checks the values, then
    /// queues the delivery with the change being handled, or at once in a script.
    private func notify(_ args: [LuaArgument]) throws -> [LuaResult] {
        let channel = try Self.string(args, 0, "relais.notify")
        let recipient = try Self.string(args, 1, "relais.notify")
        let subject = Self.optionalString(args, 2)
        let body = try Self.string(args, 3, "relais.notify")
        let html = Self.optionalString(args, 4)
        let givenKey = Self.optionalString(args, 5)
        let flatHeaders = Self.optionalString(args, 6) ?? ""
        try DeliveryRules.checkRecipient(recipient, channel: channel)
        // Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
        if let subject, subject.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) {
            throw LuaFunctionError("relais.notify: subject must not contain a line break")
        }
        if let givenKey { try DeliveryRules.checkKey(givenKey) }
        var headers: [DeliveryRequest.Header] = []
        let parts = flatHeaders.isEmpty ? [] : flatHeaders.split(separator: "\n", omittingEmptySubsequences: false)
        var index = 0
        while index + 1 < parts.count {
            headers.append(.init(name: String(parts[index]), value: String(parts[index + 1])))
            index += 2
        }
        try checkForOutbox(
            [("to", recipient), ("subject", subject), ("body", body), ("html", html)]
                + headers.map { ("header \($0.name)", $0.value) }, key: givenKey)
        let originName = origin.pluginID ?? lua.name
        if let handling {
            let count = (handling.perChannel[channel] ?? 0) + 1
            let key = givenKey ?? "\(originName)/\(handling.sequence)/\(channel)/\(count)"
            let request = concealingSecrets(
                in: DeliveryRequest(
                    channel: channel, recipient: recipient, subject: subject, body: body, html: html,
                    headers: headers, key: key, origin: originName, changeSequence: handling.sequence))
            guard handling.deliveryBytes + request.byteCount <= Self.deliveryBytesPerChange else {
                throw LuaFunctionError(
                    "relais.notify: the notifications of one change would hold more than "
                        + "\(Self.deliveryBytesPerChange >> 20) MiB")
            }
            handling.perChannel[channel] = count
            handling.deliveryBytes += request.byteCount
            handling.deliveries.append(request)
            return []
        }
        guard let queueDeliveries else {
            throw LuaFunctionError(
                "relais.notify: only change handlers (relais.on) and `relais run` scripts can notify")
        }
        guard let givenKey else {
            throw LuaFunctionError(
                "relais.notify: outside a change handler, give a key (a delivery with a key already queued is not queued again)")
        }
        do {
            try queueDeliveries([
                concealingSecrets(
                    in: DeliveryRequest(
                        channel: channel, recipient: recipient, subject: subject, body: body, html: html,
                        headers: headers, key: givenKey, origin: originName))
            ])
        } catch {
            throw LuaFunctionError("relais.notify: \(error)")
        }
        return []
    }

    static func string(_ args: [LuaArgument], _ index: Int, _ function: String) throws -> String {
        guard index < args.count, case .string(let text) = args[index] else {
            let got = index < args.count ? args[index].typeName : "nil"
            throw LuaFunctionError("\(function): argument #\(index + 1) must be a string, got \(got)")
        }
        return text
    }

    static func optionalString(_ args: [LuaArgument], _ index: Int) -> String? {
        guard index < args.count, case .string(let text) = args[index] else { return nil }
        return text
    }
}

/// Where `print` and `relais.log` go.
public enum ScriptOutputStream: Sendable {
    case output
    case log
}
