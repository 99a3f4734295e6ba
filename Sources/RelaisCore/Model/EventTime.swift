import Foundation

/// When a slot starts or ends: a whole day (all-day) or an instant.
///
/// Text forms (contract §1): `2020-11-17` (a day), `2020-11-10T09:30` (Paris wall clock),
/// `2020-11-10T09:30:00+01:00` or `…Z` (RFC 3339). Instants are written back as RFC 3339
/// with the Paris offset of that instant, so a written time always reads back the same.
public enum EventTime: Hashable, Sendable, CustomStringConvertible {
    case allDay(CivilDate)
    case instant(Date)

    /// Parses one of the three forms; nil for anything else (including impossible days,
    /// hours past 23 or offsets past ±18:00). Times are kept to the second: a fraction of a
    /// second is checked and dropped, so that ``description`` always reads back the same.
    /// A Paris wall-clock time follows ``ParisTime/instant(_:)`` across the clock changes.
    public init?(parsing text: some StringProtocol) {
        guard let time = withUTF8(of: text, Self.parse) else { return nil }
        self = time
    }

    /// ``init(parsing:)`` on UTF-8 bytes, for readers that hold bytes rather than strings.
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let time = Self.parse(bytes) else { return nil }
        self = time
    }

    /// ``init(parsing:)`` on the UTF-8 bytes of the text (no copy: a million slot times are
    /// parsed when a catalogue is exported).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> EventTime? {
        if bytes.count == 10 {
            guard let day = CivilDate.parse(bytes) else { return nil }
            return .allDay(day)
        }
        guard bytes.count >= 16,
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
            let day = CivilDate.parse(UnsafeBufferPointer(rebasing: bytes[0..<10])),
            let hour = CivilDate.digits(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"),
            let minute = CivilDate.digits(bytes, 14, 2), hour < 24, minute < 60
        else { return nil }
        var index = 16
        var second = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            guard let s = CivilDate.digits(bytes, index + 1, 2), s < 60 else { return nil }
            second = s
            index += 3
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",") {
                index += 1
                let start = index
                while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                    index += 1
                }
                if index == start { return nil }
            }
        }
        let local = LocalDateTime(date: day, hour: hour, minute: minute, second: second)
        if index == bytes.count { return .instant(ParisTime.instant(local)) }
        var offset: Int
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
            offset = 0
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard bytes.count == index + 6, bytes[index + 3] == UInt8(ascii: ":"),
                let oh = CivilDate.digits(bytes, index + 1, 2), let om = CivilDate.digits(bytes, index + 4, 2),
                om < 60, oh * 60 + om <= 18 * 60
            else { return nil }
            offset = (oh * 3600 + om * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let seconds = Double(day.daysSinceEpoch) * 86400 + Double(hour * 3600 + minute * 60 + second - offset)
        return .instant(Date(timeIntervalSince1970: seconds))
    }

    /// True for a whole-day time.
    public var isAllDay: Bool {
        if case .allDay = self { return true }
        return false
    }

    /// The first instant this time covers in Paris (midnight for a day).
    public var earliestInstant: Date {
        switch self {
        case .allDay(let day): return ParisTime.startOfDay(day)
        case .instant(let instant): return instant
        }
    }

    /// The last instant this time covers in Paris (23:59:59 for a day).
    public var latestInstant: Date {
        switch self {
        case .allDay(let day): return ParisTime.endOfDay(day)
        case .instant(let instant): return instant
        }
    }

    /// The Paris day this time falls on.
    public var parisDay: CivilDate {
        switch self {
        case .allDay(let day): return day
        case .instant(let instant): return CivilDate(parisDayOf: instant)
        }
    }

    /// The interchange text: `2020-11-17` or `2020-11-10T09:30:00+01:00`.
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(25)
        appendText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the interchange text as UTF-8: the exporters' hot path, without building
    /// intermediate strings.
    public func appendText(to bytes: inout [UInt8]) {
        switch self {
        case .allDay(let day):
            day.appendText(to: &bytes)
        case .instant(let instant):
            let whole = instant.timeIntervalSince1970.rounded(.down)
            let offset = ParisTime.offset(at: Date(timeIntervalSince1970: whole))
            let localSeconds = Int(whole) + offset
            let days = Int((Double(localSeconds) / 86400).rounded(.down))
            let secondsOfDay = localSeconds - days * 86400
            CivilDate(daysSinceEpoch: days).appendText(to: &bytes)
            bytes.append(UInt8(ascii: "T"))
            CivilDate.appendDigits(secondsOfDay / 3600, width: 2, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            CivilDate.appendDigits(secondsOfDay / 60 % 60, width: 2, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            CivilDate.appendDigits(secondsOfDay % 60, width: 2, to: &bytes)
            bytes.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            CivilDate.appendDigits(abs(offset) / 3600, width: 2, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            CivilDate.appendDigits(abs(offset) / 60 % 60, width: 2, to: &bytes)
        }
    }

    static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}

extension EventTime: Comparable {
    /// Orders by first covered instant; a day sorts at its Paris midnight.
    public static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.earliestInstant < rhs.earliestInstant
    }
}
