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
    private let delimiterByte: UInt8
    private var began = false
    // Built as UTF-8 bytes in buffers kept from one event to the next: a million events
    // pass through here, and `String` appends cost more than the quoting.
    /// The rows of the event being written.
    private var rows: [UInt8] = []
    /// Its cells before the slot's (`id,title,kind,status,`).
    private var leading: [UInt8] = []
    /// Its cells after the slot's, with the line end.
    private var trailing: [UInt8] = []
    /// A list's items joined, before the cell is quoted.
    private var joined: [UInt8] = []

    public init(output: any TextOutput, options: ExportOptions) {
        self.output = output
        self.options = options
        delimiter = options.csvDelimiter
        delimiterByte = options.csvDelimiter == ";" ? UInt8(ascii: ";") : UInt8(ascii: ",")
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
        // The buffers are worked on as locals: inout access to a class's stored property is
        // checked for exclusivity at run time, on every call.
        var leading: [UInt8] = []
        var trailing: [UInt8] = []
        var joined: [UInt8] = []
        var rows: [UInt8] = []
        swap(&leading, &self.leading)
        swap(&trailing, &self.trailing)
        swap(&joined, &self.joined)
        swap(&rows, &self.rows)
        defer {
            swap(&leading, &self.leading)
            swap(&trailing, &self.trailing)
            swap(&joined, &self.joined)
            swap(&rows, &self.rows)
        }
        // Everything but the slot is the same on each of the event's rows.
        leading.removeAll(keepingCapacity: true)
        for cell in [event.id, event.title, event.kind.rawValue, event.status.rawValue] {
            appendCell(cell, to: &leading)
            leading.append(delimiterByte)
        }
        trailing.removeAll(keepingCapacity: true)
        for cell in [
            event.region?.code, event.online ? "true" : "false", event.lab, event.organizer, event.place, event.url,
            event.contact,
        ] {
            trailing.append(delimiterByte)
            appendCell(cell ?? "", to: &trailing)
        }
        for list in [event.audience, event.tags] {
            trailing.append(delimiterByte)
            joined.removeAll(keepingCapacity: true)
            for (index, item) in list.enumerated() {
                if index > 0 { joined.append(UInt8(ascii: ";")) }
                joined.appendUTF8(of: item)
            }
            joined.withUnsafeBufferPointer { Self.appendCell($0, delimiter: delimiterByte, to: &trailing) }
        }
        trailing.append(delimiterByte)
        appendCell(event.description ?? "", to: &trailing)
        trailing.append(UInt8(ascii: "\r"))
        trailing.append(UInt8(ascii: "\n"))
        rows.removeAll(keepingCapacity: true)
        for slot in event.slots {
            rows.append(contentsOf: leading)
            // Interchange times hold no delimiter, quote or line break: never quoted.
            slot.start.appendText(to: &rows)
            rows.append(delimiterByte)
            slot.end?.appendText(to: &rows)
            rows.append(contentsOf: trailing)
        }
        try output.write(utf8: rows)
    }

    /// Writes the header if no event was written, so an empty export is still a CSV file
    /// with its columns.
    public func finish() throws {
        try begin()
    }

    private func appendCell(_ cell: String, to row: inout [UInt8]) {
        var cell = cell
        cell.withUTF8 { Self.appendCell($0, delimiter: delimiterByte, to: &row) }
    }

    /// Appends one cell, quoted when it holds the delimiter, a quote, CR or LF, its quotes
    /// doubled.
    private static func appendCell(_ cell: UnsafeBufferPointer<UInt8>, delimiter delimiterByte: UInt8, to row: inout [UInt8]) {
        let quote = UInt8(ascii: "\"")
        let special = ByteScanning.firstIndex(
            in: cell, from: 0,
            wordMayMatch: {
                ByteScanning.hasByte(delimiterByte, in: $0) || ByteScanning.hasByte(quote, in: $0)
                    || ByteScanning.hasByte(0x0A, in: $0) || ByteScanning.hasByte(0x0D, in: $0)
            },
            matches: { $0 == delimiterByte || $0 == quote || $0 == 0x0A || $0 == 0x0D })
        guard special != nil else {
            row.append(contentsOf: cell)
            return
        }
        row.append(quote)
        var runStart = 0
        for index in 0..<cell.count where cell[index] == quote {
            row.append(contentsOf: UnsafeBufferPointer(rebasing: cell[runStart...index]))
            row.append(quote)
            runStart = index + 1
        }
        row.append(contentsOf: UnsafeBufferPointer(rebasing: cell[runStart...]))
        row.append(quote)
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
