import Foundation
import RelaisCore
import Testing

@testable import RelaisFormats

private typealias F = ICalendarFixtures

/// The reader must answer every input with events or an ``ImportError``, never a trap.
@Suite("iCalendar reader robustness")
struct ICalendarRobustnessTests {
    /// A small deterministic generator, so a failure can be replayed.
    private struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }
    }

    private func parse(_ bytes: [UInt8]) -> Result<[Event], ImportError> {
        do {
            let document = try ICalendarDocument(file: "fuzz.ics", bytes: bytes)
            return .success(try ICalendarEventBuilder(file: "fuzz.ics").events(from: document.events).map(\.event))
        } catch let error as ImportError {
            return .failure(error)
        } catch {
            Issue.record("not an ImportError: \(error)")
            return .failure(ImportError(file: "fuzz.ics", location: nil, message: "\(error)"))
        }
    }

    /// The varied samples but the long one, so that each parse stays quick.
    private static func samples() throws -> [Event] {
        try ICalendarSamples.varied().filter { $0.id != "mip2020-long" }
    }

    private func seed() throws -> [UInt8] {
        let recurring = F.vevent(
            "serie", "DTSTART;TZID=America/New_York:20201103T100000", "DURATION:P1DT2H", "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=9",
            "EXDATE;TZID=America/New_York:20201105T100000", "RDATE;VALUE=DATE-TIME:20201201T100000Z",
            #"ORGANIZER;CN="A ^'B^'":mailto:a@b.fr"#)
            + F.vevent("serie", "RECURRENCE-ID;TZID=America/New_York:20201110T100000", "STATUS:CANCELLED")
        var text = try F.export(try Self.samples())
        text = text.replacingOccurrences(of: "END:VCALENDAR\r\n", with: recurring + "END:VCALENDAR\r\n")
        return Array(text.utf8)
    }

    @Test func seedReads() throws {
        let bytes = try seed()
        guard case .success(let events) = parse(bytes) else {
            Issue.record("the seed file does not read: \(parse(bytes))")
            return
        }
        #expect(events.count == (try Self.samples()).count + 1)
    }

    @Test func mutatedFilesNeverTrap() throws {
        let original = try seed()
        var random = Generator(state: 20_201_117)
        let interesting: [[UInt8]] = [
            [0x0D, 0x0A, 0x20], [0x0A], [0x3A], [0x3B], [0x22], [0x2C], [0x5C], [0xC3], [0xFF], [0x5E],
            Array("BEGIN:VEVENT\n".utf8), Array("END:VEVENT\n".utf8), Array("RRULE:FREQ=DAILY;UNTIL=99991231\n".utf8),
            Array("DURATION:P999999999W\n".utf8), Array("DTSTART:99991231T235959\n".utf8), Array("TZID=/".utf8),
            Array("RECURRENCE-ID:20201110T150000Z\n".utf8), Array("X-RELAIS-ID:serie\n".utf8),
        ]
        var outcomes = (read: 0, refused: 0)
        for _ in 0..<1000 {
            var bytes = original
            for _ in 0...random.next(4) {
                let position = random.next(bytes.count)
                switch random.next(4) {
                case 0: bytes.remove(at: position)
                case 1: bytes[position] = UInt8(truncatingIfNeeded: random.next(256))
                case 2: bytes.insert(contentsOf: interesting[random.next(interesting.count)], at: position)
                default: bytes.removeSubrange(position..<min(bytes.count, position + random.next(200)))
                }
                if bytes.isEmpty { bytes = original }
            }
            switch parse(bytes) {
            case .success: outcomes.read += 1
            case .failure(let error):
                outcomes.refused += 1
                #expect(error.file == "fuzz.ics")
                #expect(!error.message.isEmpty)
            }
        }
        #expect(outcomes.read > 0 && outcomes.refused > 0)
    }

    @Test func truncatedFilesNeverTrap() throws {
        let original = try seed()
        var position = 0
        while position < original.count {
            _ = parse(Array(original[..<position]))
            position += 37
        }
    }
}
