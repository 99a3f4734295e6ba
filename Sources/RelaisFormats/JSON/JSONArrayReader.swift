import RelaisCore

/// Reads a JSON array of events (`.json`): `[ {…}, {…} ]` (contract §1).
///
/// The file is streamed, not loaded whole: it is read in 64 KiB chunks, a small scanner
/// finds each top-level element's bytes (tracking strings, escapes and bracket depth),
/// and only that element is parsed into a tree, validated and handed to `body`. Memory
/// therefore stays proportional to the largest event, not to the file. UTF-8 with or
/// without a byte-order mark.
///
/// Errors name the record by its 0-based index and the line it starts on
/// (`record 3 (line 41)`), and syntax errors inside a record say where they are. Errors in
/// the array's own punctuation (a missing comma, a missing `]`) name the line. An empty
/// file is refused; `[]` is a valid file with no events.
public struct JSONArrayReader: ReadAheadEventReader {
    public init() {}

    /// Every record goes through `RecordDelivery`, that is `EventRecordDecoding`, unchanged.
    public var givesCheckedEvents: Bool { true }

    public func read(_ input: ImportInput, _ body: (Event) throws -> Void) throws {
        let file = try ChunkedFileReader(input)
        let name = input.displayName
        var scanner = JSONArrayScanner(file: name)
        var pending: [UInt8] = []
        pending.reserveCapacity(2 * ChunkedFileReader.chunkSize)
        var more = true
        while more {
            more = try file.readChunk(into: &pending)
            try pending.withUnsafeBufferPointer { bytes in
                try scanner.scan(bytes) { range, line, index in
                    let element = UnsafeBufferPointer(rebasing: bytes[range])
                    try Self.deliver(element, line: line, index: index, file: name, to: body)
                }
                if !more {
                    try scanner.finish(bytes) { range, line, index in
                        // The file ended inside a record: report the record's own syntax
                        // error if it has one before the end (a mismatched bracket that
                        // made the scanner miss the record's end), else the truncation.
                        let element = UnsafeBufferPointer(rebasing: bytes[range])
                        do throws(JSONSyntaxError) {
                            _ = try InterchangeJSONParser.parse(element)
                        } catch {
                            if error.offset < element.count {
                                throw Self.syntaxError(error, in: element, line: line, index: index, file: name)
                            }
                        }
                        throw ImportError(
                            file: name, location: .index(index, line: line),
                            message: "unexpected end of file inside the record (a '}' or ']' is missing)")
                    }
                }
            }
            let keep = scanner.firstByteToKeep
            pending.removeSubrange(0..<keep)
            scanner.shift(by: keep)
            if scanner.bufferedRecordBytes > ChunkedFileReader.maximumRecordBytes {
                throw ImportError(
                    file: name, location: .index(scanner.elementIndex, line: scanner.elementLine),
                    message: "record larger than \(ChunkedFileReader.maximumRecordBytes / 1024 / 1024) MiB (a missing '}' or ']'?)")
            }
        }
    }

    private static func deliver(
        _ element: UnsafeBufferPointer<UInt8>, line: Int, index: Int, file: String, to body: (Event) throws -> Void
    ) throws {
        let parsed: InterchangeJSONParser.RecordParse
        do throws(JSONSyntaxError) {
            parsed = try InterchangeJSONParser.parseRecord(element)
        } catch {
            throw syntaxError(error, in: element, line: line, index: index, file: file)
        }
        switch parsed {
        case .notAnObject(let typeName):
            throw ImportError(
                file: file, location: .index(index, line: line), message: "expected a JSON object (an event), not \(typeName)")
        case .record(let fields, let unknownField):
            try RecordDelivery.deliver(
                fields, unknownField: unknownField, file: file, location: .index(index, line: line), to: body)
        }
    }

    /// Places a syntax error found inside a record on its line and column in the file.
    private static func syntaxError(
        _ error: JSONSyntaxError, in element: UnsafeBufferPointer<UInt8>, line: Int, index: Int, file: String
    ) -> ImportError {
        var errorLine = line
        var lineStart = 0
        for position in 0..<min(error.offset, element.count) where element[position] == 0x0A {
            errorLine += 1
            lineStart = position + 1
        }
        let tail = UnsafeBufferPointer(rebasing: element[min(lineStart, element.count)...])
        let column = RecordDelivery.column(of: error.offset - lineStart, in: tail)
        return ImportError(
            file: file, location: .index(index, line: line),
            message: "not valid JSON at line \(errorLine), column \(column): \(error.message)")
    }
}

/// Finds the byte ranges of the elements of a top-level JSON array as chunks arrive,
/// without building any tree. Positions are indices into the caller's pending buffer;
/// ``shift(by:)`` keeps them right when the caller drops consumed bytes.
///
/// It checks the array's own punctuation (`[`, commas, `]`, nothing after) and leaves
/// everything inside an element to ``InterchangeJSONParser``.
struct JSONArrayScanner {
    private enum State {
        case beforeArray, firstElementOrEnd, elementAfterComma, inElement, afterElement, afterArray
    }

    let file: String
    private var state = State.beforeArray
    /// Next byte to look at.
    private var position = 0
    /// Line of `position`, 1-based.
    private var line = 1
    private var elementStart = 0
    private(set) var elementLine = 1
    /// Index of the element being scanned, or of the next one.
    private(set) var elementIndex = 0
    private var isScalar = false
    private var depth = 0
    private var inString = false
    private var escaped = false

    init(file: String) {
        self.file = file
    }

    /// Bytes before this index are done with and may be dropped.
    var firstByteToKeep: Int { state == .inElement ? elementStart : position }

    /// How much of an unfinished element is buffered.
    var bufferedRecordBytes: Int { state == .inElement ? position - elementStart : 0 }

    mutating func shift(by count: Int) {
        position -= count
        if state == .inElement { elementStart -= count }
    }

    /// Scans the bytes not yet seen, calling `found` with each complete element's range,
    /// start line and index.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, found: (Range<Int>, Int, Int) throws -> Void) throws {
        while position < bytes.count {
            if state == .inElement {
                if scanElement(bytes) {
                    state = .afterElement
                    try found(elementStart..<position, elementLine, elementIndex)
                    elementIndex += 1
                }
                continue
            }
            let byte = bytes[position]
            if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A {
                if byte == 0x0A { line += 1 }
                position += 1
                continue
            }
            switch state {
            case .beforeArray:
                guard byte == UInt8(ascii: "[") else {
                    let hint = byte == UInt8(ascii: "{") ? " (for one event object a line, use JSON Lines: .jsonl)" : ""
                    throw ImportError(
                        file: file, location: .line(line),
                        message: "expected a JSON array of events ('[' … ']'), found \(describeJSONByte(byte))\(hint)")
                }
                position += 1
                state = .firstElementOrEnd
            case .firstElementOrEnd where byte == UInt8(ascii: "]"):
                position += 1
                state = .afterArray
            case .elementAfterComma where byte == UInt8(ascii: "]"):
                throw ImportError(
                    file: file, location: .line(line),
                    message: "not valid JSON: a ',' after record \(elementIndex - 1) is followed by ']' (trailing comma)")
            case .firstElementOrEnd, .elementAfterComma:
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") {
                    throw ImportError(
                        file: file, location: .line(line),
                        message: "not valid JSON: expected record \(elementIndex), found \(describeJSONByte(byte))")
                }
                beginElement(byte)
            case .afterElement:
                if byte == UInt8(ascii: ",") {
                    position += 1
                    state = .elementAfterComma
                } else if byte == UInt8(ascii: "]") {
                    position += 1
                    state = .afterArray
                } else {
                    throw ImportError(
                        file: file, location: .line(line),
                        message: "not valid JSON: expected ',' or ']' after record \(elementIndex - 1), found \(describeJSONByte(byte))")
                }
            case .afterArray:
                throw ImportError(
                    file: file, location: .line(line),
                    message: "not valid JSON: unexpected \(describeJSONByte(byte)) after the array's closing ']'")
            case .inElement:
                break  // handled above
            }
        }
    }

    /// Checks the end of the file; calls `truncated` (which must throw) with the range of
    /// an element the file ended inside.
    mutating func finish(_ bytes: UnsafeBufferPointer<UInt8>, truncated: (Range<Int>, Int, Int) throws -> Void) throws {
        switch state {
        case .afterArray:
            return
        case .inElement where isScalar:
            // A number or literal ends at the end of the file; the array is still open.
            throw ImportError(
                file: file, location: .line(line), message: "unexpected end of file: the array is not closed with ']'")
        case .inElement:
            try truncated(elementStart..<position, elementLine, elementIndex)
            throw ImportError(
                file: file, location: .index(elementIndex, line: elementLine), message: "unexpected end of file inside the record")
        case .beforeArray:
            throw ImportError(file: file, location: nil, message: "the file is empty: expected a JSON array of events")
        case .firstElementOrEnd, .elementAfterComma, .afterElement:
            throw ImportError(
                file: file, location: .line(line), message: "unexpected end of file: the array is not closed with ']'")
        }
    }

    private mutating func beginElement(_ byte: UInt8) {
        state = .inElement
        elementStart = position
        elementLine = line
        depth = 0
        inString = false
        escaped = false
        isScalar = !(byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "\""))
    }

    /// Advances through the current element; true when it is complete (`position` is then
    /// just past its last byte).
    private mutating func scanElement(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if isScalar {
            // A number or literal: it ends before whitespace or punctuation.
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0D, 0x0A, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"),
                    UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: "\""):
                    return true
                default:
                    position += 1
                }
            }
            return false
        }
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == 0x0A { line += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 0 { return true }
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth <= 0 { return true }
            default:
                break
            }
        }
        return false
    }
}
