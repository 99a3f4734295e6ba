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

/// Splitting a file into content lines: unfolding and syntax, on bytes.
enum ICalendarLines {
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    /// Unfolds `bytes` (RFC 5545 §3.1): lines end with CRLF or LF, and a line starting with
    /// a space or a tab continues the previous one, without that first character.
    ///
    /// Works on bytes so that a UTF-8 character split by a fold is joined again before
    /// anything decodes it. Empty lines are skipped. A leading UTF-8 byte-order mark is
    /// dropped.
    static func unfold(_ bytes: [UInt8]) -> [ICalendarLogicalLine] {
        var lines: [ICalendarLogicalLine] = []
        var current: ICalendarLogicalLine?
        var lineNumber = 0
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        while start < bytes.count {
            lineNumber += 1
            var end = bytes[start...].firstIndex(of: lineFeed) ?? bytes.count
            let next = end + 1
            if end > start, bytes[end - 1] == carriageReturn { end -= 1 }
            if start == end {
                if let finished = current { lines.append(finished) }
                current = nil
            } else if bytes[start] == space || bytes[start] == tab, current != nil {
                current?.bytes.append(contentsOf: bytes[(start + 1)..<end])
            } else {
                if let finished = current { lines.append(finished) }
                current = ICalendarLogicalLine(number: lineNumber, bytes: Array(bytes[start..<end]))
            }
            start = next
        }
        if let finished = current { lines.append(finished) }
        return lines
    }

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
