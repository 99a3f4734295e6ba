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

    /// The folded words of `text`, one space apart.
    mutating func joinedWords(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        var inWord = false
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                var byte = UInt8(truncatingIfNeeded: value)
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
            let folded: Folded
            if let cached = cache[value] {
                folded = cached
            } else {
                folded = Self.fold(scalar)
                cache[value] = folded
            }
            if folded.needsWholeText { return TextFolding.words(text).joined(separator: " ") }
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
        return String(decoding: output, as: UTF8.self)
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
