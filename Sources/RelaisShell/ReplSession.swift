import Foundation
import RelaisCore

/// The REPL: reads questions and `:commands`, answers from the catalogue.
///
/// On a terminal it prompts, colours, pages long answers and keeps history; on a pipe it
/// reads line by line with no prompt or colours, like `sqlite3 < file`, and ``run()``
/// reports whether every command succeeded (the exit status).
public final class ReplSession {
    public enum Mode: String, CaseIterable, Sendable {
        case table, json, csv, line
    }

    private let backend: any ReplBackend
    private let reader: any LineReader
    private let interactive: Bool
    private let write: (String) -> Void
    private let writeError: (String) -> Void
    /// The clock: pinned by `:now`, `--now` or `$RELAIS_NOW`, else real.
    public private(set) var pinnedNow: Date?
    public private(set) var mode: Mode = .table
    /// The last question: what `:count`, `:facets`, `:export` and `:save` work on.
    private var current: (text: String, query: EventQuery)?
    private var sessionLines: [String] = []
    /// Re-renders the last table at the terminal's new width.
    private var lastTable: [Event] = []
    private var failures = 0
    private var luaMode = false
    /// Whether each answer is followed by the time it took (`:timer on`, as sqlite3's `.timer`).
    private var timing = false
    private var pending = ""

    /// Rows a table shows before it says how many more there are.
    public static let tableRowLimit = 1000

    public init(
        backend: any ReplBackend, reader: any LineReader, interactive: Bool, now: Date?,
        write: @escaping (String) -> Void, writeError: @escaping (String) -> Void
    ) {
        self.backend = backend
        self.reader = reader
        self.interactive = interactive
        self.pinnedNow = now
        self.write = write
        self.writeError = writeError
    }

    private var now: Date { pinnedNow ?? Date() }

    /// Reads and answers until the end of input or `:quit`. Returns true when no command failed.
    public func run() -> Bool {
        if interactive {
            write(
                color("Relais — posez une question (« webinaires en Bretagne la semaine prochaine »), :help pour l’aide, :quit pour sortir.\n", "2"))
        }
        loop: while true {
            let prompt: String
            if luaMode {
                prompt = pending.isEmpty ? "lua> " : "lua>> "
            } else {
                prompt = pending.isEmpty ? "relais> " : "   ...> "
            }
            switch reader.readLine(prompt: interactive ? prompt : "") {
            case .end:
                if interactive { write("\n") }
                if !pending.isEmpty {
                    report(luaMode ? "the Lua chunk is not finished" : "the last question is not finished (it ends with \\)")
                }
                break loop
            case .interrupted:
                pending = ""
                _ = ShellSignals.takeInterrupt()
            case .resized:
                if !lastTable.isEmpty && mode == .table { write(renderTable(lastTable, more: false)) }
            case .line(let line):
                if !handle(line) { break loop }
            }
        }
        return failures == 0
    }

    /// Handles one line; false to quit.
    func handle(_ line: String) -> Bool {
        if luaMode { return handleLua(line) }
        var text = pending.isEmpty ? line : pending + " " + line
        if text.hasSuffix("\\") {
            text.removeLast()
            pending = text
            return true
        }
        pending = ""
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("--") { return true }
        if ![":quit", ":q", ":exit", ".quit"].contains(trimmed) { reader.remember(trimmed) }
        sessionLines.append(trimmed)
        _ = ShellSignals.takeInterrupt()
        let started = ContinuousClock.now
        defer {
            if timing && !trimmed.lowercased().hasPrefix(":timer") && !trimmed.lowercased().hasPrefix(".timer") {
                write(color("temps : " + Self.seconds(ContinuousClock.now - started) + "\n", "2"))
            }
        }
        do {
            if trimmed.hasPrefix(":") || trimmed.hasPrefix(".") {
                return try command(trimmed)
            }
            try ask(trimmed)
        } catch let interrupted as Interrupted {
            write(interrupted.description + "\n")
        } catch {
            report("\(error)")
        }
        return true
    }

    private func report(_ message: String) {
        failures += 1
        writeError(color("error: " + message, "31") + "\n")
    }

    /// Colours only for a person at a terminal (not when the answers are piped elsewhere).
    private lazy var colours = interactive && Terminal.standardOutputIsTerminal

    private func color(_ text: String, _ code: String) -> String {
        colours ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    struct Interrupted: Error, CustomStringConvertible {
        var description: String { "interrupted" }
    }

    /// `0,0123 s`: French decimal comma, four decimals (answers take milliseconds).
    static func seconds(_ duration: Duration) -> String {
        let (whole, attoseconds) = duration.components
        let value = Double(whole) + Double(attoseconds) / 1e18
        return String(format: "%.4f s", value).replacingOccurrences(of: ".", with: ",")
    }

    private static func checkInterrupt() throws {
        if ShellSignals.takeInterrupt() { throw Interrupted() }
    }

    // MARK: - Questions

    private func parser() -> QuestionParser {
        QuestionParser(now: now, labs: backend.labs, scriptFilters: Set(backend.scriptFilters))
    }

    private func ask(_ text: String) throws {
        let question = try parser().parse(text)
        write(color("→ " + question.understood, "36") + "\n")
        current = (text, question.query)
        try list(question.query)
    }

    private func list(_ query: EventQuery) throws {
        switch mode {
        case .table:
            // One row past the table's limit says whether there are more, without reading
            // (or counting) every match of a question over a million events.
            var bounded = query
            bounded.limit = min(query.limit ?? Int.max, Self.tableRowLimit + 1)
            var events: [Event] = []
            try backend.forEachEvent(matching: bounded) { event in
                try Self.checkInterrupt()
                events.append(event)
                return true
            }
            let more = events.count > Self.tableRowLimit
            if more { events.removeLast() }
            lastTable = events
            page(renderTable(events, more: more))
        case .line:
            try streamed { out in
                var count = 0
                try backend.forEachEvent(matching: query) { event in
                    try Self.checkInterrupt()
                    try out((count > 0 ? "\n" : "") + Self.lineMode(event))
                    count += 1
                    return true
                }
            }
        case .json, .csv:
            try streamed { out in
                _ = try backend.export(format: mode == .json ? "jsonl" : "csv", query: query, to: nil) { chunk in
                    try Self.checkInterrupt()
                    try out(chunk)
                }
            }
        }
    }

    private func renderTable(_ events: [Event], more: Bool) -> String {
        if events.isEmpty { return "Aucun événement ne correspond.\n" }
        var table = EventTable(width: Terminal.width)
        for event in events { table.append(event) }
        var text = table.render()
        if more {
            text += "… et d’autres encore (affinez la question, ou :count, :export)\n"
        }
        return text
    }

    /// sqlite3's line mode: one `field = value` per line, a blank line between events.
    static func lineMode(_ event: Event) -> String {
        var fields: [(String, String)] = [
            ("id", event.id), ("title", event.title), ("kind", event.kind.rawValue), ("status", event.status.rawValue),
            ("slots", event.slots.map { FrenchDates.slot($0) }.joined(separator: " ; ")),
            ("region", event.region.map { "\($0.name) (\($0.code))" } ?? "national"),
            ("online", event.online ? "yes" : "no"),
        ]
        if let lab = event.lab { fields.append(("lab", lab)) }
        if let organizer = event.organizer { fields.append(("organizer", organizer)) }
        if let place = event.place { fields.append(("place", place)) }
        if let url = event.url { fields.append(("url", url)) }
        let width = fields.map { $0.0.count }.max() ?? 0
        return fields.map { String(repeating: " ", count: width - $0.0.count) + $0.0 + " = " + $0.1 }
            .joined(separator: "\n") + "\n"
    }

    /// Long answers on a terminal go through `$PAGER` (default `less -FRX`).
    private func page(_ text: String) {
        let lines = text.reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
        guard paging, lines + 2 > Terminal.height else {
            write(text)
            return
        }
        try? streamed { out in try out(text) }
    }

    /// Whether answers may go through the pager: a person at a terminal.
    private var paging: Bool { interactive && Terminal.standardOutputIsTerminal }

    /// Runs `produce` with a writer that streams its chunks out as they come: through the
    /// pager on a terminal (`less -F` shows a short answer and returns), else straight out.
    /// Nothing is collected, whatever the answer's size. A pager that is quit early ends
    /// the answer quietly.
    private func streamed(_ produce: (_ out: (String) throws -> Void) throws -> Void) throws {
        guard paging else {
            try produce { write($0) }
            return
        }
        let pager = ProcessInfo.processInfo.environment["PAGER"].flatMap { $0.isEmpty ? nil : $0 } ?? "less -FRX"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", pager]
        let input = Pipe()
        process.standardInput = input
        do {
            try process.run()
        } catch {
            try produce { write($0) }
            return
        }
        let handle = input.fileHandleForWriting
        defer {
            try? handle.close()
            process.waitUntilExit()
            // Ctrl-C in the pager is the pager's.
            _ = ShellSignals.takeInterrupt()
        }
        do {
            try produce { chunk in
                // The throwing write: the pager may have been quit (EPIPE).
                do { try handle.write(contentsOf: Data(chunk.utf8)) } catch { throw PagerClosed() }
            }
        } catch is PagerClosed {
            return
        }
    }

    struct PagerClosed: Error {}

    // MARK: - Commands

    /// The commands, for `:help` and completion.
    public static let commands = [
        ":help", ":show", ":count", ":facets", ":export", ":mode", ":save", ":run", ":saved", ":forget", ":plugins",
        ":digest", ":lua", ":history", ":now", ":timer", ":quit",
    ]
    public static let facetNames = ["region", "kind", "lab", "week", "status"]

    private func command(_ line: String) throws -> Bool {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var name = words[0]
        if name.hasPrefix(".") { name = ":" + name.dropFirst() }
        let arguments = Array(words.dropFirst())
        let rest = arguments.joined(separator: " ")
        switch name {
        case ":quit", ":q", ":exit":
            return false
        case ":help", ":h", ":?":
            write(Self.help(arguments.first))
        case ":show":
            guard let id = arguments.first else { throw QuestionProblem(":show needs an event id (:show mip2020-…)") }
            try show(id)
        case ":timer":
            switch arguments.first?.lowercased() {
            case nil: write("timer: \(timing ? "on" : "off")\n")
            case "on", "oui": timing = true
            case "off", "non": timing = false
            default: throw QuestionProblem(":timer takes on or off")
            }
        case ":count":
            let query = current?.query ?? EventQuery()
            let count = try backend.count(matching: query)
            write("\(count) événement\(count == 1 ? "" : "s")\n")
        case ":facets":
            try facets(arguments.first)
        case ":export":
            try export(arguments)
        case ":mode":
            guard let wanted = arguments.first else {
                write("mode: \(mode.rawValue) (table, json, csv, line)\n")
                return true
            }
            guard let chosen = Mode(rawValue: wanted.lowercased()) else {
                throw QuestionProblem(
                    "unknown mode '\(wanted)' (table, json, csv or line)"
                        + QuestionParser.suggestion(wanted, among: Mode.allCases.map(\.rawValue)))
            }
            mode = chosen
        case ":save":
            try save(arguments)
        case ":run":
            guard let savedName = arguments.first else { throw QuestionProblem(":run needs a saved query's name (:saved lists them)") }
            guard let saved = try backend.savedQueries.savedQuery(named: savedName) else {
                let names = try backend.savedQueries.savedQueries().map(\.name)
                throw QuestionProblem("no saved query '\(savedName)'" + QuestionParser.suggestion(savedName, among: names))
            }
            try ask(try saved.filled(with: Array(arguments.dropFirst())))
        case ":saved":
            let saved = try backend.savedQueries.savedQueries()
            if saved.isEmpty { write("no saved queries (:save NAME after a question)\n") }
            for query in saved { write("\(query.name): \(query.text)\n") }
        case ":forget":
            guard let savedName = arguments.first else { throw QuestionProblem(":forget needs a saved query's name") }
            guard try backend.savedQueries.deleteSavedQuery(named: savedName) else {
                throw QuestionProblem("no saved query '\(savedName)'")
            }
            write("forgot \(savedName)\n")
        case ":plugins":
            for line in backend.pluginSummaries() { write(line + "\n") }
        case ":digest":
            guard let plugin = arguments.first else {
                throw QuestionProblem(":digest needs a plugin (\(backend.digestPlugins.joined(separator: ", ")))")
            }
            let week = try self.week(arguments.count > 1 ? arguments[1] : "current")
            page(try backend.digest(plugin: plugin, week: week))
        case ":lua":
            luaMode = true
            write("Lua, with the relais API in the sandbox (relais.events{…}, relais.date…); :back to return to questions.\n")
        case ":history":
            for (index, entry) in sessionLines.enumerated() { write("\(String(index + 1).leftPadded(4))  \(entry)\n") }
        case ":now":
            if rest.isEmpty {
                write("now: \(FrenchDates.instant(now))\(pinnedNow == nil ? "" : " (pinned)")\n")
            } else if rest == "off" || rest == "reset" {
                pinnedNow = nil
                write("now: the real clock\n")
            } else {
                guard let time = EventTime(parsing: rest) else {
                    throw QuestionProblem(":now: '\(rest)' is not a time (2020-11-09, 2020-11-09T10:00)")
                }
                switch time {
                case .instant(let instant): pinnedNow = instant
                case .allDay(let day): pinnedNow = ParisTime.instant(LocalDateTime(date: day, hour: 10, minute: 0))
                }
                write("now: \(FrenchDates.instant(now)) (pinned)\n")
            }
        default:
            throw QuestionProblem(
                "unknown command '\(name)'" + QuestionParser.suggestion(name, among: Self.commands) + " (:help lists them)")
        }
        return true
    }

    private func week(_ text: String) throws -> ISOWeek {
        let current = ISOWeek(containing: now)
        switch text.lowercased() {
        case "current", "this", "courante": return current
        case "next", "prochaine": return current.adding(weeks: 1)
        case "previous", "last", "precedente", "précédente": return current.adding(weeks: -1)
        default:
            if let week = ISOWeek(parsing: text) { return week }
            let question = try parser().parse(text)
            if let from = question.query.from { return ISOWeek(containing: from) }
            throw QuestionProblem("'\(text)' is not a week (current, next, 2020-W47, S47)")
        }
    }

    private func show(_ id: String) throws {
        guard let event = try backend.event(id: id) else {
            let close = backend.eventIDs(startingWith: String(id.prefix(max(1, id.count - 3))), limit: 50)
            throw QuestionProblem("no event '\(id)'" + QuestionParser.suggestion(id, among: close))
        }
        var lines = [color(event.title, "1"), event.id]
        func field(_ label: String, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            lines.append(label.padding(toLength: 14, withPad: " ", startingAt: 0) + value)
        }
        field("Type", event.kind.frenchLabel)
        field("Statut", event.status.frenchLabel)
        field("Région", event.region.map { "\($0.name) (\($0.code))" } ?? "nationale")
        field("En ligne", event.online ? "oui" : "non")
        field("Lab", event.lab)
        field("Organisateur", event.organizer)
        field("Lieu", event.place)
        field("Public", event.audience.joined(separator: ", "))
        field("Mots-clés", event.tags.joined(separator: ", "))
        field("Lien", event.url)
        field("Contact", event.contact)
        lines.append("Créneaux")
        for slot in event.slots { lines.append("  - " + FrenchDates.slot(slot)) }
        if let description = event.description, !description.isEmpty {
            lines.append("Description")
            lines += Self.wrap(description, width: max(40, Terminal.width - 4)).map { "  " + $0 }
        }
        let history = try backend.history(of: id)
        if !history.isEmpty {
            lines.append("Historique")
            for change in history {
                var entry = "  - \(FrenchDates.instant(change.recordedAt)) : \(Self.changeLabel(change.kind))"
                if change.kind == .rescheduled, let before = change.before {
                    entry += " (avant : \(before.slots.map { FrenchDates.slot($0) }.joined(separator: " ; ")))"
                }
                if !change.source.isEmpty { entry += " — \(change.source)" }
                lines.append(entry)
            }
        }
        page(lines.joined(separator: "\n") + "\n")
    }

    static func changeLabel(_ kind: ChangeKind) -> String {
        switch kind {
        case .added: "ajouté"
        case .updated: "modifié"
        case .rescheduled: "reprogrammé"
        case .cancelled: "annulé"
        case .unchanged: "inchangé"
        }
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    private func facets(_ wanted: String?) throws {
        let names: [String]
        if let wanted {
            guard Self.facetNames.contains(wanted.lowercased()) else {
                throw QuestionProblem(
                    "unknown facet '\(wanted)' (region, kind, lab, week or status)"
                        + QuestionParser.suggestion(wanted, among: Self.facetNames))
            }
            names = [wanted.lowercased()]
        } else {
            names = Self.facetNames
        }
        let query = current?.query ?? EventQuery()
        var counts: [String: [String: Int]] = [:]
        var total = 0
        let window = query.window
        try backend.forEachEvent(matching: query) { event in
            try Self.checkInterrupt()
            total += 1
            for name in names {
                var values: Set<String> = []
                switch name {
                case "region": values = [event.region.map { "\($0.name) (\($0.code))" } ?? "national"]
                case "kind": values = [event.kind.frenchLabel]
                case "lab": values = [event.lab ?? "(sans lab)"]
                case "status": values = [event.status.frenchLabel]
                default:
                    // The weeks of the slots (within the question's window, if it has one).
                    for slot in event.slots {
                        var day = CivilDate(parisDayOf: slot.coveredStart)
                        let last = CivilDate(parisDayOf: slot.coveredEnd)
                        var guardDays = 0
                        while day <= last && guardDays < 400 {
                            let inWindow =
                                (window.from.map { ParisTime.endOfDay(day) >= $0 } ?? true)
                                && (window.to.map { ParisTime.startOfDay(day) <= $0 } ?? true)
                            if inWindow { values.insert(ISOWeek(containing: day).description) }
                            day = day.adding(days: 1)
                            guardDays += 1
                        }
                    }
                }
                for value in values { counts[name, default: [:]][value, default: 0] += 1 }
            }
            return true
        }
        var text = "\(total) événement\(total == 1 ? "" : "s")\n"
        for name in names {
            text += "\n" + color(name, "1") + "\n"
            let entries = (counts[name] ?? [:]).sorted { a, b in
                name == "week" ? a.key < b.key : (a.value != b.value ? a.value > b.value : a.key < b.key)
            }
            let width = entries.map { $0.key.count }.max() ?? 0
            for (value, count) in entries {
                text += "  " + value.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(String(count).leftPadded(5))\n"
            }
        }
        page(text)
    }

    private func export(_ arguments: [String]) throws {
        guard let format = arguments.first else {
            throw QuestionProblem(":export needs a format (\(backend.exporterNames.joined(separator: ", ")))")
        }
        guard backend.exporterNames.contains(format) else {
            throw QuestionProblem(
                "unknown format '\(format)'" + QuestionParser.suggestion(format, among: backend.exporterNames)
                    + " (formats: \(backend.exporterNames.joined(separator: ", ")))")
        }
        var path: String?
        if arguments.count > 1 {
            guard arguments[1] == "to", arguments.count == 3 else {
                throw QuestionProblem(":export FORMAT [to FILE]")
            }
            path = (arguments[2] as NSString).expandingTildeInPath
        }
        let query = current?.query ?? EventQuery()
        if let path {
            let count = try backend.export(format: format, query: query, to: path) { _ in }
            write("wrote \(count) événement\(count == 1 ? "" : "s") to \(path)\n")
        } else {
            try streamed { out in
                _ = try backend.export(format: format, query: query, to: nil) { chunk in
                    try Self.checkInterrupt()
                    try out(chunk)
                }
            }
        }
    }

    private func save(_ arguments: [String]) throws {
        guard let name = arguments.first else { throw QuestionProblem(":save needs a name (:save webinaires-bretagne)") }
        guard SavedQuery.isValidName(name) else {
            throw QuestionProblem("'\(name)' cannot name a saved query (letters, digits, - and _)")
        }
        let text: String
        if arguments.count > 1 {
            text = arguments.dropFirst().joined(separator: " ")
            // A question without parameters is checked now rather than when it is run.
            if SavedQuery(name: name, text: text, savedAt: now).parameterCount == 0 { _ = try parser().parse(text) }
        } else {
            guard let current else { throw QuestionProblem(":save saves the last question: ask one first, or :save NAME question") }
            text = current.text
        }
        try backend.savedQueries.save(SavedQuery(name: name, text: text, savedAt: Date()))
        write("saved \(name): \(text)\n")
    }

    // MARK: - Lua

    private func handleLua(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if pending.isEmpty {
            switch trimmed {
            case ":back", ":questions", ":sql": 
                luaMode = false
                return true
            case ":quit", ":q", ":exit":
                return false
            case "":
                return true
            default:
                break
            }
        }
        reader.remember(line)
        sessionLines.append(line)
        let chunk = pending.isEmpty ? line : pending + "\n" + line
        switch backend.lua(chunk, now: now) {
        case .incomplete:
            pending = chunk
        case .output(let text):
            pending = ""
            write(text)
        case .failure(let message):
            pending = ""
            report(message)
        }
        return true
    }

    // MARK: - Help

    static func help(_ topic: String?) -> String {
        switch topic?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ":")) {
        case nil, "":
            return """
                Ask a question in French or English, or type a command.

                  webinaires en Hauts-de-France la semaine prochaine
                  ateliers en ligne du 9 au 15 novembre
                  region:bretagne kind:workshop status:cancelled "design"

                Commands:
                  :show ID            one event in full, with its history
                  :count              how many events the last question lists
                  :facets [NAME]      counts by region, kind, lab, week, status
                  :export FMT [to F]  the last question through any format (:export ics to agenda.ics)
                  :mode MODE          table, json, csv or line
                  :save NAME [Q]      save the last question (or Q, with $1, $2… parameters)
                  :run NAME [ARGS]    run a saved question; :saved lists them, :forget NAME deletes
                  :plugins            plugins, their filters, formats and digests
                  :digest PLUGIN [W]  preview a plugin's weekly digest (current, next, 2020-W47)
                  :lua                a Lua prompt with the relais API (:back returns)
                  :now [TIME|off]     show or pin the clock (:now 2020-11-09)
                  :timer on|off       the time each answer takes
                  :history            this session's lines
                  :help TOPIC         questions, keys, dates, saved, lua
                  :quit               leave (Ctrl-D too)

                """
        case "questions", "question":
            return """
                Bare words are read as kinds (webinaires, ateliers, hackathons, formations, tables-rondes,
                workshops…), regions (Bretagne, Hauts-de-France, ile de france, PACA, national), labs
                (La Base, Ti-Lab…), statuses (annulés, reportés, cancelled), en ligne / sur place, and
                dates (see :help dates). Other words search the text (title, description, organizer,
                place, tags), ignoring case and accents; "quoted words" always search the text.
                The line after → is how the question was understood.

                """
        case "keys", "key":
            return """
                key:value words: region:hauts-de-france (or 32, national), kind:webinar, lab:siilab,
                status:cancelled, online:yes|no, from:2020-11-09, to:2020-11-15, date:demain,
                week:2020-W47, text:"tiers-lieux", filter:la-base.agents (a plugin's Lua filter),
                limit:50 (the first 50 only).
                Several values: region:75,53 kind:webinar,workshop.

                """
        case "dates", "date":
            return """
                aujourd'hui, demain, après-demain, lundi (the next one), cette semaine, semaine prochaine,
                semaine dernière, ce mois-ci, mois prochain, ce week-end, 10 novembre, le 1er décembre,
                du 9 au 15 novembre, du 28 décembre au 3 janvier, novembre, S47, semaine 47, 2020-W47,
                2020-11-10; today, tomorrow, this week, next week, next month, November 10.
                Weeks run Monday to Sunday in Europe/Paris. :now 2020-11-09 replays the 2020 programme.

                """
        case "saved", "save", "run":
            return """
                :save NAME keeps the last question in the catalogue; :save NAME webinaires region:$1 keeps
                one with a parameter, run as :run NAME bretagne — or from the shell:
                relais query --saved NAME bretagne. :saved lists them, :forget NAME deletes one.

                """
        case "lua":
            return """
                :lua switches to a Lua prompt in the plugins' sandbox, with the relais API:
                  for e in relais.events{ region = "53", limit = 3 } do print(e.title) end
                  = relais.date.format("2020-11-10T09:30")
                A chunk that is not finished continues on the next line (lua>>). :back returns.

                """
        default:
            return "no help on '\(topic ?? "")' (topics: questions, keys, dates, saved, lua)\n"
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

extension Terminal {
    /// The height of the terminal on standard output, `$LINES`, or 24.
    public static var height: Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 { return Int(size.ws_row) }
        if let lines = ProcessInfo.processInfo.environment["LINES"].flatMap(Int.init), lines > 0 { return lines }
        return 24
    }
}
