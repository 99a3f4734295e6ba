import Foundation
import RelaisCore
import RelaisFormats
import Testing

private typealias F = ICalendarFixtures

/// An independent check of the export: the `icalendar` PyPI package, a standard parser,
/// reads the file and says what each VEVENT holds.
///
/// Needs `python3` with `icalendar` (`pip install icalendar`). Without them the test fails
/// with a message saying so, unless `RELAIS_SKIP_PYTHON_ICALENDAR=1` is set.
@Suite("iCalendar export read by Python icalendar")
struct ICalendarPythonParserTests {
    static let skipped = ProcessInfo.processInfo.environment["RELAIS_SKIP_PYTHON_ICALENDAR"] == "1"

    /// What the script prints for one VEVENT.
    struct ParsedVEvent: Decodable, Equatable, CustomStringConvertible {
        var uid: String
        var summary: String?
        var dtstart: ParsedTime?
        var dtend: ParsedTime?
        var status: String?
        var categories: [String]
        var errors: [String]

        var description: String {
            "\(uid) \(summary ?? "-") \(dtstart?.description ?? "-")…\(dtend?.description ?? "-") \(status ?? "-") \(categories) \(errors)"
        }
    }

    /// A DATE (`date`), a zoned DATE-TIME (`epoch` seconds) or a DATE-TIME without zone.
    struct ParsedTime: Decodable, Equatable, CustomStringConvertible {
        var date: String?
        var epoch: Int?
        var floating: String?

        var description: String { date ?? epoch.map(String.init) ?? "floating \(floating ?? "?")" }
    }

    static let script = #"""
        import json, sys, datetime
        try:
            import icalendar
        except ImportError as error:
            print("the Python package icalendar is missing: " + str(error), file=sys.stderr)
            sys.exit(3)
        with open(sys.argv[1], "rb") as handle:
            calendar = icalendar.Calendar.from_ical(handle.read())
        def when(prop):
            if prop is None:
                return None
            value = prop.dt
            if isinstance(value, datetime.datetime):
                if value.tzinfo is None:
                    return {"floating": value.isoformat()}
                return {"epoch": int(value.timestamp())}
            return {"date": value.isoformat()}
        def categories(event):
            found = event.get("CATEGORIES")
            if found is None:
                return []
            if not isinstance(found, list):
                found = [found]
            return [str(item) for group in found for item in group.cats]
        def errors(component):
            return [str(error) for error in component.errors]
        result = []
        for event in calendar.walk("VEVENT"):
            status = event.get("STATUS")
            summary = event.get("SUMMARY")
            result.append({
                "uid": str(event.get("UID")),
                "summary": None if summary is None else str(summary),
                "dtstart": when(event.get("DTSTART")),
                "dtend": when(event.get("DTEND")),
                "status": None if status is None else str(status),
                "categories": categories(event),
                "errors": errors(event) + errors(calendar),
            })
        zones = [str(zone.get("TZID")) for zone in calendar.walk("VTIMEZONE")]
        if zones != ["Europe/Paris"]:
            print("expected one VTIMEZONE for Europe/Paris, found " + repr(zones), file=sys.stderr)
            sys.exit(4)
        print(json.dumps(result))
        """#

    @Test(.enabled(if: !skipped, "RELAIS_SKIP_PYTHON_ICALENDAR=1"))
    func standardParserReadsTheExport() throws {
        let events = try ICalendarSamples.varied()
        let url = try F.temporaryFile(Data(try F.export(events).utf8), extension: "ics")
        defer { try? FileManager.default.removeItem(at: url) }

        let run = try Self.runPython(arguments: ["-c", Self.script, url.path])
        guard run.status == 0 else {
            let hint =
                run.status == 127 || run.status == 3
                ? "python3 with the icalendar package is required for this test (pip install icalendar), or set RELAIS_SKIP_PYTHON_ICALENDAR=1 to skip it. "
                : ""
            Issue.record("\(hint)python3 exited with status \(run.status): \(run.standardError)")
            return
        }
        let parsed = try JSONDecoder().decode([ParsedVEvent].self, from: Data(run.standardOutput.utf8))
        let expected = Self.expectedVEvents(events)
        #expect(parsed.count == expected.count)
        for (found, wanted) in zip(parsed, expected) {
            #expect(found == wanted)
        }
    }

    /// What a correct parser must find: one VEVENT per slot.
    static func expectedVEvents(_ events: [Event]) -> [ParsedVEvent] {
        var result: [ParsedVEvent] = []
        for event in events {
            for (index, slot) in event.slots.enumerated() {
                let status: String
                switch event.status {
                case .scheduled: status = "CONFIRMED"
                case .postponed: status = "TENTATIVE"
                case .cancelled: status = "CANCELLED"
                }
                var start: ParsedTime
                var end: ParsedTime?
                switch slot.start {
                case .allDay(let day):
                    start = ParsedTime(date: day.description)
                    var last = day
                    if case .allDay(let inclusive)? = slot.end { last = inclusive }
                    end = ParsedTime(date: last.adding(days: 1).description)
                case .instant(let instant):
                    start = ParsedTime(epoch: Int(instant.timeIntervalSince1970))
                    if case .instant(let endInstant)? = slot.end {
                        end = ParsedTime(epoch: Int(endInstant.timeIntervalSince1970))
                    }
                }
                result.append(
                    ParsedVEvent(
                        uid: event.slots.count > 1 ? "\(event.id)#\(index + 1)" : event.id, summary: event.title,
                        dtstart: start, dtend: end, status: status, categories: event.tags, errors: []))
            }
        }
        return result
    }

    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs `python3` found on PATH; status 127 when there is none. Output goes through
    /// files so that neither stream can fill a pipe and block the child.
    static func runPython(arguments: [String]) throws -> Run {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relais-python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("out")
        let errURL = folder.appendingPathComponent("err")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Run(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }
}
