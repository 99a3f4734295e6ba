import Foundation
import RelaisCore

/// How an iCalendar DATE-TIME is anchored (RFC 5545 §3.3.5).
enum ICalendarZone: Hashable {
    /// `…Z`.
    case utc
    /// No `Z` and no `TZID`: read in Europe/Paris, like the interchange format's local times.
    case floating
    /// `TZID=…`, an IANA zone.
    case named(TimeZone)
}

/// A DATE or DATE-TIME value as written, before it becomes an ``EventTime``.
///
/// Recurrence rules step the calendar date and keep the wall-clock time, so the value
/// stays in its zone until the end.
enum ICalendarTime: Hashable {
    case date(CivilDate)
    case dateTime(LocalDateTime, ICalendarZone)

    /// The calendar day, in the value's own zone.
    var day: CivilDate {
        switch self {
        case .date(let day): day
        case .dateTime(let local, _): local.date
        }
    }

    var isDate: Bool {
        if case .date = self { return true }
        return false
    }

    /// The same wall-clock time `days` days later.
    func adding(days: Int) -> ICalendarTime {
        switch self {
        case .date(let day):
            return .date(day.adding(days: days))
        case .dateTime(var local, let zone):
            local.date = local.date.adding(days: days)
            return .dateTime(local, zone)
        }
    }

    /// Seconds since 1970 of a DATE-TIME; nil for a DATE.
    var epochSeconds: Int? {
        guard case .dateTime(let local, let zone) = self else { return nil }
        return Self.epochSeconds(local, zone)
    }

    /// The value in one of the interchange forms of contract §1, so that
    /// ``EventRecordDecoding`` reads it with the same rules as JSON: `2020-11-17`,
    /// `2020-11-10T09:30:00` (Paris wall clock) or `2020-11-10T08:30:00Z`.
    var interchangeText: String {
        switch self {
        case .date(let day):
            return day.description
        case .dateTime(let local, .utc):
            return Self.text(local) + "Z"
        case .dateTime(let local, .floating):
            return Self.text(local)
        case .dateTime(let local, .named(let zone)):
            if zone.identifier == ParisTime.zone.identifier { return Self.text(local) }
            return Self.utcText(epochSeconds: Self.epochSeconds(local, .named(zone)))
        }
    }

    // MARK: Conversions

    static func text(_ local: LocalDateTime) -> String {
        "\(local.date)T\(two(local.hour)):\(two(local.minute)):\(two(local.second))"
    }

    /// `2020-11-10T08:30:00Z` for an instant in whole seconds.
    static func utcText(epochSeconds seconds: Int) -> String {
        text(utcLocal(epochSeconds: seconds)) + "Z"
    }

    /// The UTC wall clock of an instant in whole seconds.
    static func utcLocal(epochSeconds seconds: Int) -> LocalDateTime {
        let days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400)
        let rest = seconds - days * 86400
        return LocalDateTime(
            date: CivilDate(daysSinceEpoch: days), hour: rest / 3600, minute: rest / 60 % 60, second: rest % 60)
    }

    /// The wall clock read as if it were UTC.
    static func wallSeconds(_ local: LocalDateTime) -> Int {
        local.date.daysSinceEpoch * 86400 + local.hour * 3600 + local.minute * 60 + local.second
    }

    /// The instant of a wall-clock time in a zone. Europe/Paris and floating times use
    /// ``ParisTime/instant(_:)``, as the interchange format does.
    static func epochSeconds(_ local: LocalDateTime, _ zone: ICalendarZone) -> Int {
        switch zone {
        case .utc:
            return wallSeconds(local)
        case .floating:
            return Int(ParisTime.instant(local).timeIntervalSince1970.rounded())
        case .named(let timeZone):
            if timeZone.identifier == ParisTime.zone.identifier {
                return Int(ParisTime.instant(local).timeIntervalSince1970.rounded())
            }
            return resolve(local, in: timeZone)
        }
    }

    /// RFC 5545 §3.3.5: a wall-clock time that occurs twice (autumn) is the first one; a
    /// time skipped by a spring change is read with the offset from before the gap.
    static func resolve(_ local: LocalDateTime, in zone: TimeZone) -> Int {
        let wall = wallSeconds(local)
        let before = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(wall - 86400)))
        let after = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(wall + 86400)))
        var valid: [Int] = []
        for offset in before == after ? [before] : [before, after] {
            let candidate = wall - offset
            if zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(candidate))) == offset {
                valid.append(candidate)
            }
        }
        return valid.min() ?? wall - before
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    // MARK: Parsing

    /// Parses a DATE (`20201117`) or DATE-TIME (`20201110T093000`, `…Z`) value.
    ///
    /// `isDate` is true for `VALUE=DATE`; an eight-digit value is read as a DATE even
    /// without it. `zone` applies to DATE-TIMEs without `Z`. Returns nil for anything else.
    static func parse(_ text: some StringProtocol, isDate: Bool, zone: ICalendarZone) -> ICalendarTime? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 8, let year = digits(bytes, 0, 4), let month = digits(bytes, 4, 2),
            let day = digits(bytes, 6, 2), (1...12).contains(month), day >= 1,
            day <= CivilDate.daysIn(month: month, year: year)
        else { return nil }
        let date = CivilDate(year: year, month: month, day: day)
        if bytes.count == 8 { return .date(date) }
        guard !isDate, bytes.count == 15 || bytes.count == 16, bytes[8] == UInt8(ascii: "T"),
            let hour = digits(bytes, 9, 2), let minute = digits(bytes, 11, 2), let second = digits(bytes, 13, 2),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let local = LocalDateTime(date: date, hour: hour, minute: minute, second: second)
        if bytes.count == 16 {
            guard bytes[15] == UInt8(ascii: "Z") || bytes[15] == UInt8(ascii: "z") else { return nil }
            return .dateTime(local, .utc)
        }
        return .dateTime(local, zone)
    }

    static func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start >= 0, count > 0, start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

/// A DURATION value (RFC 5545 §3.3.6): whole days (nominal: the same wall-clock time
/// that many days later) and seconds (exact).
struct ICalendarDuration: Hashable {
    var days: Int
    var seconds: Int

    static let maximumDays = 3_660_000

    /// Parses `P1D`, `PT1H30M`, `P2W`, `+P1DT12H`. Negative durations and anything else
    /// give nil.
    init?(parsing text: some StringProtocol) {
        var scalars = Substring(text).unicodeScalars[...]
        if scalars.first == "+" { scalars = scalars.dropFirst() }
        guard scalars.first == "P" || scalars.first == "p" else { return nil }
        scalars = scalars.dropFirst()
        var days = 0
        var seconds = 0
        var inTime = false
        var sawComponent = false
        var number = 0
        var digitCount = 0
        for scalar in scalars {
            switch scalar {
            case "0"..."9":
                guard digitCount < 9 else { return nil }
                number = number * 10 + Int(scalar.value - 48)
                digitCount += 1
            case "T", "t":
                guard !inTime, digitCount == 0 else { return nil }
                inTime = true
            default:
                guard digitCount > 0 else { return nil }
                switch (scalar, inTime) {
                case ("W", false), ("w", false): days += number * 7
                case ("D", false), ("d", false): days += number
                case ("H", true), ("h", true): seconds += number * 3600
                case ("M", true), ("m", true): seconds += number * 60
                case ("S", true), ("s", true): seconds += number
                default: return nil
                }
                sawComponent = true
                number = 0
                digitCount = 0
            }
        }
        // Ten thousand years is more than any calendar holds, and keeps the arithmetic small.
        guard sawComponent, digitCount == 0, days <= Self.maximumDays, seconds <= Self.maximumDays * 86400 else {
            return nil
        }
        self.days = days
        self.seconds = seconds
    }
}
