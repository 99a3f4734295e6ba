import Foundation
import RelaisCore
import Testing

// Small helpers shared by the RelaisCore tests. Expected instants are computed with a
// Gregorian calendar in UTC, independently of the code under test.

/// The instant `y-m-d h:mi:s` UTC.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    return calendar.date(from: components)!
}

/// A day, written as in the interchange format.
func day(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> CivilDate {
    guard let date = CivilDate(parsing: text) else {
        Issue.record("'\(text)' is not a day", sourceLocation: sourceLocation)
        return CivilDate(year: 1970, month: 1, day: 1)
    }
    return date
}

/// A time in one of the contract's three forms.
func time(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> EventTime {
    guard let parsed = EventTime(parsing: text) else {
        Issue.record("'\(text)' is not a time", sourceLocation: sourceLocation)
        return .allDay(CivilDate(year: 1970, month: 1, day: 1))
    }
    return parsed
}

/// A slot from interchange texts.
func slot(_ start: String, _ end: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> Slot {
    Slot(start: time(start, sourceLocation: sourceLocation), end: end.map { time($0, sourceLocation: sourceLocation) })
}

/// A region that must exist.
func region(_ code: String, sourceLocation: SourceLocation = #_sourceLocation) -> Region {
    guard let found = Region(code: code) else {
        Issue.record("no region \(code)", sourceLocation: sourceLocation)
        return Region.all[0]
    }
    return found
}

/// A small valid event; tests change what they need.
func sampleEvent(
    id: String = "mip-2020-001", title: String = "Atelier design des politiques publiques",
    kind: EventKind = .workshop, status: EventStatus = .scheduled,
    slots: [Slot] = [slot("2020-11-10T09:30", "2020-11-10T11:30")], region: Region? = nil, online: Bool = false,
    lab: String? = nil, organizer: String? = nil, place: String? = nil, tags: [String] = [],
    description: String? = nil
) -> Event {
    Event(
        id: id, title: title, kind: kind, status: status, slots: slots, region: region, online: online, lab: lab,
        organizer: organizer, place: place, tags: tags, description: description)
}
