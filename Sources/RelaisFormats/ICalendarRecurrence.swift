import RelaisCore

/// The part of RRULE (RFC 5545 §3.3.10) that programme calendars use: `FREQ=DAILY` or
/// `FREQ=WEEKLY`, with `INTERVAL`, `COUNT` or `UNTIL`, `BYDAY` (plain weekdays) and `WKST`.
///
/// Anything else is refused with a message rather than half-understood: a rule read
/// wrongly would silently give wrong slots.
struct ICalendarRecurrenceRule {
    enum Frequency { case daily, weekly }

    var frequency: Frequency
    var interval = 1
    var count: Int?
    var until: ICalendarTime?
    /// ISO weekdays (1 Monday … 7 Sunday); empty when the rule has no BYDAY.
    var weekdays: Set<Int> = []
    /// ISO weekday the week starts on, for WEEKLY rules with an INTERVAL.
    var weekStart = 1

    private static let weekdayCodes = ["MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6, "SU": 7]

    /// Parses an RRULE value. `untilZone` is the zone of DTSTART, for an UNTIL without `Z`.
    init(parsing text: String, untilZone: ICalendarZone) throws(ICalendarProblem) {
        func problem(_ message: String) -> ICalendarProblem {
            ICalendarProblem(field: "RRULE", message: message)
        }
        var frequency: Frequency?
        var seen = Set<String>()
        for part in text.split(separator: ";", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pieces.count == 2 else { throw problem("'\(part.prefix(40))' is not NAME=value") }
            let name = ICalendarText.keyword(pieces[0])
            let value = ICalendarText.keyword(pieces[1])
            guard seen.insert(name).inserted else { throw problem("\(name) is given twice") }
            switch name {
            case "FREQ":
                switch value {
                case "DAILY": frequency = .daily
                case "WEEKLY": frequency = .weekly
                default:
                    throw problem("FREQ=\(value.prefix(20)) is not supported (only DAILY and WEEKLY are)")
                }
            case "INTERVAL":
                guard let number = Self.number(value), (1...10_000).contains(number) else {
                    throw problem("INTERVAL must be a whole number from 1 to 10000, not '\(value.prefix(20))'")
                }
                interval = number
            case "COUNT":
                guard let number = Self.number(value), number >= 1 else {
                    throw problem("COUNT must be a whole number of at least 1, not '\(value.prefix(20))'")
                }
                count = number
            case "UNTIL":
                guard let time = ICalendarTime.parse(pieces[1], isDate: false, zone: untilZone) else {
                    throw problem("UNTIL=\(value.prefix(30)) is not a date (20201130) or date-time (20201130T230000Z)")
                }
                until = time
            case "BYDAY":
                for code in value.split(separator: ",") {
                    guard let weekday = Self.weekdayCodes[String(code)] else {
                        throw problem(
                            "BYDAY=\(code.prefix(20)) is not supported (only plain weekdays such as MO,WE,FR)")
                    }
                    weekdays.insert(weekday)
                }
                if weekdays.isEmpty { throw problem("BYDAY is empty") }
            case "WKST":
                guard let weekday = Self.weekdayCodes[value] else {
                    throw problem("WKST=\(value.prefix(20)) is not a weekday (MO, TU, … SU)")
                }
                weekStart = weekday
            default:
                throw problem("\(name.prefix(20)) is not supported (only FREQ, INTERVAL, COUNT, UNTIL, BYDAY, WKST)")
            }
        }
        guard let frequency else { throw problem("FREQ is missing") }
        if count != nil && until != nil { throw problem("COUNT and UNTIL cannot both be given") }
        if count == nil && until == nil {
            throw problem("needs COUNT or UNTIL: an endless repetition cannot become a list of slots")
        }
        self.frequency = frequency
    }

    private static func number(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(text)
    }

    /// The starts of the occurrences, DTSTART first (it always counts as the first, RFC
    /// 5545 §3.8.5.3), then in time order.
    ///
    /// Throws when the rule gives more than `limit` occurrences.
    func occurrences(from start: ICalendarTime, limit: Int) throws(ICalendarProblem) -> [ICalendarTime] {
        let tooMany = ICalendarProblem(
            field: "RRULE",
            message: "gives more than \(limit) occurrences, the most one event may have; lower COUNT or UNTIL")
        if let count, count > limit { throw tooMany }
        var result = [start]
        let startDay = start.day
        func accept(_ candidate: ICalendarTime) throws(ICalendarProblem) -> Bool {
            if let count, result.count >= count { return false }
            if isPastUntil(candidate) { return false }
            if result.count >= limit { throw tooMany }
            if candidate.day.year > 9999 {
                throw ICalendarProblem(field: "RRULE", message: "goes past the year 9999")
            }
            result.append(candidate)
            return true
        }
        switch frequency {
        case .daily:
            if !weekdays.isEmpty, interval % 7 == 0, !weekdays.contains(startDay.isoWeekday) { return result }
            var step = 1
            // With BYDAY, every run of 7 steps meets each weekday (7 is prime), so a match
            // comes at least once a week and the loop ends within 7 × limit steps.
            while step <= 7 * (limit + 1) {
                let candidate = start.adding(days: step * interval)
                step += 1
                if !weekdays.isEmpty, !weekdays.contains(candidate.day.isoWeekday) {
                    if isPastUntil(candidate) { return result }
                    continue
                }
                if try !accept(candidate) { return result }
            }
        case .weekly:
            let days = weekdays.isEmpty ? [startDay.isoWeekday] : Array(weekdays)
            let offsets = days.map { ($0 - weekStart + 7) % 7 }.sorted()
            let firstWeek = startDay.adding(days: -((startDay.isoWeekday - weekStart + 7) % 7))
            var week = 0
            while week <= limit + 1 {
                let weekDay = firstWeek.adding(days: week * 7 * interval)
                week += 1
                for offset in offsets {
                    let day = weekDay.adding(days: offset)
                    if day <= startDay { continue }
                    if try !accept(start.adding(days: day.daysSinceEpoch - startDay.daysSinceEpoch)) { return result }
                }
            }
        }
        return result
    }

    /// Whether `candidate` comes after UNTIL (which is inclusive).
    private func isPastUntil(_ candidate: ICalendarTime) -> Bool {
        guard let until else { return false }
        switch (until, candidate) {
        case (.date(let last), _):
            return candidate.day > last
        case (.dateTime(let last, _), .date(let day)):
            return day > last.date
        case (.dateTime(_, .utc), .dateTime):
            return (candidate.epochSeconds ?? 0) > (until.epochSeconds ?? 0)
        case (.dateTime(let last, _), .dateTime(let local, _)):
            return ICalendarTime.wallSeconds(local) > ICalendarTime.wallSeconds(last)
        }
    }
}
