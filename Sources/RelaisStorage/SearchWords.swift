import Foundation
import RelaisCore

/// Builds the text of the full-text index: `TextFolding.words(text)` joined by spaces,
/// computed faster than the core does.
///
/// `TextFolding.fold` decomposes the whole text with Foundation and looks up Unicode
/// properties scalar by scalar; on an import of French descriptions that was the largest
/// cost after trimming. Here each distinct non-ASCII scalar is folded once (its canonical
/// decomposition, then exactly the core's rules) and remembered, and ASCII is folded
/// inline. Decomposing scalar by scalar equals decomposing the whole text except where
/// canonical reordering moves combining marks the folding keeps (Hebrew points, say): a
/// text with such a mark goes through `TextFolding.words` itself. A test compares the two
/// over every scalar of the Basic Multilingual Plane, so a change to the core's folding
/// that this copy misses fails the build's tests rather than the searches.
///
/// One builder lives for one import: its memory is bounded by the number of distinct
/// scalars in the imported text.
struct SearchWords {
    /// The folding of one non-ASCII scalar: its folded scalars as UTF-8, each with whether
    /// it belongs to a word.
    private struct Folded {
        var parts: [(utf8: [UInt8], isWordPart: Bool)] = []
        /// The scalar decomposes to a combining mark that folding keeps: only the core's
        /// whole-text decomposition orders such marks correctly.
        var needsWholeText = false
    }

    private var cache: [UInt32: Folded] = [:]

    /// The folded words of the event's `searchableText`, one space apart. The parts are
    /// folded one after the other rather than joined first: the newlines joining them
    /// separate words anyway.
    mutating func joinedWords(of event: Event) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(
            event.title.utf8.count + (event.description?.utf8.count ?? 0) + (event.organizer?.utf8.count ?? 0) + 64)
        var inWord = false
        var parts = [event.title]
        if let description = event.description { parts.append(description) }
        if let organizer = event.organizer { parts.append(organizer) }
        if let place = event.place { parts.append(place) }
        parts.append(contentsOf: event.tags)
        for part in parts {
            inWord = false
            guard append(part, to: &output, inWord: &inWord) else {
                return TextFolding.words(event.searchableText).joined(separator: " ")
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The folded words of `text`, one space apart.
    mutating func joinedWords(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        var inWord = false
        guard append(text, to: &output, inWord: &inWord) else {
            return TextFolding.words(text).joined(separator: " ")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the folded words of `text` to `output`; false when the text needs the
    /// core's whole-text folding. Walks the UTF-8 bytes: ASCII (most of French text) is
    /// folded in place, other scalars are decoded and looked up.
    private mutating func append(_ text: String, to output: inout [UInt8], inWord: inout Bool) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var index = 0
            while index < bytes.count {
                var byte = bytes[index]
                if byte < 0x80 {
                    index += 1
                    if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte += 0x20 }
                    if (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                        || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    {
                        if !inWord && !output.isEmpty { output.append(0x20) }
                        inWord = true
                        output.append(byte)
                    } else {
                        inWord = false
                    }
                    continue
                }
                // A valid multi-byte sequence (Swift strings hold valid UTF-8).
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                guard index + length <= bytes.count else { return false }
                var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
                index += length
                let folded: Folded
                if let cached = cache[value] {
                    folded = cached
                } else {
                    guard let scalar = Unicode.Scalar(value) else { return false }
                    folded = Self.fold(scalar)
                    cache[value] = folded
                }
                if folded.needsWholeText { return false }
                for part in folded.parts {
                    if part.isWordPart {
                        if !inWord && !output.isEmpty { output.append(0x20) }
                        inWord = true
                        output.append(contentsOf: part.utf8)
                    } else {
                        inWord = false
                    }
                }
            }
            return true
        }
    }

    /// Folds one scalar by the rules of `TextFolding.fold`.
    private static func fold(_ scalar: Unicode.Scalar) -> Folded {
        var result = Folded()
        func add(_ folded: Unicode.Scalar, isWordPart: Bool) {
            var bytes: [UInt8] = []
            UTF8.encode(folded) { bytes.append($0) }
            result.parts.append((bytes, isWordPart))
        }
        for decomposed in String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars {
            switch decomposed.value {
            case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F:
                continue  // the accents the core drops
            case 0x0152, 0x0153:
                add("o", isWordPart: true)
                add("e", isWordPart: true)
            case 0x00C6, 0x00E6:
                add("a", isWordPart: true)
                add("e", isWordPart: true)
            case 0x00DF:
                add("s", isWordPart: true)
                add("s", isWordPart: true)
            case 0x2018, 0x2019, 0x201B, 0x02BC, 0x2032, 0x00B4, 0x0060:
                add("'", isWordPart: false)
            case 0x00A0, 0x202F, 0x2009:
                add(" ", isWordPart: false)
            default:
                if decomposed.properties.canonicalCombiningClass != .notReordered {
                    result.needsWholeText = true
                }
                for lowered in decomposed.properties.lowercaseMapping.unicodeScalars {
                    add(lowered, isWordPart: lowered.properties.isAlphabetic || lowered.properties.numericType != nil)
                }
            }
        }
        return result
    }
}
