import Foundation
import Testing

@testable import RelaisCore

/// ParisTime computes the EU summer-time rule itself for speed: it must agree with the
/// time-zone database at every hour, including both changes of every year.
@Suite("Paris time rule")
struct ParisTimeRuleTests {
    @Test func offsetsAgreeWithTheTimeZoneDatabaseEveryHour() {
        let zone = TimeZone(identifier: "Europe/Paris")!
        var disagreements: [String] = []
        let start = Int(Date(timeIntervalSince1970: 0).addingTimeInterval(86400 * 365 * 25).timeIntervalSince1970)
        var seconds = start
        while seconds < 4_102_444_800 {  // until 2100
            let instant = Date(timeIntervalSince1970: Double(seconds))
            if ParisTime.offset(at: instant) != zone.secondsFromGMT(for: instant) {
                disagreements.append("\(instant)")
            }
            seconds += 3600
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    @Test func wallClockReadingsRoundTripOutsideTheChanges() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        for day in stride(from: 0, to: 366 * 3, by: 7) {
            let date = CivilDate(year: 2020, month: 1, day: 1).adding(days: day)
            for hour in [0, 1, 4, 9, 12, 23] {
                let local = LocalDateTime(date: date, hour: hour, minute: 30)
                let instant = ParisTime.instant(local)
                let expected = calendar.date(
                    from: DateComponents(year: date.year, month: date.month, day: date.day, hour: hour, minute: 30))
                #expect(instant == expected, "\(date) \(hour):30")
                #expect(ParisTime.local(instant) == local)
            }
        }
    }
}

/// Event.trimmed skips Foundation when no end is white space; it must trim exactly the same.
@Suite("Trimming")
struct TrimmingTests {
    @Test(arguments: [
        "", " ", "\t\n", "Atelier", " Atelier", "Atelier ", "« Pitch Toi »", "\u{A0}Forum\u{A0}", "Forum\u{202F}",
        "\u{3000}全角\u{3000}", "ligne\n", "\u{85}x", "x\u{2028}", "café", "…", "\r\nTexte\r\n", "\u{200B}x", "x\u{FEFF}", "\u{180E}x",
    ])
    func trimmedMatchesFoundation(text: String) {
        #expect(Event.trimmed(text) == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
