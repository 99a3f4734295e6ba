/// Searches text for the few ASCII bytes a format must escape or quote, eight bytes at a
/// time: most of a description is plain text between rare commas, and a million of them
/// pass through the writers.
enum ByteScanning {
    /// The index of the first byte of `bytes` from `start` on that `matches`, or nil.
    /// Words of eight bytes for which `wordMayMatch` is false are skipped whole, so it must
    /// be true of any word that holds a matching byte (it may be true of others too).
    @inline(__always)
    static func firstIndex(
        in bytes: UnsafeBufferPointer<UInt8>, from start: Int, wordMayMatch: (UInt64) -> Bool,
        matches: (UInt8) -> Bool
    ) -> Int? {
        var index = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                if wordMayMatch(word) { break }
                index += 8
            }
        }
        while index < bytes.count {
            if matches(bytes[index]) { return index }
            index += 1
        }
        return nil
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether a byte of `word` is below `limit` (at most 0x80): where subtracting the
    /// limit borrows and the byte's own high bit is clear.
    @inline(__always)
    static func hasByte(below limit: UInt8, in word: UInt64) -> Bool {
        (word &- ones &* UInt64(limit)) & ~word & highBits != 0
    }

    /// Whether a byte of `word` equals `byte`: the word with `byte` taken out (xor) has a
    /// byte below 1.
    @inline(__always)
    static func hasByte(_ byte: UInt8, in word: UInt64) -> Bool {
        hasByte(below: 1, in: word ^ (ones &* UInt64(byte)))
    }
}
