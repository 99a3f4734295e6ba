import Foundation
import RelaisCore
import Testing

@testable import RelaisShell

@Suite struct EventTableTests {
    private func event(_ id: String, title: String, start: String, end: String? = nil, region: String? = "75") -> Event {
        Event(
            id: id, title: title, kind: .webinar,
            slots: [Slot(start: EventTime(parsing: start) ?? .allDay(CivilDate(year: 2020, month: 1, day: 1)),
                         end: end.flatMap { EventTime(parsing: $0) })],
            region: region.flatMap { Region(code: $0) }, lab: "la-base")
    }

    @Test func columnsAlignAndCountIsShown() {
        var table = EventTable(width: 120)
        table.append(event("a", title: "Webinaire de lancement", start: "2020-11-06T10:00", end: "2020-11-06T11:30"))
        table.append(event("b", title: "Forum « Entreprendre dans la Culture »", start: "2020-11-17", end: "2020-11-27"))
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("Quand"))
        #expect(lines[2].hasPrefix("ven. 6 nov. 2020 10h"))
        #expect(lines[3].hasPrefix("17–27 nov. 2020"))
        // The title column starts at the same offset on every row.
        let titleOffsets = [lines[2], lines[3]].map { line in line.range(of: line.contains("Webinaire") ? "Webinaire" : "Forum")!.lowerBound.utf16Offset(in: line) }
        let headerOffset = lines[0].range(of: "Titre")!.lowerBound.utf16Offset(in: lines[0])
        #expect(Set(titleOffsets) == [headerOffset])
        #expect(lines[4] == "2 événements")
    }

    @Test func longTitlesAreShortenedToTheWidth() {
        var table = EventTable(width: 60)
        table.append(event("a", title: String(repeating: "innovation ", count: 20), start: "2020-11-06"))
        for line in table.render().split(separator: "\n") {
            #expect(line.count <= 60, "line too wide: \(line)")
        }
        #expect(table.render().contains("…"))
    }

    @Test func severalSlotsShowTheFirstAndACount() {
        var e = event("a", title: "Table ronde", start: "2020-11-17T14:00")
        e.slots.append(Slot(start: .allDay(CivilDate(year: 2020, month: 11, day: 10))))
        var table = EventTable(width: 100)
        table.append(e)
        #expect(table.render().contains("mar. 10 nov. 2020 (+1)"))
    }

    @Test func nationalAndOnlineEventsAreLabelled() {
        var table = EventTable(width: 100)
        var online = event("a", title: "En ligne", start: "2020-11-06", region: nil)
        online.online = true
        table.append(online)
        table.append(event("b", title: "National", start: "2020-11-07", region: nil))
        let text = table.render()
        #expect(text.contains("en ligne"))
        #expect(text.contains("national"))
    }
}

@Suite struct ProgressReporterTests {
    @Test func disabledReporterDrawsNothing() {
        final class Lines: @unchecked Sendable { var items: [String] = [] }
        let lines = Lines()
        let progress = ProgressReporter(label: "Importing", total: 10, enabled: false) { lines.items.append($0) }
        for i in 0...4096 { progress.update(i) }
        progress.finish()
        #expect(lines.items.isEmpty)
    }

    @Test func enabledReporterDrawsAndClears() {
        final class Lines: @unchecked Sendable { var items: [String] = [] }
        let lines = Lines()
        let progress = ProgressReporter(label: "Exporting", total: 2048, enabled: true) { lines.items.append($0) }
        progress.update(1024)
        progress.finish()
        #expect(lines.items.count == 2)
        #expect(lines.items[0].contains("Exporting"))
        #expect(lines.items[0].contains("50%"))
        #expect(lines.items[1] == "\r\u{1B}[K")
    }

    @Test func lineWithoutTotalCountsEvents() {
        let progress = ProgressReporter(label: "Importing x.jsonl", enabled: false) { _ in }
        #expect(progress.line(done: 1_234_567, elapsed: 1) == "Importing x.jsonl: 1\u{202F}234\u{202F}567 events (1\u{202F}234\u{202F}567/s)")
    }
}
