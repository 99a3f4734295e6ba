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
/// One builder lives for one import: its memory is a table of 256 KiB, one entry per
/// scalar of the Basic Multilingual Plane, and the folded bytes of the distinct scalars
/// met. A table rather than a dictionary: a French description has dozens of accented
/// letters, and hashing each one to look it up cost more than folding the ASCII around it.
struct SearchWords {
    /// Where each scalar's folding lies in ``foldedBytes``: `offset << 9 | needsWholeText
    /// << 8 | length`, or ``unknown`` until the scalar is first met. A folding is its
    /// folded scalars' UTF-8, with a 0 byte for each scalar that ends a word (0 is never
    /// part of a word).
    private var spans: [UInt32]
    /// The spans of scalars outside the Basic Multilingual Plane, which French text seldom has.
    private var astralSpans: [UInt32: UInt32] = [:]
    private var foldedBytes: [UInt8] = []

    /// Each byte's folding when it is ASCII: a letter lowered, a digit itself, 0 for
    /// anything else (it ends a word); 0xFF for the bytes of other scalars.
    private static let asciiFolding: [UInt8] = (0...255).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt8(byte) + 0x20
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(byte)
        case 0x80...: 0xFF
        default: 0
        }
    }

    private static let unknown = UInt32.max
    /// The span of a scalar whose folding has a combining mark that folding keeps: only
    /// the core's whole-text decomposition orders such marks correctly. Also given to a
    /// folding too long for a span (none is), so that the core folds it.
    private static let needsWholeText: UInt32 = 1 << 8
    private static let largestOffset = (1 << 23) - 1

    init() {
        spans = Array(repeating: Self.unknown, count: 0x10000)
    }

    /// The folded words of the event's `searchableText`, one space apart. The parts are
    /// folded one after the other rather than joined first: the newlines joining them
    /// separate words anyway.
    mutating func joinedWords(of event: Event) -> String {
        var output = WordBytes(
            capacity: 2 * (event.title.utf8.count + (event.description?.utf8.count ?? 0)
                + (event.organizer?.utf8.count ?? 0) + (event.place?.utf8.count ?? 0)) + 64)
        var folds = appendPart(event.title, to: &output)
        if folds, let description = event.description { folds = appendPart(description, to: &output) }
        if folds, let organizer = event.organizer { folds = appendPart(organizer, to: &output) }
        if folds, let place = event.place { folds = appendPart(place, to: &output) }
        for tag in event.tags where folds { folds = appendPart(tag, to: &output) }
        guard folds else { return TextFolding.words(event.searchableText).joined(separator: " ") }
        return output.string()
    }

    /// The folded words of `text`, one space apart.
    mutating func joinedWords(_ text: String) -> String {
        var output = WordBytes(capacity: 2 * text.utf8.count + 64)
        guard appendPart(text, to: &output) else {
            return TextFolding.words(text).joined(separator: " ")
        }
        return output.string()
    }

    /// Appends the folded words of one field: no word goes on from the field before.
    private mutating func appendPart(_ text: String, to output: inout WordBytes) -> Bool {
        var text = text
        return text.withUTF8 { append($0, to: &output) }
    }

    /// Appends the folded words of `bytes` (valid UTF-8) to `output`; false when the text
    /// needs the core's whole-text folding. ASCII (most of French text) is folded in
    /// place, other scalars are decoded and looked up.
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout WordBytes) -> Bool {
        // Each byte gives at most itself and the space before its word.
        output.reserve(2 * bytes.count + 1)
        var inWord = false
        var index = 0
        while index < bytes.count {
            // A run of ASCII, the output's end kept in locals: each byte is looked up in
            // a table that gives it lowered when it is a letter or digit, 0 when it ends a
            // word, and 0xFF when it is not ASCII.
            let out = output.start
            var written = output.count
            Self.asciiFolding.withUnsafeBufferPointer { folding in
                while index < bytes.count {
                    let folded = folding[Int(bytes[index])]
                    if folded == 0xFF { break }
                    index += 1
                    if folded == 0 {
                        inWord = false
                        continue
                    }
                    if !inWord {
                        if written > 0 {
                            out[written] = 0x20
                            written += 1
                        }
                        inWord = true
                    }
                    out[written] = folded
                    written += 1
                }
            }
            output.count = written
            guard index < bytes.count else { break }
            let byte = bytes[index]
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            guard index + length <= bytes.count else { return false }
            var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
            index += length
            guard let span = span(of: value), span & Self.needsWholeText == 0 else { return false }
            let start = Int(span >> 9)
            let end = start + Int(span & 0xFF)
            // A folding may be longer than its scalar: at most 255 bytes, each with a space.
            output.reserve(2 * (bytes.count - index) + 2 * (end - start))
            for position in start..<end {
                let folded = foldedBytes[position]
                if folded == 0 {
                    inWord = false
                } else {
                    if !inWord && output.count > 0 { output.append(0x20) }
                    inWord = true
                    output.append(folded)
                }
            }
        }
        return true
    }

    /// The span of the scalar `value`, folded and remembered the first time; nil when it
    /// is not a scalar.
    private mutating func span(of value: UInt32) -> UInt32? {
        if value < 0x10000, spans[Int(value)] != Self.unknown { return spans[Int(value)] }
        if value >= 0x10000, let known = astralSpans[value] { return known }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        let span = remember(Self.fold(scalar))
        if value < 0x10000 { spans[Int(value)] = span } else { astralSpans[value] = span }
        return span
    }

    /// Appends a folding to ``foldedBytes`` and returns its span.
    private mutating func remember(_ folded: Folded) -> UInt32 {
        var bytes: [UInt8] = []
        for part in folded.parts { bytes.append(contentsOf: part.isWordPart ? part.utf8 : [0]) }
        guard !folded.needsWholeText, bytes.count <= 0xFF, foldedBytes.count <= Self.largestOffset else {
            return Self.needsWholeText
        }
        let span = UInt32(foldedBytes.count) << 9 | UInt32(bytes.count)
        foldedBytes.append(contentsOf: bytes)
        return span
    }

    /// The folding of one scalar: its folded scalars as UTF-8, each with whether it
    /// belongs to a word.
    private struct Folded {
        var parts: [(utf8: [UInt8], isWordPart: Bool)] = []
        var needsWholeText = false
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

/// The folded words being written, in a buffer grown by hand: appending to an array byte
/// by byte checked its uniqueness and its capacity at every byte, a tenth of an import's
/// reading thread.
private struct WordBytes: ~Copyable {
    fileprivate private(set) var start: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Set by a writer that wrote through ``start`` within the room ``reserve(_:)`` made.
    fileprivate var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        start = .allocate(capacity: self.capacity)
    }

    /// Makes room for `extra` more bytes.
    mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let grown = max(2 * capacity, count + extra)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        larger.initialize(from: start, count: count)
        start.deallocate()
        start = larger
        capacity = grown
    }

    /// Appends a byte; ``reserve(_:)`` made room for it.
    mutating func append(_ byte: UInt8) {
        start[count] = byte
        count += 1
    }

    func string() -> String {
        String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    }

    deinit { start.deallocate() }
}
