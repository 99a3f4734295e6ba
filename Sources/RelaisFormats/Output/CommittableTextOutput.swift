import RelaisCore

/// A ``TextOutput`` that is finished explicitly: ``commit()`` once every event is written,
/// or ``discard()`` when the export failed, so the caller handles files, standard output
/// and strings alike.
///
/// Called from the one thread that drives the export; implementations are not
/// thread-safe.
public protocol CommittableTextOutput: TextOutput {
    /// Makes everything written final and visible (flushes; for a file, atomically
    /// replaces the target). Writing after a commit is an error.
    func commit() throws
    /// Abandons the output: a file's target is left as it was; buffered text not yet
    /// written is dropped. Never throws; calling it after ``commit()`` does nothing.
    func discard()
}

/// Writing to an output failed; names the path (or `<stdout>`) and the system's reason.
public struct OutputError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "cannot write '\(path)': \(message)" }
}

/// The reader of standard output went away (`relais export … | head`): not a failure of
/// the export, so the command should stop quietly and exit 0.
public struct OutputClosed: Error, Hashable, Sendable, CustomStringConvertible {
    public init() {}

    public var description: String { "output closed by the reader (broken pipe)" }
}
