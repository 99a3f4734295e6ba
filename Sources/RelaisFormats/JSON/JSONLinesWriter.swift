import RelaisCore

/// Writes JSON Lines: each event as its canonical interchange object
/// (``EventJSONWriting``) on one line, `\n`-terminated. Zero events write nothing.
///
/// Streams: each event goes to the output as it is written; nothing is kept.
public final class JSONLinesWriter: SelfContainedEventWriter {
    private let output: any TextOutput
    /// Reused for every line: its capacity grows to the longest.
    private var line: [UInt8] = []

    /// `options` has nothing JSON Lines needs; it is taken so every built-in writer is
    /// made the same way.
    public init(output: any TextOutput, options: ExportOptions = ExportOptions()) {
        self.output = output
    }

    public func begin() throws {}

    public func write(_ event: Event) throws {
        line.removeAll(keepingCapacity: true)
        EventJSONWriting.append(event, to: &line)
        line.append(UInt8(ascii: "\n"))
        try output.write(utf8: line)
    }

    public func finish() throws {}
}
