import ArgumentParser
import Foundation
import RelaisCore
import RelaisDelivery
import RelaisFormats
import RelaisStorage

/// Options every command takes: where the catalogue lives.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The catalogue file (default: $RELAIS_CATALOGUE, else ./relais.sqlite). Created on first use.",
            valueName: "path"))
    var catalogue: String?

    @Option(
        name: .customLong("plugins"),
        help: ArgumentHelp(
            "A folder of plugin folders (repeatable; also $RELAIS_PLUGINS, colon-separated).", valueName: "dir"))
    var pluginDirectories: [String] = []

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "The delivery configuration (default: $RELAIS_CONFIG, else relais.conf beside the catalogue, if any).",
            valueName: "path"))
    var configPath: String?

    @Option(
        name: .customLong("now"),
        help: ArgumentHelp(
            "Pin the clock (Europe/Paris: 2020-11-16T08:00, or a day) to replay a past programme "
                + "(also $RELAIS_NOW). Imports record it as their time; digests' current week follows it.",
            valueName: "time"))
    var now: String?

    func validate() throws {
        if catalogue?.isEmpty == true { throw ValidationError("--catalogue: the path is empty") }
    }

    /// The pinned time (--now, else $RELAIS_NOW), or nil for the real clock.
    func pinnedNow() throws -> Date? {
        var text = now
        if text == nil, let fromEnvironment = ProcessInfo.processInfo.environment["RELAIS_NOW"], !fromEnvironment.isEmpty {
            text = fromEnvironment
        }
        guard let text else { return nil }
        let source = now != nil ? "--now" : "$RELAIS_NOW"
        switch EventTime(parsing: text.trimmingCharacters(in: .whitespaces)) {
        case .instant(let instant)?: return instant
        case .allDay(let day)?: return ParisTime.startOfDay(day)
        case nil:
            throw UserError("\(source): '\(text.prefix(40))' is not a time (2020-11-16T08:00, 2020-11-16 or with an offset)")
        }
    }

    /// The clock commands read: pinned, or the real one.
    func clock() throws -> @Sendable () -> Date {
        if let pinned = try pinnedNow() { return { pinned } }
        return { Date() }
    }

    /// The delivery configuration and secrets: --config, $RELAIS_CONFIG, else `relais.conf`
    /// beside the catalogue when there is one, else the defaults.
    func deliveryConfiguration() throws -> DeliveryConfiguration {
        let catalogueFolder = URL(fileURLWithPath: cataloguePath).deletingLastPathComponent()
        var path = configPath
        if path == nil, let fromEnvironment = ProcessInfo.processInfo.environment["RELAIS_CONFIG"], !fromEnvironment.isEmpty {
            path = fromEnvironment
        }
        if let path {
            guard FileManager.default.fileExists(atPath: path) else { throw UserError("\(path): no such configuration file") }
            return try DeliveryConfiguration(contentsOf: URL(fileURLWithPath: path), catalogueFolder: catalogueFolder)
        }
        let beside = catalogueFolder.appendingPathComponent("relais.conf")
        if FileManager.default.fileExists(atPath: beside.path) {
            return try DeliveryConfiguration(contentsOf: beside, catalogueFolder: catalogueFolder)
        }
        return DeliveryConfiguration(catalogueFolder: catalogueFolder)
    }

    /// Where plugins are looked for, first match winning: --plugins, $RELAIS_PLUGINS,
    /// Plugins/ beside the catalogue, then the project's own Plugins/.
    var pluginSearchPath: [URL] {
        var paths = pluginDirectories
        if let fromEnvironment = ProcessInfo.processInfo.environment["RELAIS_PLUGINS"] {
            paths += fromEnvironment.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        let catalogueFolder = URL(fileURLWithPath: cataloguePath).deletingLastPathComponent()
        paths.append(catalogueFolder.appendingPathComponent("Plugins").path)
        if let bundled = Self.bundledPlugins { paths.append(bundled.path) }
        var seen: Set<String> = []
        return paths.map { URL(fileURLWithPath: $0).standardizedFileURL }.filter { seen.insert($0.path).inserted }
    }

    /// The project's own Plugins/: found from the executable (…/.build/<config>/relais, or
    /// an install prefix's share/relais/Plugins), else from this source file's location.
    static var bundledPlugins: URL? {
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = folder.appendingPathComponent("Plugins")
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path),
                FileManager.default.fileExists(atPath: candidate.path)
            {
                return candidate
            }
            let shared = folder.appendingPathComponent("share/relais/Plugins")
            if FileManager.default.fileExists(atPath: shared.path) { return shared }
            folder = folder.deletingLastPathComponent()
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Plugins")
        return FileManager.default.fileExists(atPath: source.path) ? source : nil
    }

    /// The catalogue path after the option, the environment and the default.
    var cataloguePath: String {
        if let catalogue, !catalogue.isEmpty { return catalogue }
        if let fromEnvironment = ProcessInfo.processInfo.environment["RELAIS_CATALOGUE"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "relais.sqlite"
    }

    func openCatalogue() throws -> SQLiteCatalogue {
        let clock = try clock()
        let catalogue = try SQLiteCatalogue(path: cataloguePath)
        catalogue.clock = clock
        return catalogue
    }

    /// How many of `arguments`, from the first, are global options and their values
    /// (`--catalogue x.sqlite --now=2020-11-10`): all of them when no subcommand is given.
    static func leadingGlobalOptionCount(_ arguments: [String]) -> Int {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if ["--catalogue", "--plugins", "--config", "--now"].contains(argument), index + 1 < arguments.count {
                index += 2
            } else if ["--catalogue=", "--plugins=", "--config=", "--now="].contains(where: { argument.hasPrefix($0) }) {
                index += 1
            } else {
                break
            }
        }
        return index
    }

    /// Options that people naturally write before the subcommand
    /// (`relais --catalogue x.sqlite query`) are moved after it, where the parser looks.
    static func hoistingGlobalOptions(_ arguments: [String]) -> [String] {
        var index = leadingGlobalOptionCount(arguments)
        let hoisted = arguments[..<index]
        guard !hoisted.isEmpty, index < arguments.count else { return arguments }
        // The subcommand path (`plugins list`), then the hoisted options, then the rest.
        var path = [arguments[index]]
        index += 1
        if path[0] == "plugins", index < arguments.count, ["list", "check"].contains(arguments[index]) {
            path.append(arguments[index])
            index += 1
        } else if path[0] == "outbox", index < arguments.count,
            ["list", "show", "deliver", "retry", "purge"].contains(arguments[index])
        {
            path.append(arguments[index])
            index += 1
        }
        return path + hoisted + arguments[index...]
    }
}

/// The one line a user sees on standard error for a failure.
func userMessage(for error: any Error) -> String {
    switch error {
    case let error as ImportError: return error.description
    case let error as CatalogueError: return error.description
    case let error as ExporterNameClash: return error.description
    case let error as ConfigurationError: return error.description
    case let error as any CustomStringConvertible: return error.description
    default: return String(describing: error)
    }
}

/// A failure the user can act on; exit status 1.
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
