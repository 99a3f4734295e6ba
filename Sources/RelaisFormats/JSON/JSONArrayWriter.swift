import RelaisCore

/// Writes a JSON array of events, one canonical event object (``EventJSONWriting``) a
/// line, so the file is both valid JSON and easy to diff:
///
/// ```
/// [
/// {"id":"a",…},
/// {"id":"b",…}
/// ]
/// ```
///
/// Zero events write `[]`. The output ends with a newline. Streams event by event.
public final class JSONArrayWriter: SelfContainedEventWriter {
    private let output: any TextOutput
    private var began = false
    private var count = 0

    /// `options` has nothing JSON needs; it is taken so every built-in writer is made the
    /// same way.
    public init(output: any TextOutput, options: ExportOptions = ExportOptions()) {
        self.output = output
    }

    public func begin() throws {
        guard !began else { return }
        began = true
        try output.write("[")
    }

    public func write(_ event: Event) throws {
        try begin()
        var text = count == 0 ? "\n" : ",\n"
        text += EventJSONWriting.json(event)
        count += 1
        try output.write(text)
    }

    public func finish() throws {
        try begin()
        try output.write(count == 0 ? "]\n" : "\n]\n")
    }
}
