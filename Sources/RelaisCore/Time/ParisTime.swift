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
        instant(LocalDateTime(date: date, hour: 0, minute: 0))
    }

    /// The last second of `date` (23:59:59) in Paris. Correct on 23- and 25-hour days.
    public static func endOfDay(_ date: CivilDate) -> Date {
        startOfDay(date.adding(days: 1)).addingTimeInterval(-1)
    }

    /// Reads a wall-clock time in Paris. A time skipped by the spring change (02:30 on the
    /// last Sunday of March) is moved forward one hour; an ambiguous autumn time takes the
    /// first (summer-time) occurrence.
    public static func instant(_ local: LocalDateTime) -> Date {
        let wall = local.date.daysSinceEpoch * 86400 + local.hour * 3600 + local.minute * 60 + local.second
        guard let summer = ruleYears.contains(local.date.year) ? summerTime(in: local.date.year) : nil else {
            let components = DateComponents(
                year: local.date.year, month: local.date.month, day: local.date.day,
                hour: local.hour, minute: local.minute, second: local.second)
            return calendar.date(from: components) ?? Date(timeIntervalSince1970: Double(wall - 3600))
        }
        // Summer time runs from summer.start to summer.end (UTC seconds). In wall-clock
        // terms it starts at 02:00 (skipping to 03:00) and ends at 03:00 (back to 02:00).
        let asSummer = wall - 7200
        let asWinter = wall - 3600
        if asSummer >= summer.start && asSummer < summer.end { return Date(timeIntervalSince1970: Double(asSummer)) }
        if asWinter >= summer.start && asWinter < summer.end {
            // The skipped spring hour: move forward by one hour.
            return Date(timeIntervalSince1970: Double(asWinter))
        }
        return Date(timeIntervalSince1970: Double(asWinter))
    }

    /// The Paris wall-clock reading of an instant.
    public static func local(_ instant: Date) -> LocalDateTime {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down))
        let wall = seconds + offset(at: instant)
        let days = Int((Double(wall) / 86400).rounded(.down))
        let secondOfDay = wall - days * 86400
        return LocalDateTime(
            date: CivilDate(daysSinceEpoch: days), hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60)
    }

    /// The Paris UTC offset in seconds at an instant (3600 in winter, 7200 in summer).
    public static func offset(at instant: Date) -> Int {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down))
        // Years near the boundary of the rule go to the time-zone database.
        // Find the year's summer time in the precomputed table (years start within a
        // day of 1 January UTC, so checking the neighbours covers New Year's Eve).
        guard seconds >= summerTimes[0].yearStart, seconds < summerTimes[summerTimes.count - 1].yearEnd else {
            return zone.secondsFromGMT(for: instant)
        }
        let estimate = min(summerTimes.count - 1, max(0, (seconds - summerTimes[0].yearStart) / 31_556_952))
        var index = estimate
        while index > 0 && seconds < summerTimes[index].yearStart { index -= 1 }
        while index < summerTimes.count - 1 && seconds >= summerTimes[index].yearEnd { index += 1 }
        let summer = summerTimes[index]
        return seconds >= summer.start && seconds < summer.end ? 7200 : 3600
    }

    /// Years in which France follows the EU rule without exception: summer time from the
    /// last Sunday of March, 01:00 UTC, to the last Sunday of October, 01:00 UTC. Other
    /// years are read from the time-zone database. Computing the rule directly keeps the
    /// hot paths (every slot of every imported or exported event) off `Calendar`, which
    /// costs microseconds per call on Linux.
    static let ruleYears = 1997...2099

    /// Each rule year's bounds and summer time, in UTC seconds, computed once.
    private static let summerTimes: [(yearStart: Int, yearEnd: Int, start: Int, end: Int)] = ruleYears.compactMap {
        year in
        guard let summer = summerTime(in: year) else { return nil }
        return (
            CivilDate(year: year, month: 1, day: 1).daysSinceEpoch * 86400,
            CivilDate(year: year + 1, month: 1, day: 1).daysSinceEpoch * 86400, summer.start, summer.end
        )
    }

    /// Summer time of `year` in UTC seconds since 1970: [start, end).
    static func summerTime(in year: Int) -> (start: Int, end: Int)? {
        func lastSunday(month: Int) -> CivilDate {
            let last = CivilDate(year: year, month: month, day: 31)
            return last.adding(days: -(last.isoWeekday % 7))
        }
        let start = lastSunday(month: 3).daysSinceEpoch * 86400 + 3600
        let end = lastSunday(month: 10).daysSinceEpoch * 86400 + 3600
        return (start, end)
    }
}
