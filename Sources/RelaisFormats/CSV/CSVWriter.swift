import RelaisCore

/// Writes CSV per contract §1: one row a slot, with the header
/// `id,title,kind,status,start,end,region,online,lab,organizer,place,url,contact,audience,tags,description`.
///
/// - Delimiter `options.csvDelimiter`, `,` or `;` (anything else is refused by
///   ``begin()``); a UTF-8 byte-order mark first when `options.byteOrderMark` is set, as
///   French spreadsheets need to see UTF-8.
/// - CRLF line ends and RFC 4180 quoting: a cell is quoted when it holds the delimiter, a
///   quote, CR or LF; quotes are doubled.
/// - `region` as its INSEE code, `online` as true/false, times as ``EventTime``'s
///   interchange text, `tags` and `audience` joined with `;` (so a tag cannot itself
///   contain `;` and survive a round trip).
///
/// ``CSVReader`` reads the output back to equal events. Streams event by event.
public final class CSVWriter: SelfContainedEventWriter {
    /// The columns, in order.
    public static let columns = [
        "id", "title", "kind", "status", "start", "end", "region", "online", "lab", "organizer", "place", "url",
        "contact", "audience", "tags", "description",
    ]

    private let output: any TextOutput
    private let options: ExportOptions
    private let delimiter: Character
    private var began = false

    public init(output: any TextOutput, options: ExportOptions) {
        self.output = output
        self.options = options
        delimiter = options.csvDelimiter
    }

    /// Writes the byte-order mark (if asked) and the header.
    /// Throws ``UnsupportedExportOption`` for a delimiter other than `,` or `;`.
    public func begin() throws {
        guard !began else { return }
        guard delimiter == "," || delimiter == ";" else {
            throw UnsupportedExportOption(
                message: "the CSV delimiter must be ',' or ';', not '\(delimiter)' (readers detect only those two)")
        }
        began = true
        var header = options.byteOrderMark ? "\u{FEFF}" : ""
        header += Self.columns.joined(separator: String(delimiter))
        header += "\r\n"
        try output.write(header)
    }

    public func write(_ event: Event) throws {
        try begin()
        // Everything but the slot is the same on each of the event's rows.
        var before = ""
        append(event.id, to: &before, last: false)
        append(event.title, to: &before, last: false)
        append(event.kind.rawValue, to: &before, last: false)
        append(event.status.rawValue, to: &before, last: true)
        var after = ""
        after.append(delimiter)
        append(event.region?.code ?? "", to: &after, last: false)
        append(event.online ? "true" : "false", to: &after, last: false)
        append(event.lab ?? "", to: &after, last: false)
        append(event.organizer ?? "", to: &after, last: false)
        append(event.place ?? "", to: &after, last: false)
        append(event.url ?? "", to: &after, last: false)
        append(event.contact ?? "", to: &after, last: false)
        append(event.audience.joined(separator: ";"), to: &after, last: false)
        append(event.tags.joined(separator: ";"), to: &after, last: false)
        append(event.description ?? "", to: &after, last: true)
        after += "\r\n"
        var rows = ""
        for slot in event.slots {
            rows += before
            rows.append(delimiter)
            append(slot.start.description, to: &rows, last: false)
            append(slot.end?.description ?? "", to: &rows, last: true)
            rows += after
        }
        try output.write(rows)
    }

    /// Writes the header if no event was written, so an empty export is still a CSV file
    /// with its columns.
    public func finish() throws {
        try begin()
    }

    private func append(_ cell: String, to row: inout String, last: Bool) {
        let delimiterByte = delimiter == ";" ? UInt8(ascii: ";") : UInt8(ascii: ",")
        var needsQuotes = false
        for byte in cell.utf8
        where byte == delimiterByte || byte == UInt8(ascii: "\"") || byte == 0x0A || byte == 0x0D {
            needsQuotes = true
            break
        }
        if needsQuotes {
            // Doubling quotes by hand: `replacing(_:with:)` costs more than the rest of
            // the row.
            row += "\""
            var runStart = cell.startIndex
            for index in cell.utf8.indices where cell.utf8[index] == UInt8(ascii: "\"") {
                row += cell[runStart...index]
                row += "\""
                runStart = cell.utf8.index(after: index)
            }
            row += cell[runStart...]
            row += "\""
        } else {
            row += cell
        }
        if !last { row.append(delimiter) }
    }
}

/// An export option the chosen format cannot honour.
public struct UnsupportedExportOption: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}
