import Foundation
import RelaisCore
import Testing

@testable import RelaisFormats

private typealias F = ICalendarFixtures

@Suite("iCalendar reader: properties and values")
struct ICalendarReaderPropertyTests {
    @Test func readsEveryField() throws {
        let event = try F.readOne(
            F.calendar(
                F.vevent(
                    "mip2020-bretagne-atelier",
                    "DTSTAMP:20201001T120000Z",
                    "DTSTART;TZID=Europe/Paris:20201110T093000",
                    "DTEND;TZID=Europe/Paris:20201110T113000",
                    #"SUMMARY:Atelier \, design\; des services\nsuite"#,
                    #"DESCRIPTION:Ligne 1\NLigne 2 \\ fin \\n pas un saut"#,
                    #"LOCATION:Rennes\, salle 3"#,
                    "URL:https://example.fr/a?b=c,d",
                    "CATEGORIES:design,services",
                    #"CATEGORIES:numérique,a\,b"#,
                    #"ORGANIZER;CN="Labo, Bretagne":mailto:labo@example.fr"#,
                    "STATUS:TENTATIVE",
                    "X-RELAIS-KIND:workshop",
                    "X-RELAIS-REGION:53",
                    "X-RELAIS-LAB:ti-lab",
                    "X-RELAIS-ONLINE:TRUE",
                    "X-RELAIS-AUDIENCE:agents,public")))
        #expect(event.id == "mip2020-bretagne-atelier")
        #expect(event.title == "Atelier , design; des services\nsuite")
        #expect(event.description == "Ligne 1\nLigne 2 \\ fin \\n pas un saut")
        #expect(event.place == "Rennes, salle 3")
        #expect(event.url == "https://example.fr/a?b=c,d")
        #expect(event.tags == ["design", "services", "numérique", "a,b"])
        #expect(event.organizer == "Labo, Bretagne")
        #expect(event.contact == "labo@example.fr")
        #expect(event.status == .scheduled)
        #expect(event.kind == .workshop)
        #expect(event.region?.code == "53")
        #expect(event.lab == "ti-lab")
        #expect(event.online)
        #expect(event.audience == ["agents", "public"])
        #expect(
            event.slots == [
                Slot(start: try F.time("2020-11-10T09:30:00+01:00"), end: try F.time("2020-11-10T11:30:00+01:00"))
            ])
    }

    @Test func appliesDefaults() throws {
        let event = try F.readOne(F.calendar(F.vevent("simple", "DTSTART;VALUE=DATE:20201117")))
        #expect(event.kind == .other)
        #expect(event.status == .scheduled)
        #expect(event.region == nil)
        #expect(!event.online)
        #expect(event.organizer == nil && event.contact == nil && event.tags.isEmpty && event.audience.isEmpty)
        #expect(event.slots == [Slot(start: try F.day("2020-11-17"))])
    }

    @Test func relaisPropertiesWinOverStandardOnes() throws {
        let event = try F.readOne(
            F.calendar(
                F.vevent(
                    "contact", "DTSTART;VALUE=DATE:20201117", "ORGANIZER;CN=Standard:MAILTO:std@example.fr",
                    "X-RELAIS-ORGANIZER:La Fabrique\\, Lyon", "X-RELAIS-CONTACT:+33 4 00 00 00 00",
                    "X-RELAIS-STATUS:postponed", "STATUS:CONFIRMED")))
        #expect(event.organizer == "La Fabrique, Lyon")
        #expect(event.contact == "+33 4 00 00 00 00")
        #expect(event.status == .postponed)
    }

    @Test func organizerNameUsesCaretEscapes() throws {
        let event = try F.readOne(
            F.calendar(
                F.vevent("caret", "DTSTART;VALUE=DATE:20201117", #"ORGANIZER;CN="Le ^'Lab^' ^^ Nord^nLille":mailto:a@b.fr"#)))
        #expect(event.organizer == "Le \"Lab\" ^ Nord\nLille")
    }

    @Test func statusCancelled() throws {
        let event = try F.readOne(F.calendar(F.vevent("annule", "DTSTART;VALUE=DATE:20201117", "STATUS:CANCELLED")))
        #expect(event.status == .cancelled)
    }

    @Test func ignoresOtherComponentsAndAlarms() throws {
        let text = F.calendar(
            """
            BEGIN:VTIMEZONE
            TZID:Europe/Paris
            BEGIN:STANDARD
            DTSTART:19701025T030000
            TZOFFSETFROM:+0200
            TZOFFSETTO:+0100
            END:STANDARD
            END:VTIMEZONE
            BEGIN:VTODO
            UID:todo
            SUMMARY:Pas un événement
            END:VTODO

            """
                + F.vevent(
                    "alarme", "DTSTART;VALUE=DATE:20201117", "DESCRIPTION:Vrai",
                    "BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:Rappel\nTRIGGER:-PT15M\nEND:VALARM"))
        let event = try F.readOne(text)
        #expect(event.description == "Vrai")
    }

    @Test func eventsComeInFileOrderOfTheirFirstVEvent() throws {
        let events = try F.read(
            F.calendar(
                F.vevent("b", "DTSTART;VALUE=DATE:20201120") + F.vevent("a", "DTSTART;VALUE=DATE:20201101")
                    + F.vevent("c", "DTSTART;VALUE=DATE:20201105")))
        #expect(events.map(\.id) == ["b", "a", "c"])
    }

    @Test func severalCalendarsInOneFile() throws {
        let text = F.calendar(F.vevent("a", "DTSTART;VALUE=DATE:20201120")) + F.calendar(F.vevent("b", "DTSTART;VALUE=DATE:20201121"))
        #expect(try F.read(text).map(\.id) == ["a", "b"])
    }

    @Test func emptyCalendarGivesNoEvents() throws {
        #expect(try F.read(F.calendar("")).isEmpty)
    }
}

@Suite("iCalendar reader: lines, folding and escapes")
struct ICalendarReaderLineTests {
    @Test func unfoldsCRLFAndLFWithSpacesAndTabs() throws {
        let text =
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:plie\r\nSUMMARY:Une journée \r\n d’innovation\r\n\t publique\n"
            + "DTSTART;VALUE=DATE:2020\r\n 1117\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        let event = try F.readOne(text)
        #expect(event.title == "Une journée d’innovation publique")
        #expect(event.slots == [Slot(start: try F.day("2020-11-17"))])
    }

    @Test func rejoinsUTF8CharacterSplitByAFold() throws {
        // "é" is C3 A9, "🎉" is F0 9F 8E 89: the folds fall inside both (CRLF + space, LF + tab).
        let text = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:utf8\nDTSTART;VALUE=DATE:20201117\n"
        let bytes = Array(text.utf8) + Array("SUMMARY:Caf".utf8) + [0xC3, 0x0D, 0x0A, 0x20, 0xA9] + Array(" f".utf8)
            + [0xF0, 0x9F, 0x0A, 0x09, 0x8E, 0x89] + Array("\nEND:VEVENT\nEND:VCALENDAR\n".utf8)
        let events = try F.read(bytes: bytes)
        #expect(events.first?.title == "Café f🎉")
    }

    @Test func acceptsAByteOrderMark() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(F.calendar(F.vevent("bom", "DTSTART;VALUE=DATE:20201117")).utf8)
        #expect(try F.read(bytes: bytes).map(\.id) == ["bom"])
    }

    /// One mark is dropped, by the unfolder; a second is the start of the first line, which
    /// is then not `BEGIN:VCALENDAR` (the file reader must not drop one more).
    @Test func refusesASecondByteOrderMark() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF]
            + Array(F.calendar(F.vevent("bom", "DTSTART;VALUE=DATE:20201117")).utf8)
        #expect(throws: ImportError.self) { try F.read(bytes: bytes) }
    }

    @Test func unescapesText() {
        #expect(ICalendarText.unescape(#"a\,b\;c\nd\Ne\\f"#) == "a,b;c\nd\ne\\f")
        #expect(ICalendarText.unescape(#"a\\nb"#) == "a\\nb")
        #expect(ICalendarText.unescape(#"fin\"#) == "fin\\")
        #expect(ICalendarText.unescapeList(#"a,b\,c,,d\\,e"#) == ["a", "b,c", "", "d\\", "e"])
    }

    @Test func parsesParametersWithQuotedValues() throws {
        let logical = ICalendarLogicalLine(
            number: 7, bytes: Array(#"attendee;CN="Dupont; Jeanne: DITP";ROLE=REQ-PARTICIPANT;MEMBER="a","b":mailto:j@x.fr"#.utf8))
        let line = try ICalendarLines.parse(logical).get()
        #expect(line.name == "ATTENDEE")
        #expect(line.parameter("CN") == "Dupont; Jeanne: DITP")
        #expect(line.parameter("ROLE") == "REQ-PARTICIPANT")
        #expect(line.parameters.last?.values == ["a", "b"])
        #expect(line.value == "mailto:j@x.fr")
        #expect(line.line == 7)
    }

    @Test func rejectsMalformedContentLines() {
        let error = F.importError(F.calendar("BEGIN:VEVENT\nUID:x\nCeci n’est pas une ligne\nEND:VEVENT\n"))
        #expect(error?.location == .line(6))
        #expect(error?.message.contains("not a content line") == true)
        let quote = F.importError(F.calendar("BEGIN:VEVENT\nUID:x\nORGANIZER;CN=\"ouvert:mailto:a@b.fr\nEND:VEVENT\n"))
        #expect(quote?.location == .line(6))
    }
}

@Suite("iCalendar reader: dates and times")
struct ICalendarReaderTimeTests {
    private func slot(_ lines: String...) throws -> Slot {
        var text = "BEGIN:VEVENT\nUID:t\nSUMMARY:t\n"
        for line in lines { text += line + "\n" }
        let event = try F.readOne(F.calendar(text + "END:VEVENT\n"))
        try #require(event.slots.count == 1)
        return try #require(event.slots.first)
    }

    @Test func dateValues() throws {
        #expect(try slot("DTSTART;VALUE=DATE:20201117") == Slot(start: try F.day("2020-11-17")))
        // Eight digits are a date even without VALUE=DATE.
        #expect(try slot("DTSTART:20201117") == Slot(start: try F.day("2020-11-17")))
    }

    @Test func dateEndIsExclusive() throws {
        #expect(
            try slot("DTSTART;VALUE=DATE:20201117", "DTEND;VALUE=DATE:20201118") == Slot(start: try F.day("2020-11-17")))
        #expect(
            try slot("DTSTART;VALUE=DATE:20201117", "DTEND;VALUE=DATE:20201128")
                == Slot(start: try F.day("2020-11-17"), end: try F.day("2020-11-27")))
        // Across a month and a year.
        #expect(
            try slot("DTSTART;VALUE=DATE:20201230", "DTEND;VALUE=DATE:20210102")
                == Slot(start: try F.day("2020-12-30"), end: try F.day("2021-01-01")))
    }

    @Test func utcFloatingAndZonedDateTimes() throws {
        #expect(try slot("DTSTART:20201110T083000Z").start == (try F.time("2020-11-10T09:30:00+01:00")))
        #expect(try slot("DTSTART:20201110T093000").start == (try F.time("2020-11-10T09:30:00+01:00")))
        #expect(try slot("DTSTART;TZID=Europe/Paris:20200710T093000").start == (try F.time("2020-07-10T09:30:00+02:00")))
        #expect(try slot("DTSTART;TZID=/Europe/Paris:20201110T093000").start == (try F.time("2020-11-10T08:30:00Z")))
        #expect(try slot("DTSTART;TZID=America/New_York:20201110T093000").start == (try F.time("2020-11-10T14:30:00Z")))
        // Outlook's names for zones.
        #expect(
            try slot(#"DTSTART;TZID="Romance Standard Time":20200710T093000"#).start == (try F.time("2020-07-10T09:30:00+02:00")))
        #expect(try slot("DTSTART;TZID=SA Eastern Standard Time:20201110T093000").start == (try F.time("2020-11-10T12:30:00Z")))
        #expect(
            try slot("DTSTART;TZID=America/New_York:20200710T093000", "DTEND;TZID=Europe/Paris:20200710T173000")
                == Slot(start: try F.time("2020-07-10T13:30:00Z"), end: try F.time("2020-07-10T15:30:00Z")))
    }

    @Test func parisClockChanges() throws {
        // 02:30 happens twice on 2020-10-25: the first (summer time) is meant.
        #expect(try slot("DTSTART;TZID=Europe/Paris:20201025T023000").start == (try F.time("2020-10-25T00:30:00Z")))
        #expect(try slot("DTSTART:20201025T023000").start == (try F.time("2020-10-25T02:30:00+02:00")))
        #expect(try slot("DTSTART:20201025T033000").start == (try F.time("2020-10-25T03:30:00+01:00")))
        // 02:30 does not exist on 2021-03-28: read with the offset before the gap.
        #expect(try slot("DTSTART;TZID=Europe/Paris:20210328T023000").start == (try F.time("2021-03-28T01:30:00Z")))
        #expect(try slot("DTSTART:20210328T023000").start == (try F.time("2021-03-28T03:30:00+02:00")))
        #expect(
            try slot("DTSTART:20210328T013000", "DTEND:20210328T033000")
                == Slot(start: try F.time("2021-03-28T00:30:00Z"), end: try F.time("2021-03-28T01:30:00Z")))
        // The same rules in another zone.
        #expect(try slot("DTSTART;TZID=America/New_York:20201101T013000").start == (try F.time("2020-11-01T05:30:00Z")))
        #expect(try slot("DTSTART;TZID=America/New_York:20210314T023000").start == (try F.time("2021-03-14T07:30:00Z")))
    }

    @Test func durations() throws {
        #expect(
            try slot("DTSTART;TZID=Europe/Paris:20201110T093000", "DURATION:PT1H30M")
                == Slot(start: try F.time("2020-11-10T09:30:00+01:00"), end: try F.time("2020-11-10T11:00:00+01:00")))
        #expect(
            try slot("DTSTART;VALUE=DATE:20201117", "DURATION:P2D")
                == Slot(start: try F.day("2020-11-17"), end: try F.day("2020-11-18")))
        #expect(try slot("DTSTART;VALUE=DATE:20201117", "DURATION:P1D") == Slot(start: try F.day("2020-11-17")))
        #expect(
            try slot("DTSTART;VALUE=DATE:20201102", "DURATION:P4W")
                == Slot(start: try F.day("2020-11-02"), end: try F.day("2020-11-29")))
        // A day is a calendar day: 09:00 the next day, across the autumn change.
        #expect(
            try slot("DTSTART;TZID=Europe/Paris:20201024T090000", "DURATION:P1DT1H")
                == Slot(start: try F.time("2020-10-24T09:00:00+02:00"), end: try F.time("2020-10-25T10:00:00+01:00")))
    }

    @Test func durationParsing() {
        #expect(ICalendarDuration(parsing: "PT1H30M") == ICalendarDuration(parsing: "+PT90M"))
        #expect(ICalendarDuration(parsing: "P1W")?.days == 7)
        #expect(ICalendarDuration(parsing: "P1DT2H3M4S")?.seconds == 7384)
        for bad in ["-PT1H", "P", "PT", "P1H", "PT1D", "1D", "P1.5D", "P9999999999D"] {
            #expect(ICalendarDuration(parsing: bad) == nil, "\(bad)")
        }
    }
}

@Suite("iCalendar reader: recurrences and grouping")
struct ICalendarReaderRecurrenceTests {
    private func starts(_ lines: String...) throws -> [EventTime] {
        var text = "BEGIN:VEVENT\nUID:r\nSUMMARY:r\n"
        for line in lines { text += line + "\n" }
        return try F.readOne(F.calendar(text + "END:VEVENT\n")).slots.map(\.start)
    }

    @Test func dailyWithCount() throws {
        let event = try F.readOne(
            F.calendar(
                F.vevent(
                    "quotidien", "DTSTART;TZID=Europe/Paris:20201123T120000", "DTEND;TZID=Europe/Paris:20201123T130000",
                    "RRULE:FREQ=DAILY;COUNT=3")))
        #expect(
            event.slots == [
                Slot(start: try F.time("2020-11-23T12:00:00+01:00"), end: try F.time("2020-11-23T13:00:00+01:00")),
                Slot(start: try F.time("2020-11-24T12:00:00+01:00"), end: try F.time("2020-11-24T13:00:00+01:00")),
                Slot(start: try F.time("2020-11-25T12:00:00+01:00"), end: try F.time("2020-11-25T13:00:00+01:00")),
            ])
    }

    @Test func dailyWithIntervalUntilAndWeekdays() throws {
        #expect(
            try starts("DTSTART;VALUE=DATE:20201102", "RRULE:FREQ=DAILY;INTERVAL=3;UNTIL=20201111")
                == ["2020-11-02", "2020-11-05", "2020-11-08", "2020-11-11"].map { try F.day($0) })
        // Working days only, from a Friday.
        #expect(
            try starts("DTSTART;VALUE=DATE:20201106", "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=4")
                == ["2020-11-06", "2020-11-09", "2020-11-10", "2020-11-11"].map { try F.day($0) })
        // A weekday that an interval of 7 never reaches: only DTSTART.
        #expect(
            try starts("DTSTART;VALUE=DATE:20201102", "RRULE:FREQ=DAILY;INTERVAL=7;BYDAY=TU;COUNT=5")
                == [try F.day("2020-11-02")])
    }

    @Test func weeklyKeepsTheParisWallClockAcrossTheAutumnChange() throws {
        #expect(
            try starts("DTSTART;TZID=Europe/Paris:20201020T090000", "RRULE:FREQ=WEEKLY;COUNT=2")
                == [try F.time("2020-10-20T09:00:00+02:00"), try F.time("2020-10-27T09:00:00+01:00")])
    }

    @Test func weeklyWithByDayUntilAndInterval() throws {
        #expect(
            try starts("DTSTART:20201103T140000", "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20201112T130000Z")
                == [
                    "2020-11-03T14:00", "2020-11-05T14:00", "2020-11-10T14:00", "2020-11-12T14:00",
                ].map { try F.time($0) })
        #expect(
            try starts("DTSTART;VALUE=DATE:20201102", "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;COUNT=5")
                == ["2020-11-02", "2020-11-06", "2020-11-16", "2020-11-20", "2020-11-30"].map { try F.day($0) })
        // UNTIL on the morning of the 12th excludes the 12th at 14:00.
        #expect(
            try starts("DTSTART:20201103T140000", "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20201112T100000Z").count == 3)
    }

    @Test func exdateRemovesOccurrences() throws {
        #expect(
            try starts(
                "DTSTART;TZID=Europe/Paris:20201102T100000", "RRULE:FREQ=DAILY;COUNT=5",
                "EXDATE;TZID=Europe/Paris:20201103T100000,20201105T100000", "EXDATE:20201106T090000Z")
                == [try F.time("2020-11-02T10:00"), try F.time("2020-11-04T10:00")])
        #expect(
            try starts("DTSTART;VALUE=DATE:20201102", "RRULE:FREQ=DAILY;COUNT=3", "EXDATE;VALUE=DATE:20201103")
                == ["2020-11-02", "2020-11-04"].map { try F.day($0) })
    }

    @Test func rdateAddsOccurrences() throws {
        #expect(
            try starts("DTSTART;VALUE=DATE:20201110", "RDATE;VALUE=DATE:20201105,20201120")
                == ["2020-11-05", "2020-11-10", "2020-11-20"].map { try F.day($0) })
    }

    @Test func occurrenceCap() throws {
        #expect(try starts("DTSTART;VALUE=DATE:20200101", "RRULE:FREQ=DAILY;COUNT=1000").count == 1000)
        for rule in ["RRULE:FREQ=DAILY;COUNT=1001", "RRULE:FREQ=DAILY;UNTIL=20991231", "RRULE:FREQ=WEEKLY;BYDAY=MO,TU;UNTIL=20991231"] {
            let error = F.importError(F.calendar(F.vevent("sans-fin", "DTSTART;VALUE=DATE:20200101", rule)))
            #expect(error?.location == .uid("sans-fin", line: 4))
            #expect(error?.field == "RRULE")
            #expect(error?.message.contains("1000") == true)
        }
    }

    @Test func unsupportedRulesAreClearErrors() throws {
        let cases = [
            ("RRULE:FREQ=MONTHLY;COUNT=3", "MONTHLY"),
            ("RRULE:FREQ=DAILY", "COUNT or UNTIL"),
            ("RRULE:FREQ=WEEKLY;BYDAY=1MO;COUNT=2", "BYDAY"),
            ("RRULE:FREQ=DAILY;COUNT=2;BYHOUR=9", "BYHOUR"),
            ("RRULE:FREQ=DAILY;COUNT=2;UNTIL=20201201", "COUNT and UNTIL"),
            ("RRULE:FREQ=DAILY;INTERVAL=0;COUNT=2", "INTERVAL"),
        ]
        for (rule, words) in cases {
            let error = F.importError(F.calendar(F.vevent("regle", "DTSTART;VALUE=DATE:20201102", rule)))
            #expect(error?.field == "RRULE", "\(rule)")
            #expect(error?.location == .uid("regle", line: 4), "\(rule)")
            #expect(error?.message.contains(words) == true, "\(rule): \(error?.message ?? "")")
        }
    }

    @Test func recurrenceIDInstancesReplaceAndCancelOccurrences() throws {
        let text = F.calendar(
            F.vevent(
                "serie", "DTSTART;TZID=Europe/Paris:20201103T100000", "DTEND;TZID=Europe/Paris:20201103T120000",
                "RRULE:FREQ=WEEKLY;COUNT=4", "X-RELAIS-KIND:webinar")
                + F.vevent(
                    "serie", "RECURRENCE-ID;TZID=Europe/Paris:20201110T100000", "DTSTART;TZID=Europe/Paris:20201110T140000",
                    "DTEND;TZID=Europe/Paris:20201110T150000", "SUMMARY:Déplacé")
                + F.vevent("serie", "RECURRENCE-ID:20201117T090000Z", "STATUS:CANCELLED")
                + F.vevent("serie", "RECURRENCE-ID;TZID=Europe/Paris:20201124T100000", "DTSTART;TZID=Europe/Paris:20201124T110000"))
        let event = try F.readOne(text)
        #expect(event.kind == .webinar)
        #expect(event.status == .scheduled)
        #expect(
            event.slots == [
                Slot(start: try F.time("2020-11-03T10:00"), end: try F.time("2020-11-03T12:00")),
                Slot(start: try F.time("2020-11-10T14:00"), end: try F.time("2020-11-10T15:00")),
                // No DTEND of its own: the master's two hours.
                Slot(start: try F.time("2020-11-24T11:00"), end: try F.time("2020-11-24T13:00")),
            ])
    }

    @Test func cancellingEveryOccurrenceCancelsTheEvent() throws {
        let text = F.calendar(
            F.vevent("seul", "DTSTART;VALUE=DATE:20201117")
                + F.vevent("seul", "RECURRENCE-ID;VALUE=DATE:20201117", "STATUS:CANCELLED"))
        let event = try F.readOne(text)
        #expect(event.status == .cancelled)
        #expect(event.slots == [Slot(start: try F.day("2020-11-17"))])
    }

    @Test func recurrenceIDWithoutMasterIsAnError() {
        let error = F.importError(
            F.calendar(F.vevent("orphelin", "RECURRENCE-ID;VALUE=DATE:20201117", "DTSTART;VALUE=DATE:20201118")))
        #expect(error?.location == .uid("orphelin", line: 4))
        #expect(error?.field == "RECURRENCE-ID")
    }

    @Test func relaisIDGroupsVEventsIntoOneEvent() throws {
        let text = F.calendar(
            F.vevent(
                "tour#1", "X-RELAIS-ID:tour", "SUMMARY:Tour de France", "DTSTART;VALUE=DATE:20201102", "X-RELAIS-KIND:forum",
                "X-RELAIS-REGION:75")
                + F.vevent("autre", "DTSTART;VALUE=DATE:20201103")
                + F.vevent(
                    "tour#2", "X-RELAIS-ID:tour", "SUMMARY:Tour de France", "DTSTART;TZID=Europe/Paris:20201110T093000")
                + F.vevent(
                    "tour#3", "X-RELAIS-ID:tour", "SUMMARY:Tour de France", "DTSTART;VALUE=DATE:20201120",
                    "DTEND;VALUE=DATE:20201122"))
        let events = try F.read(text)
        #expect(events.map(\.id) == ["tour", "autre"])
        let tour = try #require(events.first)
        #expect(tour.title == "Tour de France")
        #expect(tour.kind == .forum)
        #expect(tour.region?.code == "75")
        #expect(
            tour.slots == [
                Slot(start: try F.day("2020-11-02")), Slot(start: try F.time("2020-11-10T09:30")),
                Slot(start: try F.day("2020-11-20"), end: try F.day("2020-11-21")),
            ])
    }
}

extension ICalendarReaderRecurrenceTests {
    /// A later VEVENT of an event may leave properties out, but what it gives must agree
    /// with the first, and an instance's values must be valid: nothing is dropped unread.
    @Test(arguments: [
        ("SUMMARY:Autre titre", "SUMMARY"), ("X-RELAIS-KIND:workshop", "X-RELAIS-KIND"),
        ("X-RELAIS-REGION:53", "X-RELAIS-REGION"), ("STATUS:CANCELLED", "STATUS"), ("LOCATION:Lyon", "LOCATION"),
    ])
    func groupedVEventsMustAgree(_ property: String, _ field: String) {
        let text = F.calendar(
            F.vevent("e1#1", "X-RELAIS-ID:e1", "SUMMARY:Bonjour", "DTSTART:20201110T093000Z", "X-RELAIS-KIND:forum")
                + F.vevent("e1#2", "X-RELAIS-ID:e1", property, "DTSTART:20201111T093000Z"))
        let error = #expect(throws: ImportError.self) { try F.read(text) }
        #expect(error?.location == .uid("e1#2", line: 11), "\(String(describing: error))")
        #expect(error?.field == field)
        #expect(error?.message.contains("differs from the VEVENT at line 4") == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        ("X-RELAIS-KIND:webinaire", "X-RELAIS-KIND"), ("STATUS:WHATEVER", "STATUS"), ("X-RELAIS-ONLINE:maybe", "X-RELAIS-ONLINE"),
        ("X-RELAIS-REGION:99", "X-RELAIS-REGION"),
    ])
    func anInstanceMustHoldValidValues(_ property: String, _ field: String) {
        let text = F.calendar(
            F.vevent("serie", "SUMMARY:Série", "DTSTART:20201110T093000Z", "RRULE:FREQ=DAILY;COUNT=3")
                + F.vevent("serie", "RECURRENCE-ID:20201111T093000Z", "DTSTART:20201111T100000Z", property))
        let error = #expect(throws: ImportError.self) { try F.read(text) }
        #expect(error?.field == field, "\(String(describing: error))")
    }
}

@Suite("iCalendar reader: errors")
struct ICalendarReaderErrorTests {
    @Test func missingUIDNamesTheLine() {
        let error = F.importError(F.calendar(F.vevent("a", "DTSTART;VALUE=DATE:20201117") + F.vevent(nil, "DTSTART;VALUE=DATE:20201117")), file: "Examples/mip.ics")
        #expect(error?.file == "Examples/mip.ics")
        #expect(error?.location == .line(9))
        #expect(error?.field == "UID")
        #expect(error?.description.hasPrefix("Examples/mip.ics: line 9: field 'UID'") == true)
    }

    @Test func missingEndNamesTheOpenComponent() {
        let unclosed = F.importError(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:ouvert\nDTSTART;VALUE=DATE:20201117\nBEGIN:VEVENT\nUID:b\nEND:VEVENT\nEND:VCALENDAR\n")
        #expect(unclosed?.location == .uid("ouvert", line: 2))
        #expect(unclosed?.message.contains("END:VEVENT is missing") == true)

        let atEnd = F.importError("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:fin\nDTSTART;VALUE=DATE:20201117\nEND:VCALENDAR\n")
        #expect(atEnd?.location == .uid("fin", line: 2))
        #expect(atEnd?.message.contains("END:VEVENT is missing") == true)

        let noCalendarEnd = F.importError("BEGIN:VCALENDAR\nVERSION:2.0\n")
        #expect(noCalendarEnd?.location == .line(1))
        #expect(noCalendarEnd?.message.contains("no END:VCALENDAR") == true)

        let alarm = F.importError(
            F.calendar("BEGIN:VEVENT\nUID:x\nBEGIN:VALARM\nTRIGGER:-PT5M\nEND:VEVENT\n"))
        #expect(alarm?.location == .line(8))
        #expect(alarm?.message.contains("VALARM that starts at line 6") == true)

        let stray = F.importError(F.calendar("END:VEVENT\n"))
        #expect(stray?.location == .line(4))
        let outside = F.importError("SUMMARY:rien\n")
        #expect(outside?.location == .line(1))
        let notCalendar = F.importError("")
        #expect(notCalendar?.message.contains("no BEGIN:VCALENDAR") == true)
    }

    @Test func badDateTimesNameTheProperty() {
        for (line, field) in [
            ("DTSTART:20201132", "DTSTART"), ("DTSTART:2020-11-17", "DTSTART"), ("DTSTART:20201117T250000", "DTSTART"),
            ("DTSTART;VALUE=PERIOD:20201117T090000Z/PT1H", "DTSTART"),
        ] {
            let error = F.importError(F.calendar(F.vevent("mauvais", line)))
            #expect(error?.location == .uid("mauvais", line: 4), "\(line)")
            #expect(error?.field == field, "\(line)")
        }
        let missing = F.importError(F.calendar(F.vevent("sans-date")))
        #expect(missing?.field == "DTSTART")
        #expect(missing?.message == "is required")
        let mixed = F.importError(F.calendar(F.vevent("mixte", "DTSTART;VALUE=DATE:20201117", "DTEND:20201118T100000Z")))
        #expect(mixed?.field == "DTEND")
        let backwards = F.importError(F.calendar(F.vevent("envers", "DTSTART:20201117T100000Z", "DTEND:20201117T090000Z")))
        #expect(backwards?.field == "DTEND")
        #expect(backwards?.location == .uid("envers", line: 4))
        let both = F.importError(F.calendar(F.vevent("deux", "DTSTART:20201117T100000Z", "DTEND:20201117T110000Z", "DURATION:PT1H")))
        #expect(both?.field == "DURATION")
        let duration = F.importError(F.calendar(F.vevent("duree", "DTSTART:20201117T100000Z", "DURATION:-PT1H")))
        #expect(duration?.field == "DURATION")
    }

    @Test func unknownTimeZoneNamesTheVEventAndTheZone() {
        let error = F.importError(F.calendar(F.vevent("fuseau", "DTSTART;TZID=Europe/Lutece:20201117T100000")))
        #expect(error?.location == .uid("fuseau", line: 4))
        #expect(error?.field == "DTSTART")
        #expect(error?.message.contains("Europe/Lutece") == true)
        let exdate = F.importError(
            F.calendar(
                F.vevent("fuseau2", "DTSTART:20201117T100000Z", "RRULE:FREQ=DAILY;COUNT=2", "EXDATE;TZID=Mars/Olympus:20201118T100000")))
        #expect(exdate?.field == "EXDATE")
        #expect(exdate?.message.contains("Mars/Olympus") == true)
    }

    @Test func fieldRulesComeFromTheSharedDecoding() {
        let cases: [(String, String)] = [
            ("X-RELAIS-KIND:party", "X-RELAIS-KIND"), ("X-RELAIS-REGION:99", "X-RELAIS-REGION"),
            ("X-RELAIS-LAB:La Base", "X-RELAIS-LAB"), ("X-RELAIS-ONLINE:peut-être", "X-RELAIS-ONLINE"),
            ("X-RELAIS-STATUS:reporté", "X-RELAIS-STATUS"), ("STATUS:NEEDS-ACTION", "STATUS"),
            ("SUMMARY:   ", "SUMMARY"),
        ]
        for (line, field) in cases {
            let error = F.importError(F.calendar(F.vevent("regles", "DTSTART;VALUE=DATE:20201117", line)))
            #expect(error?.field == field, "\(line)")
            #expect(error?.location == .uid("regles", line: 4), "\(line)")
        }
        let badID = F.importError(F.calendar(F.vevent("pas un id", "DTSTART;VALUE=DATE:20201117")))
        #expect(badID?.field == "UID")
        let noTitle = F.importError(F.calendar("BEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20201117\nEND:VEVENT\n"))
        #expect(noTitle?.field == "SUMMARY")
    }

    @Test func duplicatesAreErrors() {
        let uid = F.importError(
            F.calendar(F.vevent("double", "DTSTART;VALUE=DATE:20201117") + F.vevent("double", "DTSTART;VALUE=DATE:20201118")))
        #expect(uid?.location == .uid("double", line: 9))
        #expect(uid?.field == "UID")
        let id = F.importError(
            F.calendar(
                F.vevent("ev", "DTSTART;VALUE=DATE:20201117") + F.vevent("x#1", "X-RELAIS-ID:ev", "DTSTART;VALUE=DATE:20201118")))
        #expect(id?.location == .uid("x#1", line: 9))
        #expect(id?.field == "X-RELAIS-ID")
        let twice = F.importError(F.calendar(F.vevent("deux-titres", "DTSTART;VALUE=DATE:20201117", "SUMMARY:a", "SUMMARY:b")))
        #expect(twice?.field == "SUMMARY")
    }

    @Test func invalidUTF8NamesTheLine() {
        let bytes = Array("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nSUMMARY:Caf".utf8) + [0xE9]
            + Array("\nEND:VEVENT\nEND:VCALENDAR\n".utf8)
        do {
            _ = try F.read(bytes: bytes)
            Issue.record("invalid UTF-8 was accepted")
        } catch let error as ImportError {
            #expect(error.location == .line(4))
            #expect(error.message.contains("UTF-8"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// The reader streams, as the JSON Lines reader does: a bad event later in the file
    /// stops the read, naming it, after the events before it went on (the store's batch
    /// rolls them back: CLITests.badRecordRejectsTheWholeFileAndNamesIt).
    @Test func aLaterBadEventStopsTheReadAndIsNamed() throws {
        let url = try F.temporaryFile(
            Data(F.calendar(F.vevent("bon", "DTSTART;VALUE=DATE:20201117") + F.vevent("mauvais", "DTSTART:zzz")).utf8),
            extension: "ics")
        defer { try? FileManager.default.removeItem(at: url) }
        var seen: [String] = []
        let error = #expect(throws: ImportError.self) {
            try ICalendarReader().read(ImportInput(url: url, displayName: "p.ics")) { seen.append($0.id) }
        }
        #expect(error?.location == .uid("mauvais", line: 9), "\(String(describing: error))")
        #expect(error?.field == "DTSTART")
        #expect(seen.allSatisfy { $0 == "bon" })
    }

    /// Events come out as the window passes them, in the order of their first VEVENT; the
    /// VEVENTs of one event may be apart by less than the window.
    @Test func eventsStreamOutInOrderOfTheirFirstVEvent() throws {
        var text = F.vevent("tour#1", "X-RELAIS-ID:tour", "SUMMARY:Tour", "DTSTART;VALUE=DATE:20201102")
        for index in 0..<30 { text += F.vevent("e\(index)", "DTSTART;VALUE=DATE:20201103") }
        text += F.vevent("tour#2", "X-RELAIS-ID:tour", "SUMMARY:Tour", "DTSTART;VALUE=DATE:20201110")
        let events = try F.read(F.calendar(text))
        #expect(events.map(\.id) == ["tour"] + (0..<30).map { "e\($0)" })
        #expect(events[0].slots.count == 2)
        let grouper = ICalendarEventBuilder.Grouper(builder: ICalendarEventBuilder(file: "w.ics"), window: 10)
        let document = try ICalendarDocument(file: "w.ics", bytes: Array(F.calendar(text).utf8))
        var built: [String] = []
        for vevent in document.events { try grouper.add(vevent) { built.append($0.event.id) } }
        // Past the window, the late VEVENT is an event of its own, which the store refuses.
        #expect(built.first == "tour")
        try grouper.finish { built.append($0.event.id) }
        #expect(built.filter { $0 == "tour" }.count == 2)

        // Instances without their series are not kept past the window.
        var orphans = ""
        for index in 0..<5 { orphans += F.vevent("seul-\(index)", "RECURRENCE-ID;VALUE=DATE:20201117", "DTSTART;VALUE=DATE:20201118") }
        let small = ICalendarEventBuilder.Grouper(builder: ICalendarEventBuilder(file: "o.ics"), window: 3)
        let orphanDocument = try ICalendarDocument(file: "o.ics", bytes: Array(F.calendar(orphans).utf8))
        var added = 0
        let error = #expect(throws: ImportError.self) {
            for vevent in orphanDocument.events {
                try small.add(vevent) { _ in }
                added += 1
            }
        }
        #expect(added == 3)
        #expect(error?.field == "RECURRENCE-ID")
        #expect(error?.message.contains("within 3 VEVENTs") == true)
    }

    @Test func problemsFromBodyBecomeImportErrorsAtTheVEvent() throws {
        let url = try F.temporaryFile(
            Data(F.calendar(F.vevent("a", "DTSTART;VALUE=DATE:20201117") + F.vevent("b", "DTSTART;VALUE=DATE:20201118")).utf8),
            extension: "ics")
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ImportError.self) {
            try ICalendarReader().read(ImportInput(url: url, displayName: "p.ics")) { event in
                if event.id == "b" { throw EventFieldProblem(field: "id", message: "duplicate id 'b'") }
            }
        }
        #expect(error?.location == .uid("b", line: 9))
        #expect(error?.field == "UID")
        #expect(error?.file == "p.ics")
    }

    @Test func missingFileIsAnImportError() {
        let url = URL(fileURLWithPath: "/nonexistent/relais-\(UUID().uuidString).ics")
        let error = #expect(throws: ImportError.self) {
            try ICalendarReader().read(ImportInput(url: url, displayName: "absent.ics")) { _ in }
        }
        #expect(error?.file == "absent.ics")
        #expect(error?.message == "cannot open: No such file or directory", "the same words as the other readers")
    }
}
