import RelaisCore

/// What every reader does with one record once it has its JSON-shaped form: decode it with
/// the core's single set of rules, then hand it to the caller, giving both kinds of field
/// problem the file and the record's location.
enum RecordDelivery {
    static func deliver(
        _ record: [String: InterchangeValue], file: String, location: RecordLocation, to body: (Event) throws -> Void
    ) throws {
        let event: Event
        do throws(EventFieldProblem) {
            event = try EventRecordDecoding.event(from: record)
        } catch {
            throw ImportError(file: file, location: location, problem: error)
        }
        try deliver(event, file: file, location: location, to: body)
    }

    /// Decodes a record parsed straight into its fields (``InterchangeJSONParser/parseRecord(_:)``)
    /// and calls `body` with it, like the dictionary's `deliver`: the same problems at the
    /// same location.
    static func deliver(
        _ fields: EventRecordDecoding.RecordFields, unknownField: String?, file: String, location: RecordLocation,
        to body: (Event) throws -> Void
    ) throws {
        let event: Event
        do throws(EventFieldProblem) {
            if let unknownField, let problem = EventRecordDecoding.unknownFieldProblem(unknownField) { throw problem }
            event = try EventRecordDecoding.event(from: fields)
        } catch {
            throw ImportError(file: file, location: location, problem: error)
        }
        try deliver(event, file: file, location: location, to: body)
    }

    /// Calls `body`, turning an ``EventFieldProblem`` it throws (a duplicate id, say) into an
    /// ``ImportError`` at `location`; other errors pass through unchanged.
    static func deliver(_ event: Event, file: String, location: RecordLocation, to body: (Event) throws -> Void) throws {
        do {
            try body(event)
        } catch let problem as EventFieldProblem {
            throw ImportError(file: file, location: location, problem: problem)
        }
    }

    /// The 1-based character column of `offset` in `line`, for messages (a byte offset
    /// would be off after every accented letter).
    static func column(of offset: Int, in line: UnsafeBufferPointer<UInt8>) -> Int {
        var column = 1
        for index in 0..<min(offset, line.count) where line[index] & 0xC0 != 0x80 {
            column += 1
        }
        return column
    }

    /// Whether `bytes` hold only spaces, tabs, CR and LF.
    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
    }
}
