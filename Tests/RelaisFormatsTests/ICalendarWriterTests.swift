import Foundation
import RelaisCore
import Testing

@testable import RelaisFormats

private typealias F = ICalendarFixtures

@Suite("iCalendar writer")
struct ICalendarWriterTests {
    private func event(
        id: String = "mip2020-atelier", title: String = "Atelier", slots: [Slot], status: EventStatus = .scheduled
    ) -> Event {
        Event(id: id, title: title, kind: .workshop, status: status, slots: slots)
    }

    @Test func writesHeaderTimeZoneAndFooterWithCRLF() throws {
        let text = try F.export([event(slots: [Slot(start: try F.day("2020-11-17"))])])
        #expect(text.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Relais//Relais//FR\r\nCALSCALE:GREGORIAN\r\n"))
        #expect(text.hasSuffix("END:VEVENT\r\nEND:VCALENDAR\r\n"))
        // Every LF is part of a CRLF, and no CR stands alone.
        let bytes = Array(text.utf8)
        for (index, byte) in bytes.enumerated() where byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D) }
        for (index, byte) in bytes.enumerated() where byte == 0x0D { #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A) }
        let lines = F.contentLines(text)
        let zone = try #require(lines.firstIndex(of: "BEGIN:VTIMEZONE"))
        #expect(
            Array(lines[zone...].prefix(18)) == [
                "BEGIN:VTIMEZONE", "TZID:Europe/Paris", "X-LIC-LOCATION:Europe/Paris", "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100",
                "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
                "END:DAYLIGHT", "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
                "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD", "END:VTIMEZONE",
            ])
        #expect(lines.contains("DTSTAMP:20201001T120000Z"))
    }

    @Test func theTimeZoneRuleMatchesTheSystemDatabase() {
        // Every hour from 1996 to 2037: what the VTIMEZONE says is what tzdata says.
        var seconds = Int(ParisTime.startOfDay(CivilDate(year: 1996, month: 1, day: 1)).timeIntervalSince1970)
        let end = Int(ParisTime.startOfDay(CivilDate(year: 2038, month: 1, day: 1)).timeIntervalSince1970)
        var mismatches: [Int] = []
        while seconds < end {
            if ICalendarWriter.europeanUnionOffset(seconds) != ParisTime.offset(at: Date(timeIntervalSince1970: Double(seconds))) {
                mismatches.append(seconds)
            }
            seconds += 3600
        }
        #expect(mismatches.isEmpty)
    }

    @Test func theTimeZoneRuleRemembersOneYearAndAnswersForAnyOther() {
        // One rule asked across years, back and forth (as a catalogue's slots come), says
        // what a rule asked once says.
        var rule = ICalendarWriter.SummerTimeRule()
        let march2020 = Int(ParisTime.startOfDay(CivilDate(year: 2020, month: 3, day: 29)).timeIntervalSince1970)
        var differences: [Int] = []
        for step in 0..<2_000 {
            // Some five weeks and a few hours apart, over nine years, taken out of order, on both sides of changes.
            let seconds = march2020 + (step * 7_919 % 100) * (61 * 7 * 86_400 / 13) + (step % 5) * 3_600 - 7_200
            if rule.offset(seconds) != ICalendarWriter.europeanUnionOffset(seconds) { differences.append(seconds) }
        }
        #expect(differences.isEmpty)
        // Years' first and last seconds.
        for year in [1999, 2000, 2024, 9999] {
            let first = CivilDate(year: year, month: 1, day: 1).daysSinceEpoch * 86_400
            #expect(rule.offset(first) == 3600 && rule.offset(first - 1) == 3600, "\(year)")
        }
    }

    @Test func datesOfEveryWidthAreWrittenWhole() throws {
        let slots = [
            Slot(start: .allDay(CivilDate(year: 987, month: 3, day: 4))),
            Slot(start: .allDay(CivilDate(year: 12_345, month: 11, day: 30))),
            Slot(start: try F.time("1900-01-02T03:04:05Z")),
            Slot(start: try F.time("2020-12-31T23:59:59Z")),
        ]
        let lines = F.eventLines(try F.export([event(slots: slots)]))
        #expect(
            lines.filter { $0.hasPrefix("DTSTART") } == [
                "DTSTART;VALUE=DATE:09870304", "DTSTART;VALUE=DATE:123451130", "DTSTART:19000102T030405Z",
                "DTSTART;TZID=Europe/Paris:20210101T005959",
            ])
        #expect(lines.contains("DTEND;VALUE=DATE:123451201"))
    }

    @Test func escapingReadsEightBytesAtATimeWithoutMissingOne() {
        // Texts of every length up to 40 from characters that need escaping and characters
        // that do not, at every offset in an eight-byte word, escaped as bytes and compared
        // with an escaping by Unicode scalars.
        let alphabet: [String] = ["a", "é", "\t", "\r", "\n", ",", ";", "\\", "\u{7}", "\u{7F}", "€", " ", "\u{1F}", "^"]
        func expected(_ text: String) -> String {
            var out = ""
            let scalars = Array(text.unicodeScalars)
            for (index, scalar) in scalars.enumerated() {
                switch scalar {
                case "\\", ";", ",": out += "\\" + String(scalar)
                case "\r": out += "\\n"
                case "\n": if index == 0 || scalars[index - 1] != "\r" { out += "\\n" }
                case "\t": out += "\t"
                default: if scalar.value >= 0x20 && scalar.value != 0x7F { out.unicodeScalars.append(scalar) }
                }
            }
            return out
        }
        var mismatches: [String] = []
        for text in mixedTexts(of: alphabet, perLength: 60, seed: 0x9E37_79B9_7F4A_7C15) {
            var bytes: [UInt8] = []
            ICalendarText.appendEscaped(text, to: &bytes)
            if String(decoding: bytes, as: UTF8.self) != expected(text) { mismatches.append(text) }
        }
        #expect(mismatches.count == 0, "first texts escaped wrongly: \(mismatches.prefix(3))")
    }

    @Test func oneSlotUsesTheIDAsUID() throws {
        let lines = F.contentLines(try F.export([event(slots: [Slot(start: try F.time("2020-11-10T09:30"))])]))
        #expect(lines.filter { $0.hasPrefix("UID:") } == ["UID:mip2020-atelier"])
        #expect(!lines.contains { $0.hasPrefix("X-RELAIS-ID") })
    }

    @Test func severalSlotsGetNumberedUIDsAndTheRelaisID() throws {
        let slots = [
            Slot(start: try F.time("2020-11-10T09:30"), end: try F.time("2020-11-10T11:30")),
            Slot(start: try F.day("2020-11-17")),
            Slot(start: try F.day("2020-11-20"), end: try F.day("2020-11-22")),
        ]
        let lines = F.eventLines(try F.export([event(slots: slots)]))
        #expect(lines.filter { $0.hasPrefix("UID:") } == ["UID:mip2020-atelier#1", "UID:mip2020-atelier#2", "UID:mip2020-atelier#3"])
        #expect(lines.filter { $0 == "X-RELAIS-ID:mip2020-atelier" }.count == 3)
        #expect(lines.filter { $0 == "BEGIN:VEVENT" }.count == 3)
        #expect(
            lines.filter { $0.hasPrefix("DTSTART") || $0.hasPrefix("DTEND") } == [
                "DTSTART;TZID=Europe/Paris:20201110T093000", "DTEND;TZID=Europe/Paris:20201110T113000",
                "DTSTART;VALUE=DATE:20201117", "DTEND;VALUE=DATE:20201118",
                "DTSTART;VALUE=DATE:20201120", "DTEND;VALUE=DATE:20201123",
            ])
    }

    @Test func instantsTheParisClockCannotNameAreWrittenInUTC() throws {
        let slots = [
            // 02:30 summer time, the first 02:30 of the night: Paris wall clock.
            Slot(start: try F.time("2020-10-25T00:30:00Z")),
            // 02:30 winter time, the second one: UTC.
            Slot(start: try F.time("2020-10-25T01:30:00Z")),
            Slot(start: try F.time("2021-03-28T01:30:00Z")),
            // Before 1996 Paris left summer time in September, which the VTIMEZONE does not say.
            Slot(start: try F.time("1990-10-10T10:00:00Z")),
        ]
        let lines = F.eventLines(try F.export([event(slots: slots)]))
        #expect(
            lines.filter { $0.hasPrefix("DTSTART") } == [
                "DTSTART;TZID=Europe/Paris:20201025T023000", "DTSTART:20201025T013000Z",
                "DTSTART;TZID=Europe/Paris:20210328T033000", "DTSTART:19901010T100000Z",
            ])
        let back = try F.readOne(try F.export([event(slots: slots)]))
        #expect(back.slots == slots)
    }

    @Test func escapesText() throws {
        var sample = event(title: "Un, deux; trois \\ quatre\nfin", slots: [Slot(start: try F.day("2020-11-17"))])
        sample.place = "Salle 1\r\nBâtiment B"
        sample.tags = ["a,b", "c;d", "e\\f"]
        sample.organizer = "Le \"Lab\" ^ Nord"
        sample.contact = "lab@example.fr"
        let lines = F.contentLines(try F.export([sample]))
        #expect(lines.contains(#"SUMMARY:Un\, deux\; trois \\ quatre\nfin"#))
        #expect(lines.contains(#"LOCATION:Salle 1\nBâtiment B"#))
        #expect(lines.contains(#"CATEGORIES:a\,b,c\;d,e\\f"#))
        #expect(lines.contains(#"ORGANIZER;CN="Le ^'Lab^' ^^ Nord":mailto:lab@example.fr"#))
        var escaped: [UInt8] = []
        ICalendarText.appendEscaped("tab\there\u{7}bell", to: &escaped)
        #expect(String(decoding: escaped, as: UTF8.self) == "tab\there" + "bell")
        // Line breaks of every kind, a DEL, and what comes between them, as bytes.
        var bytes: [UInt8] = Array("x".utf8)
        ICalendarText.appendEscaped("a\rb\r\r\nc\u{7F}d\n,é;", to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #"xa\nb\n\ncd\n\,é\;"#)
    }

    @Test func foldsLongLinesAt75OctetsWithoutBreakingCharacters() throws {
        let description = String(
            repeating: "Innovation publique à l’œuvre : « numérique » 🇫🇷🎉 — événement côté usagers ; ", count: 40)
        var sample = event(title: String(repeating: "é", count: 200), slots: [Slot(start: try F.day("2020-11-17"))])
        sample.description = description
        let text = try F.export([sample])
        let physical = text.components(separatedBy: "\r\n").dropLast()
        var folded = 0
        for line in physical {
            let bytes = Array(line.utf8)
            #expect(bytes.count <= 75, "\(bytes.count) octets: \(line)")
            #expect(String(validating: bytes, as: UTF8.self) != nil)
            if line.hasPrefix(" ") { folded += 1 }
        }
        #expect(folded > 40)
        let back = try F.readOne(text)
        #expect(back.description == description.trimmingCharacters(in: .whitespaces))
        #expect(back.title == sample.title)
    }

    @Test func foldingBoundaries() {
        func fold(_ line: String) -> [String] {
            var out: [UInt8] = []
            ICalendarText.appendFolded(Array(line.utf8), to: &out)
            return String(decoding: out, as: UTF8.self).components(separatedBy: "\r\n").dropLast()
        }
        let exact = String(repeating: "a", count: 75)
        #expect(fold(exact) == [exact])
        #expect(fold(exact + "b") == [exact, " b"])
        // A two-octet character that would straddle octet 75 moves to the next line.
        let straddling = String(repeating: "a", count: 74) + "é"
        #expect(fold(straddling) == [String(repeating: "a", count: 74), " é"])
        // Continuation lines carry 74 octets after their space.
        let long = String(repeating: "x", count: 75 + 74 + 3)
        #expect(fold(long).map(\.utf8.count) == [75, 75, 4])
    }

    @Test func streamsEventByEvent() throws {
        let output = ICalendarCollectingOutput()
        let writer = ICalendarWriter(output: output, options: ExportOptions())
        try writer.begin()
        #expect(output.writes == 1)
        try writer.write(event(id: "a", slots: [Slot(start: try F.day("2020-11-17"))]))
        #expect(output.writes == 2)
        #expect(output.text.hasSuffix("END:VEVENT\r\n"))
        try writer.write(
            event(id: "b", slots: [Slot(start: try F.day("2020-11-17")), Slot(start: try F.day("2020-11-18"))]))
        #expect(output.writes == 3)
        try writer.finish()
        #expect(output.text.hasSuffix("END:VCALENDAR\r\n"))
        #expect(throws: (any Error).self) { try writer.write(event(slots: [Slot(start: try F.day("2020-11-17"))])) }
    }

    @Test func emptyExportIsAValidCalendar() throws {
        let text = try F.export([])
        #expect(text.hasPrefix("BEGIN:VCALENDAR\r\n") && text.hasSuffix("END:VCALENDAR\r\n"))
        #expect(try F.read(text).isEmpty)
    }

    @Test func statusesAndRelaisProperties() throws {
        var postponed = event(id: "reporte", slots: [Slot(start: try F.day("2020-11-17"))], status: .postponed)
        postponed.region = Region(code: "75")
        postponed.online = true
        postponed.lab = "la-base"
        postponed.audience = ["agents", "élus"]
        postponed.contact = "01 23 45 67 89"
        postponed.organizer = "Préfecture"
        let lines = F.contentLines(try F.export([postponed, event(id: "annule", slots: [Slot(start: try F.day("2020-11-18"))], status: .cancelled)]))
        for expected in [
            "STATUS:TENTATIVE", "X-RELAIS-STATUS:postponed", "X-RELAIS-KIND:workshop", "X-RELAIS-REGION:75",
            "X-RELAIS-ONLINE:TRUE", "X-RELAIS-LAB:la-base", "X-RELAIS-AUDIENCE:agents,élus",
            "X-RELAIS-CONTACT:01 23 45 67 89", "X-RELAIS-ORGANIZER:Préfecture", "STATUS:CANCELLED", "X-RELAIS-ONLINE:FALSE",
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
        #expect(!lines.contains { $0.hasPrefix("ORGANIZER") })
    }

    @Test func rejectsEventsWithoutValidSlots() throws {
        let output = ICalendarCollectingOutput()
        let writer = ICalendarWriter(output: output, options: ExportOptions())
        try writer.begin()
        #expect(throws: EventFieldProblem.self) { try writer.write(event(slots: [])) }
        #expect(throws: EventFieldProblem.self) {
            try writer.write(event(slots: [Slot(start: try F.day("2020-11-17"), end: try F.day("2020-11-16"))]))
        }
    }

    @Test func plainEmailAddresses() {
        #expect(ICalendarWriter.isPlainEmailAddress("contact@ditp.gouv.fr"))
        #expect(ICalendarWriter.isPlainEmailAddress("jean.dupont+mip@example.fr"))
        for text in ["", "@x.fr", "a@", "a@b@c", "Jean <j@x.fr>", "é@x.fr", "a b@x.fr", "a%40@x.fr"] {
            #expect(!ICalendarWriter.isPlainEmailAddress(text), "\(text)")
        }
    }
}
