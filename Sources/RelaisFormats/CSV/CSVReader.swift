import RelaisCore

/// Reads CSV per contract §1: a header row naming the interchange fields, with `start`
/// and `end` columns instead of `slots`; one slot a row.
///
/// - The delimiter is `,` or `;`, whichever the header uses (French spreadsheets write
///   `;`). RFC 4180 quoting, LF or CRLF, optional UTF-8 byte-order mark.
/// - Rows sharing an `id` are the slots of one event, in row order, adjacent or not; they
///   must agree on every other column (compared after decoding, so `75` and
///   `Nouvelle-Aquitaine` agree), else the error names the row and the column.
/// - An empty cell is an absent field. `online` accepts true/false, 1/0, yes/no, oui/non
///   and vrai/faux (what French spreadsheets write for booleans), in any case.
///   `tags` and `audience` are split on `;`, trimmed, empties dropped. `region` is a code or
///   a name.
/// - Unknown columns are errors naming them; columns starting with `x-` or `_` are
///   ignored, as are unnamed columns left empty. `id`, `title`, `kind` and `start` are
///   required.
///
/// Each row becomes the same JSON-shaped record a JSON reader would build, decoded by
/// ``EventRecordDecoding``, so the rules are identical. Because an event's rows may be
/// anywhere in the file, events are collected (decoded, one ``Event`` each) and handed to
/// `body` in order of their first row once the whole file is read. Errors are located at
/// the row at fault: the event's first row, or the later row that disagrees or holds a
/// bad slot.
public struct CSVReader: ReadAheadEventReader {
    /// A header is a few hundred bytes; past this, the file is not CSV.
    static let maximumHeaderBytes = 1024 * 1024

    public init() {}

    public func read(_ input: ImportInput, _ body: (Event) throws -> Void) throws {
        let file = try ChunkedFileReader(input)
        let name = input.displayName
        var pending: [UInt8] = []
        var more = true
        // The delimiter comes from the header, so read until the header line is complete.
        var delimiter: UInt8?
        while delimiter == nil {
            more = try file.readChunk(into: &pending)
            delimiter = pending.withUnsafeBufferPointer { Self.detectDelimiter(in: $0, atEnd: !more) }
            // Detection rescans what it has, so give up early on a file with no line end.
            if delimiter == nil && pending.count > Self.maximumHeaderBytes {
                throw ImportError(
                    file: name, location: .line(1),
                    message: "no header line in the first \(Self.maximumHeaderBytes / 1024 / 1024) MiB: is this a CSV file?")
            }
        }
        var tokenizer = CSVTokenizer(delimiter: delimiter ?? UInt8(ascii: ","))
        var assembler: CSVEventAssembler?
        let handleRecord = { (cells: [String], line: Int) throws in
            if cells.allSatisfy(\.isEmpty) { return }  // blank lines, rows of bare delimiters
            if let assembler {
                try assembler.add(cells, line: line)
            } else {
                assembler = try CSVEventAssembler(header: cells, line: line, file: name)
            }
        }
        do {
            while true {
                try pending.withUnsafeBufferPointer { try tokenizer.feed($0, record: handleRecord) }
                pending.removeAll(keepingCapacity: true)
                if !more { break }
                more = try file.readChunk(into: &pending)
            }
            try tokenizer.finish(record: handleRecord)
        } catch let error as CSVSyntaxError {
            var field: String?
            if let cell = error.cell { field = assembler?.columnName(at: cell) }
            throw ImportError(file: name, location: .line(error.line), field: field, message: error.message)
        }
        guard let assembler else {
            throw ImportError(file: name, location: nil, message: "the file is empty: expected a header row")
        }
        try assembler.deliver(to: body)
    }

    /// `;` when the header (the first line that is not blank) has more semicolons than
    /// commas outside quotes, else `,`. Nil while that line is incomplete and more input
    /// may come.
    static func detectDelimiter(in bytes: UnsafeBufferPointer<UInt8>, atEnd: Bool) -> UInt8? {
        var commas = 0
        var semicolons = 0
        var quoted = false
        var blank = true
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): quoted.toggle()
            case UInt8(ascii: ",") where !quoted: commas += 1
            case UInt8(ascii: ";") where !quoted: semicolons += 1
            case 0x0A where !quoted:
                if !blank { return semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",") }
                continue  // a leading blank line: the tokenizer skips it too
            case 0x0D, 0x20, 0x09, 0x0A: continue
            default: break
            }
            blank = false
        }
        return atEnd ? (semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")) : nil
    }
}

/// Turns CSV rows into events: maps the header, builds one interchange record a row,
/// decodes it, and merges rows that share an id.
final class CSVEventAssembler {
    private enum Column {
        case field(String)
        case start, end
        /// `x-…` and `_…` extension columns.
        case ignored
        /// A column whose header cell is empty: allowed while its cells are empty too.
        case unnamed
    }

    /// The fields a CSV column may name, besides `start` and `end`.
    static let fieldColumns = EventRecordDecoding.fieldNames.filter { $0 != "slots" }
    static let requiredColumns = ["id", "title", "kind", "start"]
    /// The header as written, for error messages.
    private let names: [String]
    private let columns: [Column]
    private let file: String
    private var events: [Event] = []
    private var firstLines: [Int] = []
    private var indexByID: [String: Int] = [:]

    init(header: [String], line: Int, file: String) throws {
        self.file = file
        names = header.map { String(Self.trimmed($0[...])) }
        let known = Set(Self.fieldColumns)
        var columns: [Column] = []
        var seen: Set<String> = []
        for name in names {
            let key = name.lowercased()
            if key.isEmpty {
                columns.append(.unnamed)
                continue
            }
            if !seen.insert(key).inserted {
                throw ImportError(file: file, location: .line(line), field: name, message: "column appears twice in the header")
            }
            if key == "start" {
                columns.append(.start)
            } else if key == "end" {
                columns.append(.end)
            } else if known.contains(key) {
                columns.append(.field(key))
            } else if key.hasPrefix("x-") || key.hasPrefix("_") {
                columns.append(.ignored)
            } else if key == "slots" {
                throw ImportError(
                    file: file, location: .line(line), field: name,
                    message: "unknown column: in CSV each row is one slot, given by the columns start and end")
            } else {
                throw ImportError(
                    file: file, location: .line(line), field: name,
                    message: "unknown column (expected \((Self.fieldColumns + ["start", "end"]).joined(separator: ", ")); "
                        + "extension columns start with x- or _)")
            }
        }
        let missing = Self.requiredColumns.filter { !seen.contains($0) }
        if !missing.isEmpty {
            throw ImportError(
                file: file, location: .line(line),
                message: "missing required column\(missing.count > 1 ? "s" : ""): \(missing.joined(separator: ", "))")
        }
        self.columns = columns
    }

    /// The header name of the 0-based column `index`, if there is one.
    func columnName(at index: Int) -> String? {
        index < names.count && !names[index].isEmpty ? names[index] : nil
    }

    /// Decodes one row and adds it as a new event or as a slot of the event with its id.
    func add(_ cells: [String], line: Int) throws {
        guard cells.count == columns.count else {
            throw ImportError(
                file: file, location: .line(line),
                message: "the row has \(cells.count) cells but the header has \(columns.count) columns")
        }
        var record = [String: InterchangeValue](minimumCapacity: columns.count)
        var slot = [String: InterchangeValue](minimumCapacity: 2)
        for (index, column) in columns.enumerated() {
            let cell = cells[index]
            if cell.isEmpty { continue }
            switch column {
            case .start: slot["start"] = .string(cell)
            case .end: slot["end"] = .string(cell)
            case .ignored: break
            case .unnamed:
                throw ImportError(
                    file: file, location: .line(line), field: "column \(index + 1)",
                    message: "has a value but the header gives the column no name")
            case .field("online"):
                guard let value = Self.boolean(cell) else {
                    throw ImportError(
                        file: file, location: .line(line), field: "online",
                        message: "'\(cell.prefix(40))' is not a boolean (expected true/false, 1/0, yes/no or oui/non)")
                }
                record["online"] = .bool(value)
            case .field(let name) where name == "tags" || name == "audience":
                record[name] = .array(Self.list(cell))
            case .field(let name):
                record[name] = .string(cell)
            }
        }
        guard slot["start"] != nil else {
            throw ImportError(file: file, location: .line(line), field: "start", message: "is required")
        }
        record["slots"] = .array([.object(slot)])
        let event: Event
        do throws(EventFieldProblem) {
            event = try EventRecordDecoding.event(from: record)
        } catch {
            throw ImportError(file: file, location: .line(line), field: Self.csvField(error.field), message: error.message)
        }
        guard let existing = indexByID[event.id] else {
            indexByID[event.id] = events.count
            events.append(event)
            firstLines.append(line)
            return
        }
        if let (field, before, now) = Self.firstDifference(events[existing], event) {
            throw ImportError(
                file: file, location: .line(line), field: field,
                message: "differs from line \(firstLines[existing]), which has the same id "
                    + "('\(now.prefix(60))' here, '\(before.prefix(60))' there): rows of one event must agree on everything but start and end")
        }
        events[existing].slots.append(contentsOf: event.slots)
    }

    /// Hands the events to `body` in order of their first row.
    func deliver(to body: (Event) throws -> Void) throws {
        for (event, line) in zip(events, firstLines) {
            try RecordDelivery.deliver(event, file: file, location: .line(line), to: body)
        }
    }

    /// The record had exactly one slot, built from this row's `start` and `end`: name
    /// those columns rather than `slots[0]`.
    private static func csvField(_ field: String) -> String {
        switch field {
        case "slots[0].start": "start"
        case "slots[0].end", "slots[0]": "end"
        default: field
        }
    }

    static func boolean(_ text: String) -> Bool? {
        switch trimmed(text[...]).lowercased() {
        case "true", "1", "yes", "oui", "vrai": true
        case "false", "0", "no", "non", "faux": false
        default: nil
        }
    }

    static func list(_ text: String) -> [InterchangeValue] {
        text.split(separator: ";").compactMap { item in
            let item = trimmed(item)
            return item.isEmpty ? nil : .string(String(item))
        }
    }

    /// `text` without surrounding white space. (Foundation's `trimmingCharacters` costs
    /// microseconds a call on Linux, and tags are trimmed on every row.)
    static func trimmed(_ text: Substring) -> Substring {
        var result = text
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return result
    }

    /// The first field, other than slots, on which two events differ, with both values.
    private static func firstDifference(_ first: Event, _ second: Event) -> (String, String, String)? {
        let fields: [(String, (Event) -> String)] = [
            ("title", { $0.title }), ("kind", { $0.kind.rawValue }), ("status", { $0.status.rawValue }),
            ("region", { $0.region?.code ?? "" }), ("online", { $0.online ? "true" : "false" }),
            ("lab", { $0.lab ?? "" }), ("organizer", { $0.organizer ?? "" }), ("place", { $0.place ?? "" }),
            ("url", { $0.url ?? "" }), ("contact", { $0.contact ?? "" }),
            ("audience", { $0.audience.joined(separator: ";") }), ("tags", { $0.tags.joined(separator: ";") }),
            ("description", { $0.description ?? "" }),
        ]
        for (name, value) in fields {
            let before = value(first)
            let now = value(second)
            if before != now { return (name, before, now) }
        }
        return nil
    }
}
