import RelaisCore

/// Writes JSON Lines: each event as its canonical interchange object
/// (``EventJSONWriting``) on one line, `\n`-terminated. Zero events write nothing.
///
/// Streams: each event goes to the output as it is written; nothing is kept.
public final class JSONLinesWriter: SelfContainedEventWriter {
    private let output: any TextOutput

    /// `options` has nothing JSON Lines needs; it is taken so every built-in writer is
    /// made the same way.
    public init(output: any TextOutput, options: ExportOptions = ExportOptions()) {
        self.output = output
    }

    public func begin() throws {}

    public func write(_ event: Event) throws {
        var line = EventJSONWriting.json(event)
        line += "\n"
        try output.write(line)
    }

    public func finish() throws {}
}
