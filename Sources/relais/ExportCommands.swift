import ArgumentParser
import Foundation
import RelaisCore
import RelaisFormats
import RelaisScripting
import RelaisShell
import RelaisStorage

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "List matching events: a table on a terminal, JSON Lines when piped.",
        discussion: "Events come in order of first slot start, then id.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filters: FilterOptions
    @OptionGroup var scripts: ScriptOptions

    @Option(help: ArgumentHelp("Output format: table, or any export format (jsonl, json, csv, ics, …).", valueName: "format"))
    var format: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("A question saved in the REPL (:save NAME); its $1, $2… are the arguments after it.", valueName: "name"))
    var saved: String?

    @Argument(help: ArgumentHelp("With --saved: the saved question's parameters.", valueName: "parameter"))
    var parameters: [String] = []

    func validate() throws {
        if saved == nil && !parameters.isEmpty {
            throw ValidationError("unexpected argument '\(parameters[0])' (parameters go with --saved NAME)")
        }
    }

    func run() throws {
        var query = try filters.query()
        let store = try global.openCatalogue()
        let plugins = try scripts.pluginHost(global: global, store: store)
        if let saved {
            query = try savedQuestion(saved, store: store, plugins: plugins, options: query)
        }
        let filters = try query.scriptFilters.map { try plugins.filter(named: $0) }
        let wantsTable = format?.lowercased() == "table" || (format == nil && output == nil && Terminal.standardOutputIsTerminal)
        if wantsTable {
            let table = TableWriter(width: output == nil ? Terminal.width : 200)
            try writeOutput(to: output, sparing: store) { output in
                table.output = output
                try ExportPipeline.run(from: store, matching: query, filters: filters, into: table)
            }
            return
        }
        try ExportRun(
            store: store, plugins: plugins, query: query, filters: filters, formatName: format, outputPath: output,
            showProgress: false
        ).run()
    }
}

extension QueryCommand {
    /// The saved question `name` with its parameters filled, read like the REPL reads it;
    /// the command line's filters narrow it further.
    func savedQuestion(_ name: String, store: SQLiteCatalogue, plugins: PluginHost, options: EventQuery) throws
        -> EventQuery
    {
        guard let saved = try store.savedQuery(named: name) else {
            let names = try store.savedQueries().map(\.name)
            throw UserError(
                "no saved query '\(name)'" + QuestionParser.suggestion(name, among: names)
                    + (names.isEmpty ? " (save one in the REPL with :save NAME)" : " (saved: \(names.joined(separator: ", ")))"))
        }
        let backend = try CatalogueReplBackend(store: store, host: plugins)
        let parser = QuestionParser(
            now: try global.pinnedNow() ?? Date(), labs: backend.labs, scriptFilters: Set(backend.scriptFilters))
        var query: EventQuery
        do {
            query = try parser.parse(try saved.filled(with: parameters)).query
        } catch let problem as QuestionProblem {
            throw UserError("saved query '\(name)': \(problem.message)")
        }
        // Each filter of the command line narrows the saved one (AND), as two filters of one
        // command do; a value list that keeps no value leaves no event.
        var matchesNothing = false
        func narrow<Value: Equatable>(_ saved: inout [Value], by given: [Value]) {
            guard !given.isEmpty else { return }
            guard !saved.isEmpty else {
                saved = given
                return
            }
            saved = saved.filter { given.contains($0) }
            if saved.isEmpty { matchesNothing = true }
        }
        narrow(&query.regions, by: options.regions)
        narrow(&query.kinds, by: options.kinds)
        narrow(&query.labs, by: options.labs)
        narrow(&query.statuses, by: options.statuses)
        query.from = [query.from, options.from].compactMap { $0 }.max()
        query.to = [query.to, options.to].compactMap { $0 }.min()
        if let online = options.online {
            if let savedOnline = query.online, savedOnline != online { matchesNothing = true }
            query.online = online
        }
        if let text = options.text { query.text = [query.text, text].compactMap { $0 }.joined(separator: " ") }
        query.scriptFilters += options.scriptFilters
        query.limit = [query.limit, options.limit].compactMap { $0 }.min()
        if matchesNothing { query.limit = 0 }
        return query
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export matching events through any registered format (see `relais formats`).",
        discussion: """
            The format comes from --format, else from the extension of -o. A file given with -o \
            is written whole or not at all: a failed export leaves any previous file untouched.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filters: FilterOptions
    @OptionGroup var scripts: ScriptOptions

    @Option(help: ArgumentHelp("Export format: jsonl, json, csv, csv-fr, ics, … (see `relais formats`).", valueName: "format"))
    var format: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("CSV delimiter: ',' or ';'.", valueName: "char"))
    var delimiter: String?

    @Flag(help: "Start CSV with a UTF-8 byte-order mark (for spreadsheets).")
    var bom = false

    func validate() throws {
        if format == nil && output.flatMap({ URL(fileURLWithPath: $0).pathExtension }).map({ $0.isEmpty }) ?? true {
            throw ValidationError("give --format (or an -o file whose extension names the format)")
        }
        if let delimiter, delimiter != ",", delimiter != ";" {
            throw ValidationError("--delimiter must be ',' or ';'")
        }
    }

    func run() throws {
        let query = try filters.query()
        let store = try global.openCatalogue()
        var options = ExportOptions()
        if let delimiter, let character = delimiter.first { options.csvDelimiter = character }
        options.byteOrderMark = bom
        let plugins = try scripts.pluginHost(global: global, store: store)
        let filters = try query.scriptFilters.map { try plugins.filter(named: $0) }
        try ExportRun(
            store: store, plugins: plugins, query: query, filters: filters, formatName: format, outputPath: output,
            showProgress: true, options: options
        ).run()
    }
}

/// Lists the registered import and export formats.
struct FormatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats", abstract: "List the import and export formats, built-in and from plugins.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scripts: ScriptOptions

    func run() throws {
        let registry = try makeExporterRegistry()
        let failures = try scripts.pluginHost(global: global, store: nil).registerExporters(in: registry)
        for failure in failures { Terminal.writeError("warning: \(failure.message)\n") }
        print("Import: json, jsonl (ndjson), csv (',' or ';'), ics (iCalendar)")
        print("Export:")
        let width = registry.all.map(\.name.count).max() ?? 0
        for exporter in registry.all {
            let padding = String(repeating: " ", count: width - exporter.name.count)
            print("  \(exporter.name)\(padding)  .\(exporter.fileExtension)  \(exporter.summary) [\(exporter.origin)]")
        }
    }
}

/// The built-in export formats.
func makeExporterRegistry() throws -> ExporterRegistry {
    let registry = ExporterRegistry()
    try BuiltinFormats.registerExporters(in: registry)
    return registry
}

/// One export: resolve the format, open the output, stream the events, commit.
struct ExportRun {
    var store: SQLiteCatalogue
    var plugins: PluginHost
    var query: EventQuery
    var filters: [any EventPrefilter]
    var formatName: String?
    var outputPath: String?
    var showProgress: Bool
    var options = ExportOptions()

    func run() throws {
        let registry = try makeExporterRegistry()
        // Plugins are loaded only when the format is not a built-in one.
        let builtIn =
            formatName.map { registry.exporter(named: $0.lowercased()) != nil }
            ?? outputPath.map { registry.exporter(forExtension: URL(fileURLWithPath: $0).pathExtension) != nil } ?? true
        var pluginFailures: [ScriptError] = []
        if !builtIn { pluginFailures = try plugins.registerExporters(in: registry) }
        let exporter: ExporterDescriptor
        if let formatName {
            guard let found = registry.exporter(named: formatName.lowercased()) else {
                let names = registry.all.map(\.name).joined(separator: ", ")
                let notes = pluginFailures.map { "\n  (a plugin failed to load: \($0.message))" }.joined()
                throw ValidationError("unknown format '\(formatName)' (expected one of \(names))\(notes)")
            }
            exporter = found
        } else if let outputPath, case let fileExtension = URL(fileURLWithPath: outputPath).pathExtension,
            !fileExtension.isEmpty
        {
            guard let found = registry.exporter(forExtension: fileExtension) else {
                var extensions: [String] = []
                for exporter in registry.all where !extensions.contains("." + exporter.fileExtension) {
                    extensions.append("." + exporter.fileExtension)
                }
                let notes = pluginFailures.map { "\n  (a plugin failed to load: \($0.message))" }.joined()
                throw ValidationError(
                    "no export format writes '.\(fileExtension)' files (\(extensions.joined(separator: ", "))): give --format\(notes)")
            }
            exporter = found
        } else if let found = registry.exporter(named: "jsonl") {
            exporter = found
        } else {
            throw UserError("no export format is registered")
        }
        // With script filters the store cannot tell how many will pass: the bar only counts.
        let total =
            showProgress && Terminal.standardErrorIsTerminal && filters.isEmpty ? try store.count(matching: query) : nil
        let progress = ProgressReporter(label: "Exporting", total: total, enabled: showProgress && Terminal.standardErrorIsTerminal)
        defer { progress.finish() }
        try writeOutput(to: outputPath, sparing: store) { output in
            let writer = try exporter.makeWriter(output, options)
            try ExportPipeline.run(
                from: store, matching: query, filters: filters, into: writer, progress: progress.update)
        }
    }
}

/// Runs `body` with the output for `path` (standard output when nil). A file is written
/// to a temporary name and renamed only if `body` succeeds; a closed pipe on standard
/// output (`relais query | head`) ends the output quietly. `path` may not be the catalogue
/// `store` reads, nor one of SQLite's files beside it: the rename would replace it.
func writeOutput(to path: String?, sparing store: SQLiteCatalogue, _ body: (any TextOutput) throws -> Void) throws {
    if let path, path != "-" {
        var protectedFiles = [store.path: "the catalogue"]
        for suffix in ["-wal", "-shm", "-journal"] { protectedFiles[store.path + suffix] = "a file of the catalogue" }
        let output = try FileTextOutput(path: path, protectedFiles: protectedFiles)
        do {
            try body(output)
            try output.commit()
        } catch {
            output.discard()
            throw error
        }
        return
    }
    let output = StandardOutputTextOutput()
    do {
        try body(output)
        try output.flush()
    } catch is OutputClosed {
        return
    }
}
