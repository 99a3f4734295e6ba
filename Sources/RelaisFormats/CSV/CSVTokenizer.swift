/// A CSV syntax problem: the physical line, the 0-based cell index in its record when
/// known, and what is wrong.
struct CSVSyntaxError: Error, Hashable, Sendable {
    var line: Int
    var cell: Int?
    var message: String
}

/// Splits RFC 4180 CSV into records as chunks arrive: quoted cells with `""` for a quote,
/// delimiters and line breaks inside quotes, LF or CRLF line ends. Resumable at any byte,
/// so a quoted cell may span chunks without being scanned twice.
///
/// Lenient where spreadsheets are sloppy and nothing is ambiguous: a `"` inside an
/// unquoted cell is kept as a character. Strict where data could be misread: text after a
/// closing quote (`"a"b`) and a quote left open at the end of the file are errors, and
/// every cell must be valid UTF-8.
struct CSVTokenizer {
    private enum State {
        case cellStart, unquoted, quoted, quoteInQuoted, afterClosingQuote
    }

    let delimiter: UInt8
    /// A cell longer than this is refused rather than buffered without bound.
    let maximumCellBytes: Int
    private var state = State.cellStart
    private var cells: [String] = []
    private var cell: [UInt8] = []
    /// The physical line of the byte being read, 1-based.
    private(set) var line = 1
    /// The line the current record started on.
    private var recordLine = 1
    /// The line the open quoted cell started on.
    private var quoteLine = 1

    init(delimiter: UInt8, maximumCellBytes: Int = ChunkedFileReader.maximumRecordBytes) {
        self.delimiter = delimiter
        self.maximumCellBytes = maximumCellBytes
    }

    /// Reads `bytes`, calling `record` with each complete record's cells and start line.
    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, record: ([String], Int) throws -> Void) throws {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch state {
            case .cellStart:
                if byte == UInt8(ascii: "\"") {
                    state = .quoted
                    quoteLine = line
                    index += 1
                } else {
                    state = .unquoted
                }
            case .unquoted:
                // Copy the run up to the next delimiter or line end in one go.
                let runStart = index
                while index < count, bytes[index] != delimiter, bytes[index] != 0x0A { index += 1 }
                cell.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                guard index < count else {
                    if cell.count > maximumCellBytes {
                        throw CSVSyntaxError(line: line, cell: cells.count, message: "line longer than \(maximumCellBytes / 1024 / 1024) MiB")
                    }
                    break
                }
                if bytes[index] == delimiter {
                    try endCell()
                } else {
                    if cell.last == 0x0D { cell.removeLast() }
                    try endCell()
                    try endRecord(record)
                    line += 1
                    recordLine = line
                }
                index += 1
            case .quoted:
                let runStart = index
                while index < count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == 0x0A { line += 1 }
                    index += 1
                }
                cell.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                if cell.count > maximumCellBytes {
                    // Almost always a quote that is never closed: stop before buffering
                    // the rest of the file.
                    throw CSVSyntaxError(
                        line: quoteLine, cell: cells.count,
                        message: "quoted cell longer than \(maximumCellBytes / 1024 / 1024) MiB: is the quote opened on line \(quoteLine) ever closed?")
                }
                if index < count {
                    state = .quoteInQuoted
                    index += 1
                }
            case .quoteInQuoted:
                if byte == UInt8(ascii: "\"") {
                    cell.append(byte)
                    state = .quoted
                    index += 1
                } else {
                    state = .afterClosingQuote
                }
            case .afterClosingQuote:
                if byte == delimiter {
                    try endCell()
                } else if byte == 0x0A {
                    try endCell()
                    try endRecord(record)
                    line += 1
                    recordLine = line
                } else if byte != 0x0D {
                    throw CSVSyntaxError(
                        line: line, cell: cells.count,
                        message: "unexpected \(describeJSONByte(byte)) after the closing quote of a quoted cell (write \"\" for a quote inside quotes)")
                }
                index += 1
            }
        }
    }

    /// Ends the input: the last record may lack its line end; an open quote is an error.
    mutating func finish(record: ([String], Int) throws -> Void) throws {
        switch state {
        case .quoted:
            throw CSVSyntaxError(
                line: quoteLine, cell: cells.count, message: "unterminated quoted cell: the quote opened on line \(quoteLine) is never closed")
        case .cellStart where cells.isEmpty && cell.isEmpty:
            return  // the file ended with a line end
        case .unquoted, .cellStart, .quoteInQuoted, .afterClosingQuote:
            if state == .unquoted, cell.last == 0x0D { cell.removeLast() }
            try endCell()
            try endRecord(record)
        }
    }

    private mutating func endCell() throws {
        let text: String? = cell.withUnsafeBufferPointer { bytes in
            if UTF8Validation.firstInvalidByte(in: bytes) != nil { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
        guard let text else {
            throw CSVSyntaxError(
                line: line, cell: cells.count,
                message: "invalid UTF-8 (save the file as \"CSV UTF-8\"; other encodings such as Windows-1252 are not read)")
        }
        cells.append(text)
        cell.removeAll(keepingCapacity: true)
        state = .cellStart
    }

    private mutating func endRecord(_ record: ([String], Int) throws -> Void) throws {
        let finished = cells
        cells.removeAll(keepingCapacity: true)
        try record(finished, recordLine)
    }
}
