import Foundation
import RelaisTesting
import Testing

// `relais repl` on the sample programme with the clock pinned to Tuesday 10 November 2020:
// scripted sessions through a pipe (every command, every error, the exit status), and
// sessions on a real pseudo-terminal under util-linux `script` (prompt, tab completion,
// history across two sessions, Ctrl-C at the prompt and during a long query).

@Suite("relais repl", .serialized)
struct ReplCLITests {
    private static let plugins = ProjectFiles.root.appendingPathComponent("Plugins").path
    private static let pinned = ["RELAIS_NOW": "2020-11-10T10:00", "COLUMNS": "160"]

    private func sampleCatalogue(_ directory: TemporaryDirectory) throws -> [String] {
        let base = ["--catalogue", directory.path("c.sqlite"), "--plugins", Self.plugins]
        let imported = try RelaisProcess.run(
            base + ["import", ProjectFiles.sampleJSONLines], environment: ["RELAIS_NOW": "2020-11-02T10:00"])
        try #require(imported.status == 0, "\(imported)")
        return base
    }

    @Test func aScriptedSessionAnswersQuestionsAndCommands() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let ics = directory.path("agenda.ics")
        let session = """
            # a comment, then questions
            webinaires nationaux la semaine prochaine
            :count
            :facets kind
            rencontres en Hauts-de-France \\
              en novembre
            :show mip2020-siilab-rencontre-ditp-lille
            :mode json
            hackathons
            :mode csv
            hackathons
            :mode table
            :export ics to \(ics)
            :save hack hackathons region:$1
            :saved
            :run hack hauts-de-france
            :plugins
            :digest la-base 2020-W47
            :lua
            function double(x)
              return x * 2
            end
            = double(21)
            for e in relais.events{ region = "32", kind = "meeting" } do print(e.id) end
            :back
            :now 2020-11-16
            webinaires cette semaine
            :history
            :help dates
            :quit
            this line is never read
            """
        let result = try RelaisProcess.run(base + ["repl"], input: session + "\n", environment: Self.pinned)
        #expect(result.status == 0, "\(result)")
        #expect(result.standardError.isEmpty, "\(result.standardError)")
        let out = result.standardOutput
        #expect(!out.contains("relais>"), "no prompt on a pipe")
        #expect(!out.contains("\u{1B}["), "no colours on a pipe")
        #expect(out.contains("→ region:national kind:webinar from:2020-11-16 to:2020-11-22\n"))
        #expect(out.contains("L’innovation au service de la transition écologique"))
        #expect(out.contains("2 événements\n"))
        #expect(out.contains("\nkind\n  webinaire"))
        #expect(out.contains("→ region:32 kind:meeting from:2020-11-01 to:2020-11-30\n"))
        #expect(out.contains("Rencontre de la DITP avec le laboratoire d’innovation territoriale à Lille"))
        #expect(out.contains("Historique\n  - lundi 2 novembre 2020, 10h : ajouté — "))
        #expect(out.contains("  - le 20 novembre 2020"))
        // json mode: JSON Lines; csv mode: a header.
        #expect(out.contains("{\"id\":\"mip2020-hauts-de-france-simplificathon-nord\""))
        #expect(out.contains("id,title,kind,status,start,end,region"))
        #expect(out.contains("wrote 2 événements to \(ics)"))
        #expect(try String(contentsOfFile: ics, encoding: .utf8).components(separatedBy: "BEGIN:VEVENT").count == 3)
        #expect(out.contains("saved hack: hackathons region:$1\n"))
        #expect(out.contains("hack: hackathons region:$1\n"))
        #expect(out.contains("→ region:32 kind:hackathon\n"))
        #expect(out.contains("la-base 1.0.0 — filters region, region-ou-national"))
        #expect(out.contains("Objet : La Base — Mois de l’innovation publique, semaine du 16 au 22 novembre 2020"))
        #expect(out.contains("\n42\n"))
        #expect(out.contains("mip2020-siilab-rencontre-ditp-lille\n"))
        #expect(out.contains("now: lundi 16 novembre 2020, 10h (pinned)"))
        #expect(out.contains("→ kind:webinar from:2020-11-16 to:2020-11-22\n"))
        #expect(out.contains("   1  webinaires nationaux la semaine prochaine\n"))
        #expect(out.contains("du 9 au 15 novembre"))
        #expect(!out.contains("never read"))

        // The saved question, from the command line.
        let saved = try RelaisProcess.run(base + ["query", "--saved", "hack", "32", "--format", "jsonl"])
        #expect(saved.status == 0, "\(saved)")
        #expect(saved.standardOutput.split(separator: "\n").count == 1)
        #expect(saved.standardOutput.contains("simplificathon-nord"))
        // The command line's filters narrow the saved question: both must hold.
        let narrowed = try RelaisProcess.run(
            base + ["query", "--saved", "hack", "32", "--region", "32", "--kind", "hackathon", "--format", "jsonl"])
        #expect(narrowed.status == 0, "\(narrowed)")
        #expect(narrowed.standardOutput == saved.standardOutput)
        for other in [["--region", "75"], ["--kind", "webinar"], ["--from", "2020-12-05"], ["--to", "2020-10-16"]] {
            let none = try RelaisProcess.run(base + ["query", "--saved", "hack", "32"] + other + ["--format", "jsonl"])
            #expect(none.status == 0, "\(none)")
            #expect(none.standardOutput.isEmpty, "\(other): \(none.standardOutput)")
        }
        let missing = try RelaisProcess.run(base + ["query", "--saved", "hack"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("saved query 'hack' needs 1 parameter ($1), got 0"))
    }

    @Test func errorsAreReportedTheSessionGoesOnAndTheExitStatusIsOne() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let session = """
            regoin:bretagne
            region:bretange
            from:2020-13-45
            31 février
            :mode tableau
            :show mip2020-inconnu
            :frobnicate
            :run absent
            :export pdf
            :lua
            print(1 +)
            error("boum")
            :back
            ateliers en Bretagne
            """
        let result = try RelaisProcess.run(base + ["repl"], input: session + "\n", environment: Self.pinned)
        #expect(result.status == 1, "\(result)")
        let errors = result.standardError
        for expected in [
            "error: unknown key 'regoin:' (did you mean region?)",
            "error: unknown region 'bretange' (did you mean Bretagne?)",
            "error: from: '2020-13-45' is not a date",
            "error: 31/2/2021 is not a date",
            "error: unknown mode 'tableau' (table, json, csv or line) (did you mean table?)",
            "error: no event 'mip2020-inconnu'",
            "error: unknown command ':frobnicate'",
            "error: no saved query 'absent'",
            "error: unknown format 'pdf'",
            "error: lua:1: unexpected symbol near ')'",
            "error: lua:1: boum",
        ] {
            #expect(errors.contains(expected), "\(expected)\n\(errors)")
        }
        // The question after the errors is still answered.
        #expect(result.standardOutput.contains("→ region:53 kind:workshop\n"), "\(result)")
    }

    @Test func limitAndTimerBoundAndTimeTheAnswers() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let session = """
            :timer on
            :timer
            ateliers limit:2
            :mode line
            ateliers limite:1
            :timer off
            webinaires max:3
            ateliers limit:zero
            :timer sometimes
            """
        let result = try RelaisProcess.run(base + ["repl"], input: session + "\n", environment: Self.pinned)
        #expect(result.status == 1, "\(result)")
        let out = result.standardOutput
        #expect(out.contains("timer: on"))
        #expect(out.contains("→ kind:workshop limit:2"))
        #expect(out.contains("→ kind:workshop limit:1"))
        #expect(out.contains("→ kind:webinar limit:3"))
        #expect(out.contains("2 événements"), "\(out)")  // the table's count line
        // Line mode, one event: one `id = …` line.
        #expect(out.split(separator: "\n").filter { $0.hasSuffix("id = mip2020-occitanie-ateliers-du-lab") }.count == 1, "\(out)")
        let times = out.split(separator: "\n").filter { $0.hasPrefix("temps : ") }
        #expect(times.count == 3, "\(out)")  // two questions and :mode; not :timer itself, none after :timer off
        #expect(times.allSatisfy { $0.range(of: #"^temps : \d+,\d{4} s$"#, options: .regularExpression) != nil }, "\(times)")
        #expect(result.standardError.contains("limit: 'zero' is not a positive number (limit:50)"), "\(result.standardError)")
        #expect(result.standardError.contains(":timer takes on or off"))
    }

    @Test func aLongAnswerEndsWithAHintInsteadOfCountingEveryMatch() throws {
        let directory = try TemporaryDirectory()
        let catalogue = directory.path("c.sqlite")
        // 1,200 events: more than the table shows.
        let lines = (1...1_200).map {
            #"{"id":"e-\#($0)","title":"Atelier \#($0)","kind":"workshop","slots":[{"start":"2020-11-10T09:00"}]}"#
        }
        let file = directory.path("many.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
        let imported = try RelaisProcess.run(["--catalogue", catalogue, "import", file])
        try #require(imported.status == 0, "\(imported)")
        let result = try RelaisProcess.run(
            ["--catalogue", catalogue, "--plugins", Self.plugins, "repl"], input: "ateliers\nateliers limit:5\n",
            environment: Self.pinned)
        #expect(result.status == 0, "\(result)")
        #expect(result.standardOutput.components(separatedBy: "… et d’autres encore").count == 2, "\(result.standardOutput)")
        let rows = result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("mar. 10 nov. 2020") }
        #expect(rows.count == 1_000 + 5)
    }

    @Test func anUnfinishedLineAtTheEndIsAnError() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let result = try RelaisProcess.run(base + ["repl"], input: "webinaires \\\n", environment: Self.pinned)
        #expect(result.status == 1)
        #expect(result.standardError.contains("the last question is not finished"))
    }

    // MARK: - A real terminal

    @Test func onATerminalItPromptsCompletesAndKeepsHistoryAcrossSessions() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let state = directory.path("state")
        var environment = Self.pinned
        environment["XDG_STATE_HOME"] = state

        let first = try TerminalSession(base + ["repl"], environment: environment)
        try first.waitFor("relais> ")
        // Tab completes the region name: region:bret → region:bretagne.
        first.send("ateliers region:bret\t\r")
        try first.waitFor("→ region:53 kind:workshop")
        // Event ids after :show, file names after :export FORMAT to.
        first.send(":show mip2020-siilab-renc\t\r")
        try first.waitFor("Rencontre de la DITP avec le laboratoire d’innovation territoriale à Lille")
        try Data().write(to: URL(fileURLWithPath: directory.path("agenda-unique.ics")))
        first.send(":export ics to \(directory.path("agenda-un"))\t\r")
        try first.waitFor("wrote 0 événements to \(directory.path("agenda-unique.ics"))")
        first.send(":quit\r")
        let firstOutput = try first.finish()
        #expect(firstOutput.status == 0, "\(firstOutput.text)")
        #expect(firstOutput.text.contains("\u{1B}["), "colours on a terminal")
        // libedit's history file writes spaces as \040.
        let history = try String(contentsOfFile: state + "/relais/history", encoding: .utf8)
            .replacingOccurrences(of: "\\040", with: " ")
        #expect(history.contains("ateliers region:bretagne"), "\(history)")
        #expect(!history.contains(":quit"))

        // A second session finds the question by reverse search (Ctrl-R), and walks the
        // history with the up arrow.
        let second = try TerminalSession(base + ["repl"], environment: environment)
        try second.waitFor("relais> ")
        second.send("\u{12}atel")
        try second.waitFor("ateliers region:bretagne")
        second.send("\r")
        try second.waitFor("→ region:53 kind:workshop")
        second.send("\u{1B}[A\r")
        try second.waitFor("→ region:53 kind:workshop", occurrences: 2)
        second.send(":quit\r")
        let ended = try second.finish()
        #expect(ended.status == 0, "\(ended.text)")
    }

    @Test func relaisAloneOnATerminalOpensTheREPL() throws {
        let directory = try TemporaryDirectory()
        _ = try sampleCatalogue(directory)
        var environment = Self.pinned
        environment["XDG_STATE_HOME"] = directory.path("state")
        environment["RELAIS_CATALOGUE"] = directory.path("c.sqlite")
        environment["RELAIS_PLUGINS"] = Self.plugins
        let session = try TerminalSession([], environment: environment)
        try session.waitFor("relais> ")
        session.send("hackathons\r")
        try session.waitFor("→ kind:hackathon")
        session.send("\u{04}")
        let ended = try session.finish()
        #expect(ended.status == 0, "\(ended.text)")
    }

    @Test func ctrlCClearsTheLineOrStopsTheQueryButNeverTheShell() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        // A plugin whose filter takes a third of a second per event: a query over the 31
        // events of the sample takes ten seconds unless interrupted.
        let extra = directory.path("extra")
        try FileManager.default.createDirectory(atPath: extra + "/lent", withIntermediateDirectories: true)
        try Data(
            "relais.filter(\"tout\", function(e) local t = os.clock() while os.clock() - t < 0.3 do end return true end)\n".utf8
        ).write(to: URL(fileURLWithPath: extra + "/lent/init.lua"))
        try Data("return { name = \"lent\", version = \"1.0.0\", limits = { instructions = 1000000000 } }\n".utf8)
            .write(to: URL(fileURLWithPath: extra + "/lent/manifest.lua"))
        var environment = Self.pinned
        environment["XDG_STATE_HOME"] = directory.path("state")

        let session = try TerminalSession(base + ["--plugins", extra, "repl"], environment: environment)
        try session.waitFor("relais> ")
        // Ctrl-C at the prompt drops the line.
        session.send("ateliers en Bretagne")
        Thread.sleep(forTimeInterval: 0.3)
        session.send("\u{03}")
        try session.waitFor("^C")
        session.send("webinaires nationaux\r")
        try session.waitFor("→ region:national kind:webinar")
        #expect(!session.text.contains("→ region:53 kind:workshop"))
        // Ctrl-C during a long query stops it; the shell answers the next question.
        let started = Date()
        session.send("filter:lent.tout\r")
        try session.waitFor("→ filter:lent.tout")
        Thread.sleep(forTimeInterval: 1.0)
        session.send("\u{03}")
        try session.waitFor("interrupted")
        #expect(Date().timeIntervalSince(started) < 8)
        session.send(":count\r")
        try session.waitFor("31 événements")
        session.send(":quit\r")
        let ended = try session.finish()
        #expect(ended.status == 0, "\(ended.text)")
    }
}

extension ReplCLITests {
    /// A pseudo-terminal whose size changes: Python's `pty` (util-linux `script` cannot resize).
    @Test func aResizeDrawsTheLastTableAgainAtTheNewWidth() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let driver = """
            import os, pty, sys, time, select, fcntl, termios, struct, signal, json
            pid, fd = pty.fork()
            if pid == 0:
                os.environ.update({"TERM": "xterm", "RELAIS_NOW": "2020-11-10T10:00", "XDG_STATE_HOME": sys.argv[1]})
                os.environ.pop("COLUMNS", None)
                os.execv(sys.argv[2], sys.argv[2:])
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
            def read(until, limit=10.0):
                out = b""; end = time.time() + limit
                while time.time() < end and until.encode() not in out:
                    r, _, _ = select.select([fd], [], [], 0.1)
                    if r:
                        try: out += os.read(fd, 65536)
                        except OSError: break
                return out.decode("utf-8", "replace")
            read("relais> ")
            os.write(fd, b"webinaires nationaux\\r")
            wide = read("relais> ")
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 70, 0, 0)); os.kill(pid, signal.SIGWINCH)
            narrow = read("relais> ")
            os.write(fd, b"ab")
            time.sleep(0.3)
            os.kill(pid, signal.SIGWINCH)
            time.sleep(0.3)
            os.write(fd, b"c\\r")
            typed = read("relais> ")
            os.write(fd, b":quit\\r")
            _, status = os.waitpid(pid, 0)
            print(json.dumps({"wide": wide, "narrow": narrow, "typed": typed, "status": status}))
            """
        let output = try RelaisProcess.python(
            driver, arguments: [directory.path("state"), RelaisProcess.executable.path] + base + ["repl"])
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        let wide = try #require(result["wide"] as? String)
        let narrow = try #require(result["narrow"] as? String)
        #expect(wide.contains("L’innovation au service de la transition écologique"), "\(wide)")
        #expect(narrow.contains("6 événements"), "\(narrow)")
        #expect(!narrow.contains("L’innovation au service de la transition écologique"), "\(narrow)")
        let rows = narrow.replacingOccurrences(of: "\r", with: "").split(separator: "\n").filter { $0.hasPrefix("mar. ") }
        let widest = rows.map { $0.count }.max() ?? 0
        #expect(widest > 0 && widest <= 72, "\(narrow)")
        // What was typed before the resize is kept: "ab" + "c".
        #expect((result["typed"] as? String)?.contains("→ text:\"abc\"") == true, "\(result)")
        #expect(result["status"] as? Int == 0)
    }
}

/// `relais` on a pseudo-terminal, through util-linux `script`: keys go in, the screen comes out.
final class TerminalSession: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let lock = NSLock()
    private var collected = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ arguments: [String], environment: [String: String]) throws {
        // `exec`: otherwise a shell that does not exec a lone command (dash, when $SHELL is
        // /bin/sh) stays between script and relais, and exits 130 after a Ctrl-C that relais
        // handled.
        let command = "exec " + ([RelaisProcess.executable.path] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qfec", command, "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "RELAIS_CATALOGUE")
        env.removeValue(forKey: "RELAIS_PLUGINS")
        env["TERM"] = "xterm"
        env["SHELL"] = "/bin/sh"  // as on CI, where it may be unset
        env["PAGER"] = "cat"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let handle = output.fileHandleForReading
        DispatchQueue.global().async { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                lock.lock()
                collected.append(data)
                lock.unlock()
            }
            done.signal()
        }
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    func send(_ keys: String) {
        input.fileHandleForWriting.write(Data(keys.utf8))
    }

    /// Waits until the screen shows `expected`; throws after `timeout` seconds.
    func waitFor(_ expected: String, occurrences: Int = 1, timeout: TimeInterval = 15) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while text.components(separatedBy: expected).count - 1 < occurrences {
            if Date() > deadline {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
                throw TerminalTimeout(expected: expected, screen: text)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Waits for the end (killing the session after `timeout` seconds).
    func finish(timeout: TimeInterval = 15) throws -> (status: Int32, text: String) {
        try? input.fileHandleForWriting.close()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            throw TerminalTimeout(expected: "the end of the session", screen: text)
        }
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}

struct TerminalTimeout: Error, CustomStringConvertible {
    var expected: String
    var screen: String
    var description: String { "timed out waiting for \(expected); the screen:\n\(screen)" }
}
