#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import RelaisCore

/// Buffered writes to standard output (file descriptor 1).
///
/// When the reader goes away (`relais export … | head`), writes throw ``OutputClosed``,
/// which the command treats as a clean stop. For that, creating one sets SIGPIPE to be
/// ignored for the whole process: otherwise the first write to the closed pipe would kill
/// the process with a signal before any error could be seen. Other write failures throw
/// ``OutputError`` naming `<stdout>`.
///
/// Text is gathered in a 64 KiB buffer; ``commit()`` (or ``flush()``) writes it out, and
/// so does the object going away, on a best-effort basis.
public final class StandardOutputTextOutput: CommittableTextOutput {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let bufferSize: Int
    private var closed = false

    /// - Parameters:
    ///   - fileDescriptor: where to write; 1 (standard output) except in tests.
    ///   - bufferSize: bytes gathered before each write(2).
    public init(fileDescriptor: Int32 = 1, bufferSize: Int = 64 * 1024) {
        descriptor = fileDescriptor
        self.bufferSize = max(1, bufferSize)
        buffer.reserveCapacity(self.bufferSize)
        signal(SIGPIPE, SIG_IGN)
    }

    deinit {
        try? flush()
    }

    public func write(_ text: String) throws { try append(text.utf8) }

    /// Takes the bytes as they are: the writers that call this build valid UTF-8.
    public func write(utf8 bytes: [UInt8]) throws { try append(bytes) }

    private func append(_ bytes: some Collection<UInt8>) throws {
        if closed { throw OutputClosed() }
        buffer.append(contentsOf: bytes)
        if buffer.count >= bufferSize { try flush() }
    }

    /// Writes out what is buffered.
    public func flush() throws {
        if closed { throw OutputClosed() }
        var written = 0
        let total = buffer.count
        defer { buffer.removeAll(keepingCapacity: true) }
        while written < total {
            let result = buffer.withUnsafeBytes { raw in
                posixWrite(descriptor, raw.baseAddress.map { $0 + written }, total - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE {
                    closed = true
                    throw OutputClosed()
                }
                throw OutputError(path: "<stdout>", message: systemErrorText())
            }
            written += result
        }
    }

    /// Flushes.
    public func commit() throws {
        try flush()
    }

    /// Drops what is buffered and not yet written; what was written cannot be taken back.
    public func discard() {
        buffer.removeAll(keepingCapacity: true)
    }
}
