/// One unfolded iCalendar line, `NAME;PARAM=value:value` (RFC 5545 §3.1), before its
/// value is interpreted.
///
/// The value is kept raw (still escaped): how to read it depends on the property.
struct ICalendarContentLine {
    /// The property or `BEGIN`/`END`, upper-cased (names are case-insensitive).
    var name: String
    var parameters: [ICalendarParameter]
    /// Everything after the first `:` that is not inside a quoted parameter value.
    var value: String
    /// The physical line the content line starts on (1-based).
    var line: Int

    /// The first value of parameter `name` (upper-case), RFC 6868 caret escapes decoded.
    func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.values.first
    }
}

/// A property parameter: `CN="Dupont, Jeanne"`, `TZID=Europe/Paris`, `MEMBER="a","b"`.
struct ICalendarParameter {
    /// Upper-cased name.
    var name: String
    /// Values with their quotes removed and RFC 6868 escapes (`^n`, `^'`, `^^`) decoded.
    var values: [String]
}

/// An unfolded line, as bytes, with the physical line it starts on.
struct ICalendarLogicalLine {
    var number: Int
    var bytes: [UInt8]
}

/// Unfolds a file given in chunks (RFC 5545 §3.1), holding no more than the line being
/// read: lines end with CRLF or LF, a line starting with a space or a tab continues the
/// previous one, without that first character, empty lines are skipped, a leading UTF-8
/// byte-order mark is dropped. Works on bytes, so that a UTF-8 character split by a fold
/// is joined again before anything decodes it. A logical line longer than
/// ``maximumLineBytes`` is an error, so that input without line ends (`/dev/zero`) cannot
/// take all memory.
struct ICalendarUnfolder {
    /// 16 MiB, as for a JSON Lines record.
    static let maximumLineBytes = 16 << 20

    /// A line past ``maximumLineBytes``.
    struct TooLong: Error {
        var line: Int
        var message: String { "is longer than \(ICalendarUnfolder.maximumLineBytes >> 20) MiB" }
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private var physical: [UInt8] = []
    private var current: ICalendarLogicalLine?
    private var lineNumber = 0
    /// The file's first bytes while they may still be the start of a byte-order mark (a
    /// pipe may give them one at a time); nil once the mark is dealt with.
    private var head: [UInt8]? = []

    /// Takes the next bytes of the file, calling `emit` with each logical line completed.
    mutating func feed<E: Error>(
        _ chunk: ArraySlice<UInt8>, _ emit: (ICalendarLogicalLine) throws(E) -> Void
    ) throws {
        guard var first = head else { return try scan(chunk, emit) }
        first.append(contentsOf: chunk)
        if first.count < Self.byteOrderMark.count && Self.byteOrderMark.starts(with: first) {
            head = first
            return
        }
        head = nil
        try scan(first.starts(with: Self.byteOrderMark) ? first.dropFirst(Self.byteOrderMark.count) : first[...], emit)
    }

    private mutating func scan<E: Error>(
        _ chunk: ArraySlice<UInt8>, _ emit: (ICalendarLogicalLine) throws(E) -> Void
    ) throws {
        var start = chunk.startIndex
        while start < chunk.endIndex {
            guard let end = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                physical.append(contentsOf: chunk[start...])
                if physical.count > Self.maximumLineBytes { throw TooLong(line: lineNumber + 1) }
                return
            }
            physical.append(contentsOf: chunk[start..<end])
            start = end + 1
            try endPhysicalLine(emit)
        }
    }

    /// Ends the file: the last line, if it has no line end.
    mutating func finish<E: Error>(_ emit: (ICalendarLogicalLine) throws(E) -> Void) throws {
        if let first = head {
            // A file shorter than a byte-order mark, that begins like one.
            head = nil
            try scan(first[...], emit)
        }
        if !physical.isEmpty { try endPhysicalLine(emit) }
        if let finished = current {
            current = nil
            try emit(finished)
        }
    }

    private mutating func endPhysicalLine<E: Error>(_ emit: (ICalendarLogicalLine) throws(E) -> Void) throws {
        lineNumber += 1
        var line = physical[...]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        defer { physical.removeAll(keepingCapacity: physical.count <= 1 << 16) }
        if line.isEmpty {
            if let finished = current {
                current = nil
                try emit(finished)
            }
        } else if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t"), current != nil {
            current?.bytes.append(contentsOf: line.dropFirst())
            if let current, current.bytes.count > Self.maximumLineBytes { throw TooLong(line: current.number) }
        } else {
            if let finished = current { try emit(finished) }
            current = ICalendarLogicalLine(number: lineNumber, bytes: Array(line))
        }
    }
}

/// The syntax of one content line, on bytes.
enum ICalendarLines {
    /// Parses one unfolded line. The bytes must already be valid UTF-8.
    ///
    /// Returns a message saying what is wrong when the line is not `NAME[;PARAM=…]:value`.
    static func parse(_ logical: ICalendarLogicalLine) -> Result<ICalendarContentLine, ICalendarProblem> {
        let bytes = logical.bytes
        var index = 0
        func isNameByte(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "-")
        }
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        func problem(_ message: String) -> Result<ICalendarContentLine, ICalendarProblem> {
            let shown = String(decoding: bytes.prefix(60), as: UTF8.self)
            return .failure(ICalendarProblem(message: "'\(shown)' is not a content line: \(message)"))
        }

        while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
        if index == 0 { return problem("expected a property name (NAME:value)") }
        let name = ICalendarText.keyword(text(0..<index))
        var parameters: [ICalendarParameter] = []
        while index < bytes.count, bytes[index] == UInt8(ascii: ";") {
            index += 1
            let nameStart = index
            while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
            guard index > nameStart, index < bytes.count, bytes[index] == UInt8(ascii: "=") else {
                return problem("expected PARAMETER=value after ';'")
            }
            let parameterName = ICalendarText.keyword(text(nameStart..<index))
            var values: [String] = []
            repeat {
                index += 1  // the '=' or the ','
                if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                    let valueStart = index + 1
                    guard let close = bytes[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else {
                        return problem("a quoted parameter value has no closing '\"'")
                    }
                    values.append(ICalendarText.decodeParameter(text(valueStart..<close)))
                    index = close + 1
                } else {
                    let valueStart = index
                    while index < bytes.count, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: ";"),
                        bytes[index] != UInt8(ascii: ":"), bytes[index] != UInt8(ascii: "\"")
                    {
                        index += 1
                    }
                    values.append(ICalendarText.decodeParameter(text(valueStart..<index)))
                }
            } while index < bytes.count && bytes[index] == UInt8(ascii: ",")
            parameters.append(ICalendarParameter(name: parameterName, values: values))
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
            return problem("expected ':' before the value")
        }
        return .success(
            ICalendarContentLine(
                name: name, parameters: parameters, value: text((index + 1)..<bytes.count), line: logical.number))
    }
}

/// What is wrong with an iCalendar value, naming the property when there is one; the
/// reader adds the file and the VEVENT.
struct ICalendarProblem: Error {
    var field: String?
    var message: String

    init(field: String? = nil, message: String) {
        self.field = field
        self.message = message
    }
}
