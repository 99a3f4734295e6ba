import Foundation
import RelaisCore
import Testing

@testable import RelaisStorage

// The packed form of an event's slots in its row (`start` or `start/end`, joined by `;`),
// read back byte by byte.
@Suite("Stored slots")
struct StoredSlotsTests {
    private func time(_ text: String) -> EventTime {
        guard let time = EventTime(parsing: text) else { fatalError("bad test time \(text)") }
        return time
    }

    @Test func packedSlotsReadBack() throws {
        let cases: [(String, [Slot])] = [
            ("2020-11-10T09:30:00+01:00", [Slot(start: time("2020-11-10T09:30:00+01:00"), end: nil)]),
            ("2020-11-17", [Slot(start: time("2020-11-17"), end: nil)]),
            (
                "2020-11-10T09:30:00+01:00/2020-11-10T11:30:00+01:00;2020-11-12/2020-11-13;2020-11-20T14:00:00+01:00",
                [
                    Slot(start: time("2020-11-10T09:30:00+01:00"), end: time("2020-11-10T11:30:00+01:00")),
                    Slot(start: time("2020-11-12"), end: time("2020-11-13")),
                    Slot(start: time("2020-11-20T14:00:00+01:00"), end: nil),
                ]
            ),
            ("@-3155760000.5", [Slot(start: .instant(Date(timeIntervalSinceReferenceDate: -3_155_760_000.5)), end: nil)]),
            ("#12000,2,30/#1,1,1", [
                Slot(start: .allDay(CivilDate(year: 12000, month: 2, day: 30)), end: .allDay(CivilDate(year: 1, month: 1, day: 1)))
            ]),
        ]
        for (text, expected) in cases {
            #expect(StoredEvent.unpackSlots(text) == expected, "\(text)")
        }
    }

    @Test(arguments: ["", ";", "2020-11-10;", ";2020-11-10", "2020-11-10/", "2020-11-10//2020-11-11", "2020-11-10/2020-11-11/x", "été", "2020-11-10/é"])
    func unreadableSlotsAreRefused(_ text: String) {
        #expect(StoredEvent.unpackSlots(text) == nil, "\(text)")
    }
}
