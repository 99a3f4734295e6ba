#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import RelaisCore

/// Writes an export to a file atomically: the text goes to a temporary file beside the
/// target (`.<name>.relais-<random>.tmp`, same directory so the final rename cannot cross
/// file systems), and ``commit()`` renames it onto the target in one step. A failed or
/// abandoned export (``discard()``, or the object going away uncommitted) removes the
/// temporary file, so the target is never half-written and an existing one is never
/// clobbered.
///
/// Buffered: text is gathered into a 256 KiB buffer and written with write(2), since
/// exports stream millions of events. ``commit()`` flushes, fsyncs, and gives the new file
/// the permissions of the file it replaces (or the usual ones, under the umask, for a new
/// file). If the target is a symbolic link, the link itself is replaced by the file.
///
/// A target that is not a file at all — a device, a FIFO, a socket, or a link to one, as
/// `/dev/null` and `/dev/stdout` are — is written to directly: renaming a file onto it
/// would replace the device node itself, and what was written to a pipe cannot be taken
/// back anyway.
///
/// Errors are ``OutputError``s naming the target path: a missing directory, a directory
/// that is not writable, a full disk.
public final class FileTextOutput: CommittableTextOutput {
    /// The file the export is for.
    public let path: String
    /// Where the text goes until ``commit()``.
    let temporaryPath: String

    private enum State { case open, committed, discarded, failed }

    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private let bufferSize: Int
    private var state = State.open
    /// Whether the text goes straight to ``path`` (a device, FIFO or socket).
    private let writesDirectly: Bool

    /// Creates the temporary file next to `path`.
    /// - Parameters:
    ///   - bufferSize: bytes gathered before each write(2); tests use small ones.
    ///   - protectedFiles: files that `path` must not be, by any name (a link, `./x`, a
    ///     hard link: compared by device and inode), each with what it is for the error
    ///     message — the catalogue an export reads, which the rename would replace.
    /// - Throws: ``OutputError`` when the directory does not exist, is not writable,
    ///   `path` names a directory, or `path` is one of `protectedFiles`.
    public init(path: String, bufferSize: Int = 256 * 1024, protectedFiles: [String: String] = [:]) throws {
        self.path = path
        self.bufferSize = max(1, bufferSize)
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw OutputError(path: path, message: "the directory '\(directory)' does not exist")
        }
        guard isDirectory.boolValue else {
            throw OutputError(path: path, message: "'\(directory)' is not a directory")
        }
        var existing = stat()
        let targetExists = lstat(path, &existing) == 0
        if targetExists && (existing.st_mode & S_IFMT) == S_IFDIR {
            throw OutputError(path: path, message: "it is a directory")
        }
        var followed = stat()
        let targetFollowed = targetExists && stat(path, &followed) == 0
        if targetFollowed {
            for (protectedPath, what) in protectedFiles.sorted(by: { $0.key < $1.key }) {
                var protected = stat()
                if stat(protectedPath, &protected) == 0, protected.st_dev == followed.st_dev,
                    protected.st_ino == followed.st_ino
                {
                    throw OutputError(path: path, message: "it is \(what) '\(protectedPath)' (choose another file)")
                }
            }
        }
        if targetFollowed,
            (followed.st_mode & S_IFMT) != S_IFREG, (followed.st_mode & S_IFMT) != S_IFDIR
        {
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw OutputError(path: path, message: systemErrorText()) }
            self.descriptor = descriptor
            self.temporaryPath = ""
            writesDirectly = true
            buffer.reserveCapacity(self.bufferSize)
            return
        }
        writesDirectly = false
        var descriptor: Int32 = -1
        var temporaryPath = ""
        for _ in 0..<16 {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            temporaryPath = url.deletingLastPathComponent()
                .appendingPathComponent(".\(url.lastPathComponent).relais-\(suffix).tmp").path
            // 0666 so the umask decides, as for any new file.
            descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else {
            let reason = errno == EACCES || errno == EROFS
                ? "the directory '\(directory)' is not writable (\(systemErrorText()))" : systemErrorText()
            throw OutputError(path: path, message: reason)
        }
        if targetExists && (existing.st_mode & S_IFMT) == S_IFREG {
            _ = fchmod(descriptor, existing.st_mode & 0o7777)
        }
        self.descriptor = descriptor
        self.temporaryPath = temporaryPath
        buffer.reserveCapacity(self.bufferSize)
    }

    deinit {
        discard()
    }

    public func write(_ text: String) throws { try append(text.utf8) }

    /// Takes the bytes as they are: the writers that call this build valid UTF-8.
    public func write(utf8 bytes: [UInt8]) throws { try append(bytes) }

    private func append(_ bytes: some Collection<UInt8>) throws {
        guard state == .open else {
            throw OutputError(path: path, message: state == .failed ? "an earlier write failed" : "the output is already closed")
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= bufferSize { try flush() }
    }

    /// Flushes, syncs and renames the temporary file onto ``path``. A second call does
    /// nothing.
    public func commit() throws {
        switch state {
        case .committed: return
        case .discarded: throw OutputError(path: path, message: "the output was discarded")
        case .failed: throw OutputError(path: path, message: "an earlier write failed")
        case .open: break
        }
        do {
            try flush()
            if !writesDirectly, fsync(descriptor) != 0 && errno != EINVAL {
                throw OutputError(path: path, message: systemErrorText())
            }
            let closed = close(descriptor)
            descriptor = -1
            if closed != 0 { throw OutputError(path: path, message: systemErrorText()) }
            if !writesDirectly, rename(temporaryPath, path) != 0 {
                throw OutputError(path: path, message: systemErrorText())
            }
        } catch {
            discard()
            throw error
        }
        state = .committed
    }

    /// Removes the temporary file; the target keeps its old content (or stays absent).
    public func discard() {
        guard state == .open || state == .failed else { return }
        state = .discarded
        buffer = []
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        if !writesDirectly { unlink(temporaryPath) }
    }

    private func flush() throws {
        var written = 0
        let total = buffer.count
        while written < total {
            let result = buffer.withUnsafeBytes { raw in
                posixWrite(descriptor, raw.baseAddress.map { $0 + written }, total - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let message = systemErrorText()
                state = .failed
                throw OutputError(path: path, message: message)
            }
            written += result
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
