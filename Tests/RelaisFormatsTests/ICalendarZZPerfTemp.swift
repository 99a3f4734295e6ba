import Foundation
import RelaisCore
import Testing
@testable import RelaisFormats

@Test func zzPerfTemp() throws {
    var events: [Event] = []
    let base = try ICalendarSamples.varied()
    for i in 0..<3000 { for e in base { var c = e; c.id = "\(e.id)-\(i)"; events.append(c) } }
    var t0 = Date()
    let text = try ICalendarFixtures.export(events)
    print("export", events.count, Date().timeIntervalSince(t0), text.utf8.count)
    t0 = Date()
    let doc = try ICalendarDocument(file: "x", bytes: Array(text.utf8))
    print("document", doc.events.count, Date().timeIntervalSince(t0))
    t0 = Date()
    let built = try ICalendarEventBuilder(file: "x").events(from: doc.events)
    print("build", built.count, Date().timeIntervalSince(t0))
    t0 = Date()
    for _ in 0..<100 { _ = TimeZone(identifier: "America/New_York") }
    print("tz x100", Date().timeIntervalSince(t0))
    t0 = Date()
    for i in 0..<10000 { _ = ParisTime.instant(LocalDateTime(date: CivilDate(year: 2020, month: 11, day: 1 + i % 28), hour: 9, minute: 30)) }
    print("paris x10000", Date().timeIntervalSince(t0))
}
