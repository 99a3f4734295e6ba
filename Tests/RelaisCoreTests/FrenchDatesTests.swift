import Foundation
import RelaisCore
import Testing

@Suite("French dates")
struct FrenchDatesTests {
    @Test(arguments: [
        // A time range within a day.
        (slot("2020-11-10T09:30", "2020-11-10T11:30"), "mardi 10 novembre 2020, 9h30–11h30"),
        (slot("2020-11-10T09:30:00+01:00", "2020-11-10T11:30:00+01:00"), "mardi 10 novembre 2020, 9h30–11h30"),
        (slot("2020-11-10T08:30:00Z", "2020-11-10T10:30:00Z"), "mardi 10 novembre 2020, 9h30–11h30"),
        (slot("2020-11-19T14:00", "2020-11-19T17:00"), "jeudi 19 novembre 2020, 14h–17h"),
        (slot("2020-11-02T09:05", "2020-11-02T10:00"), "lundi 2 novembre 2020, 9h05–10h"),
        (slot("2020-12-01T00:00", "2020-12-01T23:59"), "mardi 1er décembre 2020, 0h–23h59"),
        // A moment, and a range whose start and end are the same.
        (slot("2020-11-19T14:00"), "jeudi 19 novembre 2020, 14h"),
        (slot("2020-11-19T14:00", "2020-11-19T14:00"), "jeudi 19 novembre 2020, 14h"),
        // Across days.
        (slot("2020-11-10T09:30", "2020-11-11T17:00"), "du mardi 10 novembre 2020, 9h30 au mercredi 11 novembre 2020, 17h"),
        // One day.
        (slot("2020-11-24"), "le 24 novembre 2020"),
        (slot("2020-11-24", "2020-11-24"), "le 24 novembre 2020"),
        (slot("2020-12-01"), "le 1er décembre 2020"),
        (slot("2020-08-15"), "le 15 août 2020"),
        // Spans of days.
        (slot("2020-11-17", "2020-11-27"), "du 17 au 27 novembre 2020"),
        (slot("2020-11-01", "2020-11-02"), "du 1er au 2 novembre 2020"),
        (slot("2020-11-30", "2020-12-02"), "du 30 novembre au 2 décembre 2020"),
        (slot("2020-11-30", "2020-12-01"), "du 30 novembre au 1er décembre 2020"),
        (slot("2020-12-28", "2021-01-03"), "du 28 décembre 2020 au 3 janvier 2021"),
        (slot("2020-12-31", "2021-01-01"), "du 31 décembre 2020 au 1er janvier 2021"),
        // A slot across the autumn clock change: 01:30 summer time to 04:00 winter time.
        (slot("2020-10-25T01:30:00+02:00", "2020-10-25T04:00:00+01:00"), "dimanche 25 octobre 2020, 1h30–4h"),
        (slot("2020-10-25T01:30", "2020-10-25T04:00"), "dimanche 25 octobre 2020, 1h30–4h"),
        // And across the spring one.
        (slot("2021-03-28T01:30", "2021-03-28T04:00"), "dimanche 28 mars 2021, 1h30–4h"),
        // Late evening in Paris is still the same Paris day, whatever the UTC day.
        (slot("2020-11-30T23:00:00Z", "2020-11-30T23:30:00Z"), "mardi 1er décembre 2020, 0h–0h30"),
    ])
    func slotInWords(slot: Slot, expected: String) {
        #expect(FrenchDates.slot(slot) == expected)
    }

    @Test func weekdaysAndMonths() {
        let names = (16...22).map { FrenchDates.day(CivilDate(year: 2020, month: 11, day: $0), year: false) }
        #expect(names == [
            "lundi 16 novembre", "mardi 17 novembre", "mercredi 18 novembre", "jeudi 19 novembre",
            "vendredi 20 novembre", "samedi 21 novembre", "dimanche 22 novembre",
        ])
        let months = (1...12).map { FrenchDates.day(CivilDate(year: 2021, month: $0, day: 1), weekday: false) }
        #expect(months == [
            "1er janvier 2021", "1er février 2021", "1er mars 2021", "1er avril 2021", "1er mai 2021", "1er juin 2021",
            "1er juillet 2021", "1er août 2021", "1er septembre 2021", "1er octobre 2021", "1er novembre 2021",
            "1er décembre 2021",
        ])
        #expect(FrenchDates.day(CivilDate(year: 2020, month: 11, day: 10)) == "mardi 10 novembre 2020")
    }

    @Test func dayNumbers() {
        #expect(FrenchDates.dayNumber(1) == "1er")
        #expect(FrenchDates.dayNumber(2) == "2")
        #expect(FrenchDates.dayNumber(11) == "11")
        #expect(FrenchDates.dayNumber(21) == "21")
        #expect(FrenchDates.dayNumber(31) == "31")
    }

    @Test func timesOmitMinutesOnTheHour() {
        let date = CivilDate(year: 2020, month: 11, day: 10)
        #expect(FrenchDates.time(LocalDateTime(date: date, hour: 14, minute: 0)) == "14h")
        #expect(FrenchDates.time(LocalDateTime(date: date, hour: 9, minute: 30)) == "9h30")
        #expect(FrenchDates.time(LocalDateTime(date: date, hour: 9, minute: 5)) == "9h05")
        #expect(FrenchDates.time(LocalDateTime(date: date, hour: 0, minute: 0)) == "0h")
    }

    @Test func instantsInParisTime() {
        let instant = utc(2020, 11, 10, 8, 30)
        #expect(FrenchDates.instant(instant) == "mardi 10 novembre 2020, 9h30")
        #expect(FrenchDates.instant(instant, year: false) == "mardi 10 novembre, 9h30")
        #expect(FrenchDates.instant(instant, weekday: false, year: false) == "10 novembre, 9h30")
        #expect(FrenchDates.instant(utc(2020, 7, 14, 12)) == "mardi 14 juillet 2020, 14h")
    }

    @Test(arguments: [
        ("2020-11-10T09:30", "%A %d %B, %h", "mardi 10 novembre, 9h30"),
        ("2020-11-10T09:30", "%A %d %B %Y à %H:%M", "mardi 10 novembre 2020 à 09:30"),
        ("2020-12-01T14:00", "%A %d %B %Y, %h", "mardi 1er décembre 2020, 14h"),
        ("2020-12-01T14:00", "%e/%m/%Y", "1/12/2020"),
        ("2020-12-01T07:05", "%Hh%M", "07h05"),
        ("2020-12-01T13:00:00Z", "%h", "14h"),
        ("2020-07-14T12:00:00Z", "%H:%M", "14:00"),
        ("2020-11-24", "%A %d %B %Y", "mardi 24 novembre 2020"),
        ("2020-11-24", "le %d/%m[%h%H%M]", "le 24/11[]"),
        ("2020-11-10T09:30", "100%% %Q %", "100% %Q %"),
        ("2020-11-10T09:30", "", ""),
        ("2020-11-10T09:30", "sans motif", "sans motif"),
    ])
    func patternFormatting(text: String, pattern: String, expected: String) {
        #expect(FrenchDates.format(time(text), pattern: pattern) == expected)
    }
}
