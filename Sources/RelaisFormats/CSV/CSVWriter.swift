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
    /// The buffers rows are built in, kept from one event to the next: a million events
    /// pass through here, and `String` appends cost more than the quoting.
    private struct RowBuffers {
        /// The rows of the event being written.
        var rows: [UInt8] = []
        /// Its cells before the slot's (`id,title,kind,status,`).
        var leading: [UInt8] = []
        /// Its cells after the slot's, with the line end.
        var trailing: [UInt8] = []
        /// A list's items joined, before the cell is quoted.
        var joined: [UInt8] = []
    }
    private var buffers = RowBuffers()

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
        // Worked on as a local: inout access to a class's stored property is checked for
        // exclusivity at run time, on every call.
        var buffers = RowBuffers()
        swap(&buffers, &self.buffers)
        defer { swap(&buffers, &self.buffers) }
        appendRows(of: event, to: &buffers)
        try output.write(utf8: buffers.rows)
    }

    private func appendRows(of event: Event, to buffers: inout RowBuffers) {
        let delimiter = delimiterByte
        // Everything but the slot is the same on each of the event's rows.
        buffers.leading.removeAll(keepingCapacity: true)
        func lead(_ cell: String) {
            appendCell(cell, to: &buffers.leading)
            buffers.leading.append(delimiter)
        }
        lead(event.id)
        lead(event.title)
        lead(event.kind.rawValue)
        lead(event.status.rawValue)
        buffers.trailing.removeAll(keepingCapacity: true)
        func trail(_ cell: String?) {
            buffers.trailing.append(delimiter)
            appendCell(cell ?? "", to: &buffers.trailing)
        }
        func trail(list: [String]) {
            buffers.trailing.append(delimiter)
            buffers.joined.removeAll(keepingCapacity: true)
            for (index, item) in list.enumerated() {
                if index > 0 { buffers.joined.append(UInt8(ascii: ";")) }
                buffers.joined.appendUTF8(of: item)
            }
            buffers.joined.withUnsafeBufferPointer { Self.appendCell($0, delimiter: delimiter, to: &buffers.trailing) }
        }
        trail(event.region?.code)
        trail(event.online ? "true" : "false")
        trail(event.lab)
        trail(event.organizer)
        trail(event.place)
        trail(event.url)
        trail(event.contact)
        trail(list: event.audience)
        trail(list: event.tags)
        trail(event.description)
        buffers.trailing.append(UInt8(ascii: "\r"))
        buffers.trailing.append(UInt8(ascii: "\n"))
        buffers.rows.removeAll(keepingCapacity: true)
        for slot in event.slots {
            buffers.rows.append(contentsOf: buffers.leading)
            // Interchange times hold no delimiter, quote or line break: never quoted.
            slot.start.appendText(to: &buffers.rows)
            buffers.rows.append(delimiter)
            slot.end?.appendText(to: &buffers.rows)
            buffers.rows.append(contentsOf: buffers.trailing)
        }
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
