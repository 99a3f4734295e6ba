#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import RelaisCore

/// The formats Relais knows without plugins: how to export to them and how to read them.
public enum BuiltinFormats {
    /// The format names ``reader(forFormat:)`` understands, one spelling each, for usage
    /// messages.
    public static let readableFormats = ["json", "jsonl", "csv", "ics"]

    /// Registers the built-in exporters under `origin` `built-in`:
    ///
    /// | name | extension | MIME type | writer |
    /// | --- | --- | --- | --- |
    /// | `jsonl` | jsonl | application/x-ndjson | ``JSONLinesWriter`` |
    /// | `json` | json | application/json | ``JSONArrayWriter`` |
    /// | `csv` | csv | text/csv | ``CSVWriter`` with the options given (by default `,`, no BOM) |
    /// | `csv-fr` | csv | text/csv | ``CSVWriter`` with `;` and a byte-order mark, whatever the options say |
    /// | `ics` | ics | text/calendar | ``ICalendarWriter`` |
    ///
    /// `csv-fr` exists because a spreadsheet set to French reads `;`-separated files and
    /// needs the mark to see UTF-8 accents; `csv` stays the portable form, and honours
    /// ``ExportOptions/csvDelimiter`` and ``ExportOptions/byteOrderMark`` for callers that
    /// set them. Looking up the extension `csv` finds `csv`.
    ///
    /// - Throws: ``ExporterNameClash`` if one of these names is already taken.
    public static func registerExporters(in registry: ExporterRegistry) throws {
        try registry.register(
            ExporterDescriptor(
                name: "jsonl", fileExtension: "jsonl", mimeType: "application/x-ndjson", origin: "built-in",
                summary: "JSON Lines: one event object a line (the interchange format)"
            ) { output, options in JSONLinesWriter(output: output, options: options) })
        try registry.register(
            ExporterDescriptor(
                name: "json", fileExtension: "json", mimeType: "application/json", origin: "built-in",
                summary: "a JSON array of events (the interchange format)"
            ) { output, options in JSONArrayWriter(output: output, options: options) })
        try registry.register(
            ExporterDescriptor(
                name: "csv", fileExtension: "csv", mimeType: "text/csv", origin: "built-in",
                summary: "CSV, comma-separated, one row a slot"
            ) { output, options in CSVWriter(output: output, options: options) })
        try registry.register(
            ExporterDescriptor(
                name: "csv-fr", fileExtension: "csv", mimeType: "text/csv", origin: "built-in",
                summary: "CSV for French spreadsheets: ';'-separated, with a UTF-8 byte-order mark"
            ) { output, options in
                var french = options
                french.csvDelimiter = ";"
                french.byteOrderMark = true
                return CSVWriter(output: output, options: french)
            })
        try registry.register(
            ExporterDescriptor(
                name: "ics", fileExtension: "ics", mimeType: "text/calendar", origin: "built-in",
                summary: "iCalendar (RFC 5545), one VEVENT a slot, for calendar applications"
            ) { output, options in ICalendarWriter(output: output, options: options) })
    }

    /// The reader for a format name, in any case: `json`; `jsonl` or `ndjson`; `csv`;
    /// `ics`, `ical` or `icalendar`. Nil for anything else.
    public static func reader(forFormat name: String) -> (any EventReader)? {
        switch name.lowercased() {
        case "json": JSONArrayReader()
        case "jsonl", "ndjson": JSONLinesReader()
        case "csv": CSVReader()
        case "ics", "ical", "icalendar": ICalendarReader()
        default: nil
        }
    }

    /// The format name (for ``reader(forFormat:)``) a file's extension implies: `.json`,
    /// `.jsonl`, `.ndjson`, `.csv`, `.ics`, `.ical`, in any case. Nil for other extensions.
    ///
    /// A `.json` file whose first character (after a byte-order mark and white space) is
    /// `{` rather than `[` is JSON Lines misnamed, and gives `jsonl`; this reads at most
    /// the first 4 KiB. A `.json` file that cannot be opened gives `json`, and the reader
    /// then reports the problem.
    public static func readerFormat(forPath path: String) -> String? {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "json": return startsWithObject(path) ? "jsonl" : "json"
        case "jsonl", "ndjson": return "jsonl"
        case "csv": return "csv"
        case "ics", "ical": return "ics"
        default: return nil
        }
    }

    private static func startsWithObject(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { posixRead(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        var index = 0
        if count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { index = 3 }
        while index < count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index < count && bytes[index] == UInt8(ascii: "{")
    }
}
