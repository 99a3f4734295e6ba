#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import RelaisCore

/// Reads a file (or `/dev/stdin`, or a pipe) in fixed-size chunks with read(2), so readers
/// stream files far larger than memory. A leading UTF-8 byte-order mark is dropped, unless
/// the reader asks to see it (the iCalendar unfolder drops it itself).
///
/// Errors are ``ImportError``s naming the file, ready for the user.
final class ChunkedFileReader {
    /// 64 KiB: large enough that system calls are rare, small enough to stay in cache.
    static let chunkSize = 64 * 1024
    /// A record (line, array element, CSV row) longer than this is refused rather than
    /// buffered without bound: an event is at most a few tens of kilobytes.
    static let maximumRecordBytes = 16 * 1024 * 1024

    let displayName: String
    private let descriptor: Int32
    /// What each read(2) fills, allocated once.
    private let scratch: UnsafeMutableRawBufferPointer
    private var checkedByteOrderMark: Bool
    private var reachedEnd = false

    init(_ input: ImportInput, keepsByteOrderMark: Bool = false) throws(ImportError) {
        displayName = input.displayName
        checkedByteOrderMark = keepsByteOrderMark
        let descriptor = open(input.url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ImportError(file: input.displayName, location: nil, message: "cannot open: \(systemErrorText())")
        }
        self.descriptor = descriptor
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
    }

    deinit {
        close(descriptor)
        scratch.deallocate()
    }

    /// Appends the next chunk to `buffer`. Returns false, appending nothing, at the end of
    /// the file. The first call strips a byte-order mark (unless `keepsByteOrderMark`).
    func readChunk(into buffer: inout [UInt8]) throws(ImportError) -> Bool {
        if reachedEnd { return false }
        if !checkedByteOrderMark {
            // A pipe may deliver fewer than three bytes at first: read until the mark can
            // be recognised or the file ends.
            let start = buffer.count
            var more = true
            while more && buffer.count - start < 3 {
                more = try appendChunk(to: &buffer)
            }
            checkedByteOrderMark = true
            if buffer.count - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF {
                buffer.removeSubrange(start..<(start + 3))
            }
            return more || buffer.count > start
        }
        return try appendChunk(to: &buffer)
    }

    private func appendChunk(to buffer: inout [UInt8]) throws(ImportError) -> Bool {
        var count = 0
        repeat {
            count = posixRead(descriptor, scratch.baseAddress, scratch.count)
        } while count < 0 && errno == EINTR
        guard count >= 0 else {
            throw ImportError(file: displayName, location: nil, message: "cannot read: \(systemErrorText())")
        }
        // A copy (memcpy) from a buffer read once: cheaper than zero-filling the array's
        // tail to read into it, and fast in debug builds too.
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
        if count == 0 { reachedEnd = true }
        return count > 0
    }

    /// Calls `body` with each line (without its `\n`, or a `\r\n`) and its 1-based number,
    /// reading chunk by chunk. The line's bytes are only valid during the call.
    func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        var pending: [UInt8] = []
        pending.reserveCapacity(2 * Self.chunkSize)
        var lineNumber = 0
        var searchFrom = 0  // bytes of `pending` before this hold no newline
        var more = true
        while more {
            more = try readChunk(into: &pending)
            var consumed = 0
            try pending.withUnsafeBufferPointer { all in
                guard let base = all.baseAddress else { return }
                var from = searchFrom
                while from < all.count, let found = memchr(base + from, 0x0A, all.count - from) {
                    let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    lineNumber += 1
                    try body(Self.trimmingCarriageReturn(all, consumed..<newline), lineNumber)
                    consumed = newline + 1
                    from = consumed
                }
                if !more && consumed < all.count {
                    lineNumber += 1
                    try body(Self.trimmingCarriageReturn(all, consumed..<all.count), lineNumber)
                    consumed = all.count
                }
            }
            pending.removeSubrange(0..<consumed)
            searchFrom = pending.count
            if pending.count > Self.maximumRecordBytes {
                throw ImportError(
                    file: displayName, location: .line(lineNumber + 1),
                    message: "line longer than \(Self.maximumRecordBytes / 1024 / 1024) MiB")
            }
        }
    }

    private static func trimmingCarriageReturn(_ all: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        var end = range.upperBound
        if end > range.lowerBound && all[end - 1] == 0x0D { end -= 1 }
        return UnsafeBufferPointer(rebasing: all[range.lowerBound..<end])
    }
}
