import RelaisCore

/// Collects the text in memory, for tests and for scripts that want an export as a string.
public final class StringTextOutput: CommittableTextOutput {
    /// Everything written so far.
    public private(set) var text = ""

    private var committed = false

    public init() {}

    public func write(_ text: String) throws {
        self.text += text
    }

    /// Nothing to flush: marks the text as final, so a later ``discard()`` keeps it.
    public func commit() throws {
        committed = true
    }

    /// Drops the text collected so far, unless it was committed.
    public func discard() {
        if !committed { text = "" }
    }
}
