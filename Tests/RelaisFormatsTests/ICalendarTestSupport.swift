import Foundation
import RelaisCore
import RelaisFormats
import Testing

/// Collects what an iCalendar writer writes, and how many times it was called.
final class ICalendarCollectingOutput: TextOutput {
    private(set) var text = ""
    private(set) var writes = 0

    func write(_ text: String) throws {
        self.text += text
        writes += 1
    }
}

/// Small helpers shared by the iCalendar tests.
enum ICalendarFixtures {
    /// A fixed export time: 2020-10-01 12:00:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_601_553_600)

    /// `body` inside a VCALENDAR, with LF line ends.
    static func calendar(_ body: String) -> String {
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//Test//FR\n" + body + "END:VCALENDAR\n"
    }

    /// A VEVENT with a UID, a SUMMARY unless one is given, and the given lines.
    static func vevent(_ uid: String?, _ lines: String...) -> String {
        var text = "BEGIN:VEVENT\n"
        if let uid { text += "UID:\(uid)\n" }
        if !lines.contains(where: { $0.hasPrefix("SUMMARY") }) { text += "SUMMARY:Événement \(uid ?? "")\n" }
        for line in lines { text += line + "\n" }
        return text + "END:VEVENT\n"
    }

    /// Reads `text` as an .ics file named `file`.
    static func read(_ text: String, file: String = "programme.ics") throws -> [Event] {
        try read(bytes: Array(text.utf8), file: file)
    }

    static func read(bytes: [UInt8], file: String = "programme.ics") throws -> [Event] {
        let url = try temporaryFile(Data(bytes), extension: "ics")
        defer { try? FileManager.default.removeItem(at: url) }
        var events: [Event] = []
        try ICalendarReader().read(ImportInput(url: url, displayName: file)) { events.append($0) }
        return events
    }

    /// Reads `text`, expecting exactly one event.
    static func readOne(_ text: String) throws -> Event {
        let events = try read(text)
        try #require(events.count == 1, "expected one event, got \(events.count)")
        return try #require(events.first)
    }

    /// The error reading `text` gives, or nil (and a recorded issue) when it reads.
    static func importError(_ text: String, file: String = "programme.ics", sourceLocation: SourceLocation = #_sourceLocation)
        -> ImportError?
    {
        do {
            let events = try read(text, file: file)
            Issue.record("expected an import error, read \(events.count) events", sourceLocation: sourceLocation)
        } catch let error as ImportError {
            return error
        } catch {
            Issue.record("expected an ImportError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// The iCalendar export of `events`.
    static func export(_ events: [Event], now: Date = now) throws -> String {
        let output = ICalendarCollectingOutput()
        var options = ExportOptions()
        options.now = now
        let writer = ICalendarWriter(output: output, options: options)
        try writer.begin()
        for event in events { try writer.write(event) }
        try writer.finish()
        return output.text
    }

    static func temporaryFile(_ data: Data, extension fileExtension: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("relais-ics-\(UUID().uuidString).\(fileExtension)")
        try data.write(to: url)
        return url
    }

    /// Parses an interchange time, failing the test when it is not one.
    static func time(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> EventTime {
        try #require(EventTime(parsing: text), "not a time: \(text)", sourceLocation: sourceLocation)
    }

    static func day(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> EventTime {
        try time(text, sourceLocation: sourceLocation)
    }

    /// The unfolded content lines of an export from its first VEVENT on (no VTIMEZONE).
    static func eventLines(_ text: String) -> [String] {
        let lines = contentLines(text)
        return Array(lines.drop { $0 != "BEGIN:VEVENT" })
    }

    /// The unfolded content lines of an export (CRLF, continuation lines joined).
    static func contentLines(_ text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }
}
