/// Searches text for a few ASCII bytes, eight bytes at a time: most of a description is
/// plain text between rare commas, and a million of them pass through an import's checks
/// and an export's escaping. Inlinable, so that each caller's tests are compiled into the
/// loop.
public enum ByteScanning {
    /// The index of the first byte of `bytes` from `start` on that `matches`, or nil.
    /// Words of eight bytes for which `wordMayMatch` is false are skipped whole, so it must
    /// be true of any word that holds a matching byte (it may be true of others too: their
    /// bytes are then tested one by one).
    @inlinable @inline(__always)
    public static func firstIndex(
        in bytes: UnsafeBufferPointer<UInt8>, from start: Int, wordMayMatch: (UInt64) -> Bool,
        matches: (UInt8) -> Bool
    ) -> Int? {
        var index = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                if wordMayMatch(word) {
                    var offset = index
                    while offset < index + 8 {
                        if matches(bytes[offset]) { return offset }
                        offset += 1
                    }
                }
                index += 8
            }
        }
        while index < bytes.count {
            if matches(bytes[index]) { return index }
            index += 1
        }
        return nil
    }

    @inlinable static var ones: UInt64 { 0x0101_0101_0101_0101 }
    @inlinable static var highBits: UInt64 { 0x8080_8080_8080_8080 }

    /// Whether a byte of `word` is below `limit` (at most 0x80): where subtracting the
    /// limit borrows and the byte's own high bit is clear.
    @inlinable @inline(__always)
    public static func hasByte(below limit: UInt8, in word: UInt64) -> Bool {
        (word &- ones &* UInt64(limit)) & ~word & highBits != 0
    }

    /// Whether a byte of `word` equals `byte`: the word with `byte` taken out (xor) has a
    /// byte below 1.
    @inlinable @inline(__always)
    public static func hasByte(_ byte: UInt8, in word: UInt64) -> Bool {
        hasByte(below: 1, in: word ^ (ones &* UInt64(byte)))
    }
}

extension ByteScanning {
    /// The first byte of `text` that `matches`, scanning as ``firstIndex(in:from:wordMayMatch:matches:)``.
    @inlinable @inline(__always)
    public static func firstByte(
        in text: String, wordMayMatch: (UInt64) -> Bool, matches: (UInt8) -> Bool
    ) -> UInt8? {
        var text = text
        return text.withUTF8 { bytes in
            firstIndex(in: bytes, from: 0, wordMayMatch: wordMayMatch, matches: matches).map { bytes[$0] }
        }
    }
}
