import Foundation

/// French date and time wording for tables, agendas and digests, in Europe/Paris:
/// `mardi 10 novembre 2020, 9h30–11h30`, `du 17 au 27 novembre 2020`, `le 24 novembre 2020`.
public enum FrenchDates {
    public static let weekdays = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    public static let months = [
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
        "novembre", "décembre",
    ]

    /// `1er`, `2`, … (French writes the first of the month as an ordinal).
    public static func dayNumber(_ day: Int) -> String { day == 1 ? "1er" : String(day) }

    /// `mardi 10 novembre 2020` (weekday and year optional).
    public static func day(_ date: CivilDate, weekday: Bool = true, year: Bool = true) -> String {
        var text = "\(dayNumber(date.day)) \(months[date.month - 1])"
        if weekday { text = weekdays[date.isoWeekday - 1] + " " + text }
        if year { text += " \(date.year)" }
        return text
    }

    /// `9h30`, `14h` (minutes left out on the hour).
    public static func time(_ local: LocalDateTime) -> String {
        local.minute == 0 ? "\(local.hour)h" : "\(local.hour)h\(local.minute < 10 ? "0" : "")\(local.minute)"
    }

    /// `mardi 10 novembre 2020, 9h30`.
    public static func instant(_ instant: Date, weekday: Bool = true, year: Bool = true) -> String {
        let local = ParisTime.local(instant)
        return "\(day(local.date, weekday: weekday, year: year)), \(time(local))"
    }

    /// A slot in words:
    /// - `mardi 10 novembre 2020, 9h30–11h30` (a time range within a day, or `, 9h30` alone);
    /// - `du mardi 10 novembre 2020, 9h30 au mercredi 11 novembre 2020, 17h` (across days);
    /// - `le 24 novembre 2020` (one day);
    /// - `du 17 au 27 novembre 2020`, `du 30 novembre au 2 décembre 2020`,
    ///   `du 28 décembre 2020 au 3 janvier 2021` (a span of days).
    ///
    /// With `year: false` (digests, where the week gives the year) years are left out,
    /// except where the slot runs into another year: `mardi 17 novembre, 9h30–11h30`.
    public static func slot(_ slot: Slot, year: Bool = true) -> String {
        let crossesYears: Bool
        switch (slot.start, slot.end) {
        case (_, nil): crossesYears = false
        case (let start, let end?): crossesYears = start.parisDay.year != end.parisDay.year
        }
        let withYear = year || crossesYears
        func dayText(_ date: CivilDate, weekday: Bool = true) -> String { day(date, weekday: weekday, year: withYear) }
        func instantText(_ instant: Date) -> String {
            let local = ParisTime.local(instant)
            return "\(dayText(local.date)), \(time(local))"
        }
        switch (slot.start, slot.end) {
        case (.allDay(let start), nil):
            return "le " + dayText(start, weekday: false)
        case (.allDay(let start), .allDay(let end)?):
            if start == end { return "le " + dayText(start, weekday: false) }
            return span(from: start, to: end, year: withYear)
        case (.instant(let start), nil):
            return instantText(start)
        case (.instant(let start), .instant(let end)?):
            let startLocal = ParisTime.local(start)
            let endLocal = ParisTime.local(end)
            if startLocal.date == endLocal.date {
                if start == end { return instantText(start) }
                return "\(dayText(startLocal.date)), \(time(startLocal))–\(time(endLocal))"
            }
            return "du \(instantText(start)) au \(instantText(end))"
        case (.allDay(let start), .instant(let end)?):
            return "du \(dayText(start)) au \(instantText(end))"
        case (.instant(let start), .allDay(let end)?):
            return "du \(instantText(start)) au \(dayText(end))"
        }
    }

    /// `du 17 au 27 novembre 2020`, sharing month and year where the two days share them
    /// (`du 17 au 27 novembre` without the year).
    public static func span(from start: CivilDate, to end: CivilDate, year: Bool = true) -> String {
        if start.year != end.year {
            return "du \(day(start, weekday: false)) au \(day(end, weekday: false))"
        }
        if start.month != end.month {
            return "du \(dayNumber(start.day)) \(months[start.month - 1]) au \(day(end, weekday: false, year: year))"
        }
        return "du \(dayNumber(start.day)) au \(day(end, weekday: false, year: year))"
    }

    /// A week's title: `Semaine du 16 au 22 novembre 2020`, `Semaine du 30 novembre au
    /// 6 décembre 2020`, `Semaine du 28 décembre 2020 au 3 janvier 2021`.
    public static func weekTitle(_ week: ISOWeek) -> String {
        "Semaine " + span(from: week.monday, to: week.sunday)
    }

    /// Formats with a pattern: `%A` weekday, `%d` day number (`1er`), `%e` plain day number,
    /// `%B` month, `%m` month number, `%Y` year, `%H` hour, `%M` minutes (two digits),
    /// `%h` French time (`9h30`), `%%` a percent sign. For a day, time tokens are empty.
    public static func format(_ time: EventTime, pattern: String) -> String {
        let local: LocalDateTime
        let hasTime: Bool
        switch time {
        case .allDay(let date):
            local = LocalDateTime(date: date, hour: 0, minute: 0)
            hasTime = false
        case .instant(let instant):
            local = ParisTime.local(instant)
            hasTime = true
        }
        var output = ""
        var iterator = pattern.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                output.append(character)
                continue
            }
            guard let token = iterator.next() else {
                output.append("%")
                break
            }
            switch token {
            case "A": output += weekdays[local.date.isoWeekday - 1]
            case "d": output += dayNumber(local.date.day)
            case "e": output += String(local.date.day)
            case "B": output += months[local.date.month - 1]
            case "m": output += EventTime.two(local.date.month)
            case "Y": output += String(local.date.year)
            case "H": output += hasTime ? EventTime.two(local.hour) : ""
            case "M": output += hasTime ? EventTime.two(local.minute) : ""
            case "h": output += hasTime ? FrenchDates.time(local) : ""
            case "%": output += "%"
            default:
                output.append("%")
                output.append(token)
            }
        }
        return output
    }
}
