import ArgumentParser
import Foundation
import RelaisCore
import RelaisFormats
import RelaisScripting
import RelaisShell

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import events from JSON, JSON Lines, CSV or iCalendar files.",
        discussion: """
            Each file is validated in full and written in one transaction: one bad record rejects \
            the whole file and nothing of it is stored. Files are imported in order; if one is \
            rejected, the files before it stay imported and the ones after it are not read.
            Use - to read standard input (with --format).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scripts: ScriptOptions

    @Argument(help: ArgumentHelp("Files to import.", valueName: "file"))
    var files: [String]

    @Option(help: ArgumentHelp("Format of the files: json, jsonl, csv, ics (default: from the extension).", valueName: "format"))
    var format: String?

    @Flag(help: "Validate and report what would change, without writing anything.")
    var dryRun = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file to import") }
        if let format, BuiltinFormats.reader(forFormat: format.lowercased()) == nil {
            throw ValidationError("unknown import format '\(format)' (expected json, jsonl, csv or ics)")
        }
        for file in files where format == nil {
            if file == "-" { throw ValidationError("reading standard input needs --format") }
            if BuiltinFormats.readerFormat(forPath: file) == nil {
                throw ValidationError(
                    "cannot tell the format of '\(file)' from its extension: use --format json, jsonl, csv or ics")
            }
        }
    }

    func run() throws {
        // Check every file is there before touching the catalogue.
        for file in files where file != "-" {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
                throw UserError("\(file): no such file")
            }
            if isDirectory.boolValue { throw UserError("\(file): is a directory, not a file") }
            guard FileManager.default.isReadableFile(atPath: file) else { throw UserError("\(file): cannot be read") }
        }
        // A dry run into a catalogue that does not exist yet checks the files against an
        // empty one, made in a temporary folder: nothing is written where it points.
        var scratchFolder: URL?
        defer { if let scratchFolder { try? FileManager.default.removeItem(at: scratchFolder) } }
        var storeGlobal = global
        let target = URL(fileURLWithPath: global.cataloguePath)
        if dryRun && !FileManager.default.fileExists(atPath: target.path)
            && FileManager.default.fileExists(atPath: target.deletingLastPathComponent().path)
        {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relais-dry-run-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            scratchFolder = folder
            storeGlobal.catalogue = folder.appendingPathComponent("empty.sqlite").path
        }
        let store = try storeGlobal.openCatalogue()
        // Plugins with change handlers get their cursor before the import commits, so its
        // changes reach them even if this process dies before the handlers run.
        let notifications = dryRun ? nil : try Notifications(global: global, scripts: scripts, store: store)
        if let notifications {
            for failure in try notifications.runner.prepare() {
                Terminal.writeError("relais: warning: plugin \(failure.plugin) did not load: \(failure.message)\n")
            }
        }
        var handlersOK = true
        defer {
            if !handlersOK { Terminal.writeError("relais: the import is stored; run `relais outbox deliver` once the handlers are fixed\n") }
        }
        // A dry run checks every file in one transaction, rolled back at the end, so that
        // each file meets the catalogue as the files before it would leave it.
        if dryRun {
            try store.dryRun { target in try importFiles(into: target) }
        } else {
            try importFiles(into: store)
        }
        if let notifications {
            handlersOK = try notifications.runHandlers()
            if !handlersOK { throw ExitCode(1) }
        }
    }

    /// Imports each file in order, one batch each, printing its report.
    private func importFiles(into target: any ImportTarget) throws {
        var imported: [String] = []
        for (position, file) in files.enumerated() {
            let formatName = format?.lowercased() ?? BuiltinFormats.readerFormat(forPath: file) ?? "jsonl"
            guard let reader = BuiltinFormats.reader(forFormat: formatName) else {
                throw UserError("\(file): unknown format '\(formatName)'")
            }
            let input =
                file == "-"
                ? ImportInput(url: URL(fileURLWithPath: "/dev/stdin"), displayName: "<stdin>")
                : ImportInput(url: URL(fileURLWithPath: file), displayName: file)
            let progress = ProgressReporter(label: "Importing \(input.displayName)")
            let report: ImportReport
            do {
                report = try ImportPipeline.run(input, reader: reader, into: target, dryRun: dryRun, progress: progress.update)
                progress.finish()
            } catch {
                progress.finish()
                let unread = files[(position + 1)...]
                if !imported.isEmpty || !unread.isEmpty {
                    var note = "nothing of \(file) was stored"
                    if !imported.isEmpty {
                        note += "; already \(dryRun ? "checked" : "imported"): \(imported.joined(separator: ", "))"
                    }
                    if !unread.isEmpty { note += "; not read: \(unread.joined(separator: ", "))" }
                    throw UserError(userMessage(for: error) + "\n(\(note))")
                }
                throw error
            }
            imported.append(file)
            print("\(input.displayName): \(report)\(dryRun ? " (dry run: nothing written)" : "")")
        }
    }
}
