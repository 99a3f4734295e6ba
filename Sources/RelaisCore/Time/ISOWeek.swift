import Foundation

/// An ISO-8601 week (`2020-W47`): Monday to Sunday, week 1 holding the year's first
/// Thursday. Days and bounds are read in Europe/Paris.
public struct ISOWeek: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let week: Int

    /// Parses `2020-W47` (also `2020W47`, lower-case `w`); nil for a week the year lacks.
    public init?(parsing text: String) {
        let upper = text.uppercased()
        let parts = upper.split(separator: "W", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        var yearText = parts[0]
        if yearText.hasSuffix("-") { yearText = yearText.dropLast() }
        let isDigits = { (text: Substring) in
            text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        guard yearText.count == 4, isDigits(yearText), let year = Int(yearText), parts[1].count == 2,
            isDigits(parts[1]), let week = Int(parts[1]), week >= 1, week <= ISOWeek.weeks(in: year)
        else { return nil }
        self.year = year
        self.week = week
    }

    public init?(year: Int, week: Int) {
        guard week >= 1, week <= ISOWeek.weeks(in: year) else { return nil }
        self.year = year
        self.week = week
    }

    /// The week a day belongs to.
    public init(containing day: CivilDate) {
        let thursday = day.adding(days: 4 - day.isoWeekday)
        let januaryFirst = CivilDate(year: thursday.year, month: 1, day: 1)
        year = thursday.year
        week = (thursday.daysSinceEpoch - januaryFirst.daysSinceEpoch) / 7 + 1
    }

    /// The week an instant falls in, in Paris.
    public init(containing instant: Date) {
        self.init(containing: CivilDate(parisDayOf: instant))
    }

    /// 52 or 53.
    public static func weeks(in year: Int) -> Int {
        ISOWeek(containing: CivilDate(year: year, month: 12, day: 28)).week
    }

    /// The Monday of the week.
    public var monday: CivilDate {
        let january4 = CivilDate(year: year, month: 1, day: 4)
        let firstMonday = january4.adding(days: 1 - january4.isoWeekday)
        return firstMonday.adding(days: (week - 1) * 7)
    }

    /// The Sunday of the week.
    public var sunday: CivilDate { monday.adding(days: 6) }

    /// The query window covering the whole week.
    public var days: ClosedRange<CivilDate> { monday...sunday }

    public func adding(weeks: Int) -> ISOWeek {
        ISOWeek(containing: monday.adding(days: 7 * weeks))
    }

    /// `2020-W47`.
    public var description: String { "\(year)-W\(week < 10 ? "0" : "")\(week)" }

    public static func < (lhs: ISOWeek, rhs: ISOWeek) -> Bool { (lhs.year, lhs.week) < (rhs.year, rhs.week) }
}
