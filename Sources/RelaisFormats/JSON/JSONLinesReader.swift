import RelaisCore

/// Reads JSON Lines (`.jsonl`, `.ndjson`): one event object a line (contract §1).
///
/// The file is streamed: it is read in 64 KiB chunks and split on `\n`, and each line is
/// parsed, validated and handed to `body` before the next is read, so memory stays flat
/// however many events the file holds. UTF-8 with or without a byte-order mark; `\r\n`
/// line ends and blank lines are accepted.
///
/// Errors name the line: `events.jsonl: line 12: field 'kind': unknown kind 'talk' …`,
/// or `… line 3: not valid JSON: expected ',' or '}' in an object, found 'x' at column 41`.
/// An empty file (no records at all) is refused, as it is far more often a failed
/// download or a wrong path than an intended empty catalogue.
///
/// Parsing uses ``InterchangeJSONParser``; its documentation records how it compares with
/// `JSONDecoder` and `JSONSerialization`.
public struct JSONLinesReader: ReadAheadEventReader {
    public init() {}

    /// Every record goes through `RecordDelivery`, that is `EventRecordDecoding`, unchanged.
    public var givesCheckedEvents: Bool { true }

    public func read(_ input: ImportInput, _ body: (Event) throws -> Void) throws {
        let file = try ChunkedFileReader(input)
        let name = input.displayName
        var records = 0
        try file.forEachLine { line, number in
            if RecordDelivery.isBlank(line) { return }
            records += 1
            let parsed: InterchangeJSONParser.RecordParse
            do throws(JSONSyntaxError) {
                parsed = try InterchangeJSONParser.parseRecord(line)
            } catch {
                var message = "not valid JSON: \(error.message) at column \(RecordDelivery.column(of: error.offset, in: line))"
                if error.offset >= line.count {
                    message += " (each JSON Lines record must be on one line)"
                }
                throw ImportError(file: name, location: .line(number), message: message)
            }
            switch parsed {
            case .notAnObject(let typeName):
                throw ImportError(
                    file: name, location: .line(number), message: "expected a JSON object (one event a line), not \(typeName)")
            case .record(let fields, let unknownField):
                try RecordDelivery.deliver(
                    fields, unknownField: unknownField, file: name, location: .line(number), to: body)
            }
        }
        if records == 0 {
            throw ImportError(file: name, location: nil, message: "the file is empty: no events")
        }
    }
}
