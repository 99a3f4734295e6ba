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
    /// The folding of one non-ASCII scalar.
    private struct Folded {
        /// The folded scalars, each with whether it belongs to a word.
        var scalars: [(scalar: Unicode.Scalar, isWordPart: Bool)]
        /// The scalar decomposes to a combining mark that folding keeps: only the core's
        /// whole-text decomposition orders such marks correctly.
        var needsWholeText: Bool
    }

    private var cache: [UInt32: Folded] = [:]

    /// The folded words of `text`, one space apart.
    mutating func joinedWords(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        var inWord = false
        func append(_ scalar: Unicode.Scalar, isWordPart: Bool) {
            if isWordPart {
                if !inWord, !output.isEmpty { output.append(0x20) }
                inWord = true
                UTF8.encode(scalar) { output.append($0) }
            } else {
                inWord = false
            }
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                let byte = UInt8(value)
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    append(scalar, isWordPart: true)
                case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    append(Unicode.Scalar(byte + 0x20), isWordPart: true)
                default:
                    append(scalar, isWordPart: false)
                }
                continue
            }
            let folded = cache[value] ?? fold(scalar)
            if folded.needsWholeText {
                return TextFolding.words(text).joined(separator: " ")
            }
            for part in folded.scalars { append(part.scalar, isWordPart: part.isWordPart) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Folds one scalar by the rules of `TextFolding.fold`, and remembers it.
    private mutating func fold(_ scalar: Unicode.Scalar) -> Folded {
        var result = Folded(scalars: [], needsWholeText: false)
        for decomposed in String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars {
            switch decomposed.value {
            case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F:
                continue  // the accents the core drops
            case 0x0152, 0x0153:
                result.scalars += [("o", true), ("e", true)]
            case 0x00C6, 0x00E6:
                result.scalars += [("a", true), ("e", true)]
            case 0x00DF:
                result.scalars += [("s", true), ("s", true)]
            case 0x2018, 0x2019, 0x201B, 0x02BC, 0x2032, 0x00B4, 0x0060:
                result.scalars.append(("'", false))
            case 0x00A0, 0x202F, 0x2009:
                result.scalars.append((" ", false))
            default:
                if decomposed.properties.canonicalCombiningClass != .notReordered {
                    result.needsWholeText = true
                }
                for lowered in decomposed.properties.lowercaseMapping.unicodeScalars {
                    let isWordPart = lowered.properties.isAlphabetic || lowered.properties.numericType != nil
                    result.scalars.append((lowered, isWordPart))
                }
            }
        }
        cache[scalar.value] = result
        return result
    }
}
