import Foundation

/// One occurrence of an event: a time range (`9h30–11h30`), a day, or a span of days.
///
/// An all-day `end` is inclusive (`2020-11-17`…`2020-11-27` covers eleven days). A slot
/// with no end is a single day (all-day) or a moment (instant).
public struct Slot: Hashable, Sendable {
    public var start: EventTime
    public var end: EventTime?

    public init(start: EventTime, end: EventTime? = nil) {
        self.start = start
        self.end = end
    }

    /// The first instant the slot covers in Paris.
    public var coveredStart: Date { start.earliestInstant }

    /// The last instant the slot covers in Paris: the end of the last day for all-day slots.
    public var coveredEnd: Date { (end ?? start).latestInstant }

    /// Whether the slot covers any instant of `[from, to]` (both inclusive).
    public func overlaps(from: Date, to: Date) -> Bool {
        coveredStart <= to && coveredEnd >= from
    }

    /// The years of Paris time a slot may fall in. Before 1970 Paris time has offsets
    /// that RFC 3339 cannot write (+00:09:21 before 1911) and calendars that disagree
    /// (Julian before 1582); the day after 9998 would be written with five digits. Inside
    /// them, every export reads back the same.
    public static let keptYears = 1970...9998

    /// Why an import refuses the slot although it is well formed: a time outside
    /// ``keptYears``. (An export writes what a catalogue holds, whatever the year.)
    public var yearsProblem: String? {
        if let time = Self.outsideKeptYears(start) ?? end.flatMap(Self.outsideKeptYears) {
            return "\(time) is outside the years Relais keeps (\(Self.keptYears.lowerBound)–\(Self.keptYears.upperBound))"
        }
        return nil
    }

    /// The first and last instants of ``keptYears`` in Paris.
    private static let keptInstants = (
        first: ParisTime.startOfDay(CivilDate(year: keptYears.lowerBound, month: 1, day: 1)),
        last: ParisTime.endOfDay(CivilDate(year: keptYears.upperBound, month: 12, day: 31))
    )

    /// `time` when it lies outside ``keptYears``: an instant compared with the bounds' instants
    /// (a million slots are checked by an import), a day by its year.
    private static func outsideKeptYears(_ time: EventTime) -> EventTime? {
        switch time {
        case .allDay(let day): return keptYears.contains(day.year) ? nil : time
        case .instant(let instant): return instant >= keptInstants.first && instant <= keptInstants.last ? nil : time
        }
    }

    /// Why the slot is invalid, or nil when it is valid: an end before its start, or an
    /// all-day start with a timed end (or the reverse).
    public var problem: String? {
        guard let end else { return nil }
        if start.isAllDay != end.isAllDay {
            return "start \(start) and end \(end) must both be days or both be date-times"
        }
        if end < start { return "end \(end) is before start \(start)" }
        return nil
    }
}
