import Foundation

/// The programme's reference clock: every local time, day boundary, ISO week and French
/// date in Relais is read in Europe/Paris.
public enum ParisTime {
    /// The Europe/Paris time zone. Falls back to a fixed +01:00 only if the system has no
    /// time-zone database at all, which `scripts/` prevents by installing `tzdata`.
    public static let zone: TimeZone =
        TimeZone(identifier: "Europe/Paris") ?? TimeZone(secondsFromGMT: 3600) ?? .gmt

    /// A Gregorian calendar in Europe/Paris, Monday first, ISO-8601 week rules.
    public static let calendar: Calendar = {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = zone
        calendar.locale = Locale(identifier: "fr_FR")
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        return calendar
    }()

    /// The instant at which `date` begins (00:00) in Paris.
    public static func startOfDay(_ date: CivilDate) -> Date {
        let components = DateComponents(year: date.year, month: date.month, day: date.day, hour: 0)
        return calendar.date(from: components) ?? Date(timeIntervalSince1970: 0)
    }

    /// The last second of `date` (23:59:59) in Paris. Correct on 23- and 25-hour days.
    public static func endOfDay(_ date: CivilDate) -> Date {
        startOfDay(date.adding(days: 1)).addingTimeInterval(-1)
    }

    /// Reads a wall-clock time in Paris. A time skipped by the spring change (02:30 on the
    /// last Sunday of March) is moved forward one hour; an ambiguous autumn time takes the
    /// first (summer-time) occurrence.
    public static func instant(_ local: LocalDateTime) -> Date {
        let components = DateComponents(
            year: local.date.year, month: local.date.month, day: local.date.day,
            hour: local.hour, minute: local.minute, second: local.second)
        return calendar.date(from: components) ?? Date(timeIntervalSince1970: 0)
    }

    /// The Paris wall-clock reading of an instant.
    public static func local(_ instant: Date) -> LocalDateTime {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        return LocalDateTime(
            date: CivilDate(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1),
            hour: c.hour ?? 0, minute: c.minute ?? 0, second: c.second ?? 0)
    }

    /// The Paris UTC offset in seconds at an instant (3600 in winter, 7200 in summer).
    public static func offset(at instant: Date) -> Int {
        zone.secondsFromGMT(for: instant)
    }
}
