import Foundation

/// Folds French text for matching: case, accents, the ligatures œ/æ and apostrophe
/// variants are ignored, so `evenement` matches `Événement` and `coeur` matches `cœur`.
///
/// The same folding is applied to stored text and to queries, by every store and by the
/// Lua `relais.text.fold`, so that all of them agree on what matches.
public enum TextFolding {
    /// Lower-cases, strips diacritics, expands œ→oe, æ→ae, ß→ss and turns typographic
    /// apostrophes and quotes into `'`. Other characters are kept.
    public static func fold(_ text: some StringProtocol) -> String {
        var ascii = true
        for byte in text.utf8 where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return text.lowercased() }
        var output = String.UnicodeScalarView()
        for scalar in String(text).decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.value {
            case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F:
                continue  // combining marks: the accents themselves
            case 0x0152, 0x0153:
                output.append("o")
                output.append("e")
            case 0x00C6, 0x00E6:
                output.append("a")
                output.append("e")
            case 0x00DF:
                output.append("s")
                output.append("s")
            case 0x2018, 0x2019, 0x201B, 0x02BC, 0x2032, 0x00B4, 0x0060:
                output.append("'")
            case 0x00A0, 0x202F, 0x2009:
                output.append(" ")
            default:
                for lowered in scalar.properties.lowercaseMapping.unicodeScalars { output.append(lowered) }
            }
        }
        return String(output)
    }

    /// The folded words of a text: maximal runs of letters and digits. Apostrophes split
    /// words, so `l’innovation` gives `l` and `innovation`.
    public static func words(_ text: some StringProtocol) -> [String] {
        var result: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in fold(text).unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.append(scalar)
            } else if !current.isEmpty {
                result.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { result.append(String(current)) }
        return result
    }

    /// A key for matching names loosely: folded, with spaces, hyphens, apostrophes and
    /// other punctuation removed (`Île-de-France`, `ile de france` → `iledefrance`).
    public static func nameKey(_ text: some StringProtocol) -> String {
        words(text).joined()
    }

    /// Whether every word of `query` is a prefix of some word of `text`, after folding.
    public static func matches(query: [String], in text: some StringProtocol) -> Bool {
        if query.isEmpty { return true }
        let textWords = words(text)
        return query.allSatisfy { q in textWords.contains { $0.hasPrefix(q) } }
    }
}
