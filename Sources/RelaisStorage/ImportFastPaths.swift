import Foundation
import RelaisCore

/// A cheap check that lets `put` skip work the core would do for nothing.
///
/// Readers hand over events that `EventRecordDecoding` has already normalized, yet
/// `Event.normalized()` trims every text with Foundation, which on Linux costs about as
/// much as all the SQLite work of an import. This answers "already normalized?" without
/// trimming; when it cannot say yes, the core's `normalized()` runs, so the stored event
/// is always the core's normal form.
enum ImportFastPaths {
    /// The characters `normalized()` trims (Foundation's set, not Unicode's White_Space:
    /// they differ on U+200B).
    private static let trimmed = CharacterSet.whitespacesAndNewlines

    /// Whether `event.normalized()` would return `event` unchanged.
    static func isNormalized(_ event: Event) -> Bool {
        guard isInNormalForm(event.title) else { return false }
        for text in [event.organizer, event.place, event.url, event.contact, event.lab, event.description] {
            if let text, text.isEmpty || !isInNormalForm(text) { return false }
        }
        for list in [event.audience, event.tags] {
            for item in list where item.isEmpty || !isInNormalForm(item) { return false }
        }
        return true
    }

    /// True when neither end of `text` is a character `normalized()` trims, and no
    /// carriage return is left for it to make a line feed.
    private static func isInNormalForm(_ text: String) -> Bool {
        guard !Event.containsCarriageReturn(text) else { return false }
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return true }
        return !isTrimmedAway(first) && !isTrimmedAway(last)
    }

    /// Whether `normalized()` trims `scalar`; ASCII answered inline (tab to carriage
    /// return, and space), the rest by Foundation's set itself.
    private static func isTrimmedAway(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return (0x09...0x0D).contains(scalar.value) || scalar.value == 0x20 }
        return trimmed.contains(scalar)
    }
}
