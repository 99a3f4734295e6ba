import Foundation
import RelaisTesting
import Testing

/// End-to-end: the built `relais` binary, a real catalogue file in a temp directory.
@Suite struct CLITests {
    let directory: TemporaryDirectory
    let catalogue: String

    init() throws {
        directory = try TemporaryDirectory()
        catalogue = directory.path("catalogue.sqlite")
    }

    func relais(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> ProcessResult {
        try RelaisProcess.run(["--catalogue", catalogue] + arguments, in: directory.path, input: input, environment: environment)
    }

    func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    func sampleCount() throws -> Int {
        try String(contentsOfFile: ProjectFiles.sampleJSONLines, encoding: .utf8).split(separator: "\n").count
    }

    @Test func importReportsCountsThenUnchanged() throws {
        let total = try sampleCount()
        // A dry run into a catalogue that does not exist counts against an empty one and
        // leaves no file behind.
        let dry = try relais(["import", "--dry-run", ProjectFiles.sampleJSONLines])
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.standardOutput.contains("\(total) added"))
        #expect(!FileManager.default.fileExists(atPath: catalogue))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        // Several files: each is checked against the catalogue as the ones before it leave it.
        let record = #"{"id":"dry-1","title":"Atelier","kind":"workshop","slots":[{"start":"2020-11-10"}]}"#
        let a = try directory.write("a.jsonl", record + "\n")
        let b = try directory.write("b.jsonl", record.replacingOccurrences(of: "Atelier", with: "Atelier renommé") + "\n")
        let twoFiles = try relais(["import", "--dry-run", a, b])
        #expect(twoFiles.status == 0, "\(twoFiles)")
        #expect(twoFiles.standardOutput.contains("a.jsonl: 1 added, 0 updated"), "\(twoFiles.standardOutput)")
        #expect(twoFiles.standardOutput.contains("b.jsonl: 0 added, 1 updated"), "\(twoFiles.standardOutput)")
        #expect(!FileManager.default.fileExists(atPath: catalogue))
        try FileManager.default.removeItem(atPath: a)
        try FileManager.default.removeItem(atPath: b)
        let first = try relais(["import", ProjectFiles.sampleJSONLines])
        #expect(first.status == 0, "\(first)")
        #expect(first.standardOutput.contains("\(total) added, 0 updated, 0 rescheduled, 0 cancelled, 0 unchanged"))
        let again = try relais(["import", ProjectFiles.sampleJSONLines])
        #expect(again.standardOutput.contains("0 added, 0 updated, 0 rescheduled, 0 cancelled, \(total) unchanged"))
        // The same programme as a French CSV changes nothing.
        let csv = try relais(["import", "--dry-run", ProjectFiles.sampleCSV])
        #expect(csv.status == 0, "\(csv)")
        #expect(csv.standardOutput.contains("\(total) unchanged"))
        #expect(csv.standardOutput.contains("dry run"))
    }

    @Test func pipedQueryPrintsOrderedJSONLines() throws {
        _ = try relais(["import", ProjectFiles.sampleJSONLines])
        let result = try relais(["query"])
        #expect(result.status == 0)
        let events = try jsonLines(result.standardOutput)
        #expect(events.count == (try sampleCount()))
        #expect(result.standardError.isEmpty, "progress or noise on a pipe: \(result.standardError)")
        // Order of first slot start: compare the first slots' start strings as instants.
        let ids = events.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == ids.count)
    }

    @Test func filtersNarrowTheResults() throws {
        _ = try relais(["import", ProjectFiles.sampleJSONLines])
        let region = try jsonLines(try relais(["query", "--region", "Nouvelle Aquitaine"]).standardOutput)
        #expect(!region.isEmpty)
        #expect(region.allSatisfy { $0["region"] as? String == "75" })
        let national = try jsonLines(try relais(["query", "--region", "national"]).standardOutput)
        #expect(!national.isEmpty)
        #expect(national.allSatisfy { $0["region"] is NSNull || $0["region"] == nil })
        let webinars = try jsonLines(try relais(["query", "--kind", "webinar"]).standardOutput)
        #expect(!webinars.isEmpty && webinars.allSatisfy { $0["kind"] as? String == "webinar" })
        let both = try jsonLines(try relais(["query", "--kind", "webinar", "--kind", "workshop"]).standardOutput)
        #expect(both.count > webinars.count)
        let lab = try jsonLines(try relais(["query", "--lab", "lab-bfc"]).standardOutput)
        #expect(!lab.isEmpty && lab.allSatisfy { $0["lab"] as? String == "lab-bfc" })
        let text = try jsonLines(try relais(["query", "--text", "INNOVATION publique"]).standardOutput)
        #expect(!text.isEmpty)
        let none = try relais(["query", "--text", "zzzzqqqq"])
        #expect(none.status == 0 && none.standardOutput.isEmpty)
        let window = try jsonLines(try relais(["query", "--from", "2020-11-16", "--to", "2020-11-22"]).standardOutput)
        let all = try jsonLines(try relais(["query"]).standardOutput)
        #expect(!window.isEmpty && window.count < all.count)
        let week = try jsonLines(try relais(["query", "--week", "2020-W47"]).standardOutput)
        #expect(week.map { $0["id"] as? String } == window.map { $0["id"] as? String })
        let limited = try jsonLines(try relais(["query", "--limit", "2"]).standardOutput)
        #expect(limited.count == 2)
    }

    @Test func tableOnRequest() throws {
        _ = try relais(["import", ProjectFiles.sampleJSONLines])
        let result = try relais(["query", "--format", "table", "--region", "75"])
        #expect(result.status == 0)
        #expect(result.standardOutput.hasPrefix("Quand"))
        #expect(result.standardOutput.contains("événement"))
    }

    @Test func exportsWriteFilesInEveryFormat() throws {
        _ = try relais(["import", ProjectFiles.sampleJSONLines])
        let ics = try relais(["export", "--format", "ics", "-o", "out.ics"])
        #expect(ics.status == 0, "\(ics)")
        let calendar = try String(contentsOfFile: directory.path("out.ics"), encoding: .utf8)
        #expect(calendar.hasPrefix("BEGIN:VCALENDAR\r\n"))
        #expect(calendar.contains("BEGIN:VTIMEZONE"))
        let byExtension = try relais(["export", "-o", "out.csv", "--region", "75"])
        #expect(byExtension.status == 0, "\(byExtension)")
        let csv = try String(contentsOfFile: directory.path("out.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("id,title,kind"))
        let french = try relais(["export", "--format", "csv", "--delimiter", ";", "--bom", "-o", "fr.csv"])
        #expect(french.status == 0)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.path("fr.csv"))))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let unknown = try relais(["export", "-o", "out.unknown"])
        #expect(unknown.status == 2, "\(unknown)")
        #expect(unknown.standardError.contains("no export format writes '.unknown' files"), "\(unknown)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("out.unknown")))
        let json = try relais(["export", "--format", "json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [Any]
        #expect(parsed?.count == (try sampleCount()))
    }

    @Test func exportRoundTripsThroughICalendar() throws {
        _ = try relais(["import", ProjectFiles.sampleJSONLines])
        _ = try relais(["export", "--format", "ics", "-o", "out.ics"])
        let second = directory.path("second.sqlite")
        let imported = try RelaisProcess.run(["import", "--catalogue", second, directory.path("out.ics")], in: directory.path)
        #expect(imported.status == 0, "\(imported)")
        let original = try relais(["query"]).standardOutput
        let back = try RelaisProcess.run(["query", "--catalogue", second], in: directory.path).standardOutput
        #expect(back == original)
    }

    @Test func badRecordRejectsTheWholeFileAndNamesIt() throws {
        _ = try relais(["import", ProjectFiles.sampleJSONLines])
        let before = try Data(contentsOf: URL(fileURLWithPath: catalogue))
        let good = #"{"id":"new-1","title":"Atelier","kind":"workshop","slots":[{"start":"2020-11-10"}]}"#
        let bad = #"{"id":"new-2","title":"Atelier","kind":"webinaire","slots":[{"start":"2020-11-10"}]}"#
        let file = try directory.write("bad.jsonl", good + "\n" + good.replacingOccurrences(of: "new-1", with: "new-3") + "\n" + bad + "\n")
        let result = try relais(["import", file])
        #expect(result.status == 1)
        #expect(result.standardError.contains("bad.jsonl: line 3: field 'kind': unknown kind 'webinaire'"), "\(result)")
        #expect(result.standardError.split(separator: "\n").count == 1)
        let after = try Data(contentsOf: URL(fileURLWithPath: catalogue))
        #expect(before == after)
        let query = try relais(["query", "--text", "atelier", "--lab", "none"])
        #expect(query.standardOutput.isEmpty)
        // An iCalendar file streams too, and is just as all-or-nothing.
        let calendar = try directory.write(
            "bad.ics",
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:new-5\r\nSUMMARY:Atelier\r\n"
                + "DTSTART;VALUE=DATE:20201110\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:new-6\r\nSUMMARY:Atelier\r\n"
                + "DTSTART:zzz\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        let icsResult = try relais(["import", calendar])
        #expect(icsResult.status == 1)
        #expect(icsResult.standardError.contains("bad.ics: VEVENT UID 'new-6' (line 9): field 'DTSTART'"), "\(icsResult)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: catalogue)) == before)
        // Among several files, the message names those imported and those not read.
        let other = try directory.write("other.jsonl", good.replacingOccurrences(of: "new-1", with: "new-4") + "\n")
        let several = try relais(["import", other, file, other])
        #expect(several.status == 1)
        #expect(several.standardError.contains("(nothing of \(file) was stored; already imported: \(other); not read: \(other))"), "\(several)")
    }

    @Test func aDuplicateIdIsNamedByItsLineFromAFileOrAPipe() throws {
        // Files are read on a thread of their own while the store writes; the store finds
        // the duplicate, and the message still names the line, as for standard input.
        let record = { (id: String) in #"{"id":"\#(id)","title":"Atelier","kind":"workshop","slots":[{"start":"2020-11-10"}]}"# }
        var lines = (1...600).map { record("dup-\($0)") }
        lines.insert("", at: 3)  // a blank line: lines and records differ from here
        lines.append(record("dup-42"))  // line 602
        lines += (601...700).map { record("dup-\($0)") }
        let file = try directory.write("dup.jsonl", lines.joined(separator: "\n") + "\n")
        for catalogueFull in [false, true] {
            if catalogueFull { _ = try relais(["import", ProjectFiles.sampleJSONLines]) }
            let before = FileManager.default.contents(atPath: catalogue)
            let fromFile = try relais(["import", file])
            #expect(fromFile.status == 1)
            #expect(fromFile.standardError.contains("dup.jsonl: line 602: field 'id': duplicate id 'dup-42' (already in this file)"), "\(fromFile)")
            let piped = try relais(["import", "--format", "jsonl", "-"], input: lines.joined(separator: "\n") + "\n")
            #expect(piped.status == 1)
            #expect(piped.standardError.contains("line 602: field 'id': duplicate id 'dup-42'"), "\(piped)")
            if catalogueFull {
                #expect(FileManager.default.contents(atPath: catalogue) == before)
            } else {
                #expect(try relais(["query"]).standardOutput.isEmpty)
            }
        }
    }

    @Test func usageErrorsExitTwo() throws {
        for arguments in [
            ["query", "--kind", "webinaire"], ["query", "--region", "atlantide"], ["query", "--from", "2020-13-01"],
            ["frobnicate"], ["import"], ["export"], ["query", "--week", "2020-W60"], ["export", "--format", "pdf"],
            ["query", "--limit", "0"],
        ] {
            let result = try relais(arguments)
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(!result.standardError.isEmpty)
            #expect(!result.wasSignalled)
        }
        // Each names what is wrong with the value given, a negative number included.
        for (arguments, message) in [
            (["query", "--limit", "-1"], "--limit must be a positive number"),
            (["query", "--cpu-limit", "-5"], "--cpu-limit must be a positive number"),
            (["query", "--memory-limit", "99999999999G"], "must be a size from 1M to 1024G"),
            (["query", "--text", ""], "has no word to search for"),
            (["outbox", "list", "--limit", "-3"], "--limit must be at least 1"),
        ] {
            let result = try relais(arguments)
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
        }
        let emptyCatalogue = try RelaisProcess.run(["query", "--catalogue", ""], in: directory.path)
        #expect(emptyCatalogue.status == 2, "\(emptyCatalogue)")
        #expect(emptyCatalogue.standardError.contains("--catalogue: the path is empty"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("relais.sqlite")))
        let noPlugins = try relais(["query", "--plugins", directory.path("nowhere")])
        #expect(noPlugins.status == 1, "\(noPlugins)")
        #expect(noPlugins.standardError.contains("nowhere: no such folder"))
    }

    @Test func failuresTheUserCanFixExitOne() throws {
        let missing = try relais(["import", "nowhere.jsonl"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("nowhere.jsonl"))
        let notSQLite = try directory.write("not.sqlite", "this is not a catalogue\n")
        let corrupt = try RelaisProcess.run(["query", "--catalogue", notSQLite], in: directory.path)
        #expect(corrupt.status == 1, "\(corrupt)")
        #expect(corrupt.standardError.contains("not.sqlite"))
        let noDirectory = try relais(["export", "--format", "jsonl", "-o", "missing/dir/out.jsonl"])
        #expect(noDirectory.status == 1)
        #expect(!FileManager.default.fileExists(atPath: directory.path("missing/dir/out.jsonl")))
    }

    @Test func anExportNeverReplacesTheCatalogue() throws {
        _ = try relais(["import", ProjectFiles.sampleJSONLines])
        let before = try Data(contentsOf: URL(fileURLWithPath: catalogue))
        for arguments in [
            ["export", "--format", "jsonl", "-o", catalogue], ["export", "--format", "ics", "-o", "./catalogue.sqlite"],
            ["query", "--format", "jsonl", "-o", "catalogue.sqlite"],
        ] {
            let result = try relais(arguments)
            #expect(result.status == 1, "\(arguments): \(result)")
            #expect(result.standardError.contains("it is the catalogue"), "\(result)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: catalogue)) == before)
        let query = try relais(["query", "--format", "jsonl"])
        #expect(query.status == 0)
        #expect(try jsonLines(query.standardOutput).count == (try sampleCount()))
    }

    @Test func catalogueComesFromTheEnvironmentOrTheDefault() throws {
        let fromEnvironment = directory.path("env.sqlite")
        let result = try RelaisProcess.run(
            ["import", ProjectFiles.sampleJSONLines], in: directory.path, environment: ["RELAIS_CATALOGUE": fromEnvironment])
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: fromEnvironment))
        let byDefault = try RelaisProcess.run(["import", ProjectFiles.sampleJSONLines], in: directory.path)
        #expect(byDefault.status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.path("relais.sqlite")))
    }

    @Test func standardInputNeedsAFormat() throws {
        let line = #"{"id":"stdin-1","title":"Depuis l'entrée standard","kind":"other","slots":[{"start":"2020-11-02"}]}"#
        let withoutFormat = try relais(["import", "-"], input: line)
        #expect(withoutFormat.status == 2)
        let withFormat = try relais(["import", "--format", "jsonl", "-"], input: line + "\n")
        #expect(withFormat.status == 0, "\(withFormat)")
        #expect(withFormat.standardOutput.contains("1 added"))
    }

    @Test func closedPipeEndsQuietly() throws {
        // Far more output than a pipe buffers, so `head` closes the pipe mid-stream.
        let description = String(repeating: "Un atelier pour les agents publics. ", count: 30)
        let lines = (0..<4000).map {
            #"{"id":"p-\#($0)","title":"Atelier \#($0)","kind":"workshop","slots":[{"start":"2020-11-10"}],"description":"\#(description)"}"#
        }
        let imported = try relais(["import", try directory.write("big.jsonl", lines.joined(separator: "\n"))])
        #expect(imported.status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "'\(RelaisProcess.executable.path)' query --catalogue '\(catalogue)' | head -n 1 >/dev/null; exit ${PIPESTATUS[0]}"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.isEmpty, "\(stderr)")
        #expect(process.terminationStatus == 0)
    }

    @Test func twoProcessesImportingAtOnceBothSucceed() throws {
        let a = try directory.write("a.jsonl", (0..<1000).map { #"{"id":"a-\#($0)","title":"Atelier \#($0)","kind":"workshop","slots":[{"start":"2020-11-10T09:30"}]}"# }.joined(separator: "\n"))
        let b = try directory.write("b.jsonl", (0..<1000).map { #"{"id":"b-\#($0)","title":"Webinaire \#($0)","kind":"webinar","slots":[{"start":"2020-11-12T14:00"}]}"# }.joined(separator: "\n"))
        final class Results: @unchecked Sendable {
            private let lock = NSLock()
            private var stored: [Int: ProcessResult] = [:]
            func set(_ index: Int, _ result: ProcessResult?) {
                lock.lock()
                stored[index] = result
                lock.unlock()
            }
            var items: [ProcessResult?] { lock.lock(); defer { lock.unlock() }; return [stored[0], stored[1]] }
        }
        let results = Results()
        let group = DispatchGroup()
        for (index, file) in [a, b].enumerated() {
            group.enter()
            DispatchQueue.global().async {
                results.set(index, try? RelaisProcess.run(["--catalogue", catalogue, "import", file], in: directory.path))
                group.leave()
            }
        }
        group.wait()
        for result in results.items {
            #expect(result?.status == 0, "\(String(describing: result))")
            #expect(result?.standardOutput.contains("1000 added") == true)
        }
        let all = try relais(["query"]).standardOutput.split(separator: "\n")
        #expect(all.count == 2000)
    }
}
