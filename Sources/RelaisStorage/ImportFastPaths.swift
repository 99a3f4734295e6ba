import Foundation
import RelaisCore

/// Cheap checks that let `put` skip work the core would do for nothing.
///
/// Readers hand over events that `EventRecordDecoding` has already normalized and
/// validated, yet `Event.normalized()` and `Event.validationProblem()` trim every text with
/// Foundation, which on Linux cost more than all the SQLite work of an import together.
/// These checks answer "already normalized?" and "surely valid?" without trimming; when
/// they cannot say yes, the core's own functions run, so the outcome is always the core's.
enum ImportFastPaths {
    /// The characters `normalized()` trims (Foundation's set, not Unicode's White_Space:
    /// they differ on U+200B).
    private static let trimmed = CharacterSet.whitespacesAndNewlines

    /// Whether `event.normalized()` would return `event` unchanged.
    static func isNormalized(_ event: Event) -> Bool {
        guard isTrimmed(event.title) else { return false }
        for text in [event.organizer, event.place, event.url, event.contact, event.lab, event.description] {
            if let text, text.isEmpty || !isTrimmed(text) { return false }
        }
        for list in [event.audience, event.tags] {
            for item in list where item.isEmpty || !isTrimmed(item) { return false }
        }
        return true
    }

    /// True when neither end of `text` is a character `normalized()` trims.
    private static func isTrimmed(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return true }
        return !trimmed.contains(first) && !trimmed.contains(last)
    }

    /// True only when `event.validationProblem()` is surely nil for this normalized event;
    /// false means "ask `validationProblem()`". Lengths are bounded by UTF-8 byte counts,
    /// which are never smaller than character counts, so no string is walked.
    static func isSurelyValid(_ event: Event) -> Bool {
        guard Event.isValidID(event.id), !event.title.isEmpty,
            event.title.utf8.count <= Event.Limits.titleLength.upperBound, !event.slots.isEmpty
        else { return false }
        for slot in event.slots where slot.problem != nil { return false }
        if let lab = event.lab, !Event.isValidLabID(lab) { return false }
        if let description = event.description, description.utf8.count > Event.Limits.descriptionLength {
            return false
        }
        return true
    }
}
