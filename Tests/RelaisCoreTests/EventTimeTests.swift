import Foundation
import RelaisCore
import Testing

@Suite("Event times")
struct EventTimeTests {
    // MARK: the three forms

    @Test func parsesADayAsAllDay() {
        #expect(EventTime(parsing: "2020-11-17") == .allDay(CivilDate(year: 2020, month: 11, day: 17)))
        #expect(EventTime(parsing: "2020-11-17")?.isAllDay == true)
        #expect(EventTime(parsing: "2020-02-29") == .allDay(CivilDate(year: 2020, month: 2, day: 29)))
        #expect(EventTime(parsing: "2000-02-29") != nil)
    }

    @Test(arguments: [
        // Paris wall clock, winter (+01:00) and summer (+02:00).
        ("2020-11-10T09:30", utc(2020, 11, 10, 8, 30)),
        ("2020-11-10 09:30", utc(2020, 11, 10, 8, 30)),
        ("2020-11-10T09:30:15", utc(2020, 11, 10, 8, 30, 15)),
        ("2020-07-14T10:00", utc(2020, 7, 14, 8, 0)),
        ("2020-01-01T00:00", utc(2019, 12, 31, 23, 0)),
        // RFC 3339 with an offset or Z.
        ("2020-11-10T09:30:00+01:00", utc(2020, 11, 10, 8, 30)),
        ("2020-11-10T08:30:00Z", utc(2020, 11, 10, 8, 30)),
        ("2020-11-10T08:30:00z", utc(2020, 11, 10, 8, 30)),
        ("2020-11-10t08:30:00z", utc(2020, 11, 10, 8, 30)),
        ("2020-11-10T03:30:00-05:00", utc(2020, 11, 10, 8, 30)),
        ("2020-11-10T14:00:00+05:30", utc(2020, 11, 10, 8, 30)),
        ("2020-11-10T08:30:00+00:00", utc(2020, 11, 10, 8, 30)),
        ("2020-11-10T09:30+01:00", utc(2020, 11, 10, 8, 30)),
        ("2020-11-10T23:30:00-18:00", utc(2020, 11, 11, 17, 30)),
        ("2020-11-11T02:30:00+18:00", utc(2020, 11, 10, 8, 30)),
    ])
    func parsesInstants(text: String, expected: Date) {
        #expect(EventTime(parsing: text) == .instant(expected))
        #expect(EventTime(parsing: text)?.isAllDay == false)
    }

    @Test(arguments: [
        "", " ", "garbage", "2020", "2020-11", "2020-1-17", "2020/11/17", "17-11-2020", "2020-11-17 ", " 2020-11-17",
        // Impossible days.
        "2020-02-30", "2021-02-29", "1900-02-29", "2020-04-31", "2020-06-31", "2020-09-31", "2020-11-31", "2020-13-01", "2020-00-10", "2020-11-00", "2020-11-32",
        // Impossible times.
        "2020-11-10T24:00", "2020-11-10T24:00:00+01:00", "2020-11-10T09:60", "2020-11-10T09:30:60Z",
        "2020-11-10T9:30", "2020-11-10T09:3", "2020-11-10T", "2020-11-10T09", "2020-11-10X09:30",
        "2020-11-10t09:30x", "2020-11-10T09h30",
        // Bad offsets.
        "2020-11-10T09:30:00+01", "2020-11-10T09:30:00+0100", "2020-11-10T09:30:00+1:00", "2020-11-10T09:30:00+01:60",
        "2020-11-10T09:30:00+19:00", "2020-11-10T09:30:00-19:00", "2020-11-10T09:30:00+18:30",
        "2020-11-10T09:30:00+01:00:00", "2020-11-10T09:30:00 +01:00", "2020-11-10T09:30:00UTC", "2020-11-10T09:30:00ZZ",
        "2020-11-10T09:30:00*01:00",
        // Bad fractions.
        "2020-11-10T09:30:00.", "2020-11-10T09:30:00.Z", "2020-11-10T09:30:00.5x",
    ])
    func rejects(text: String) {
        #expect(EventTime(parsing: text) == nil)
    }

    @Test func parsesASubstring() {
        let line = "start=2020-11-10T09:30;"
        let slice = line.dropFirst(6).dropLast()
        #expect(EventTime(parsing: slice) == .instant(utc(2020, 11, 10, 8, 30)))
    }

    /// Relais keeps times to the second: a fraction of a second is dropped when parsing,
    /// so that what is written (whole seconds) always reads back as the same instant.
    @Test func fractionsOfASecondAreDropped() throws {
        let parsed = try #require(EventTime(parsing: "2020-11-10T08:30:15.750Z"))
        #expect(parsed == .instant(utc(2020, 11, 10, 8, 30, 15)))
        #expect(EventTime(parsing: "2020-11-10T09:30:15,25") == .instant(utc(2020, 11, 10, 8, 30, 15)))
        #expect(EventTime(parsing: parsed.description) == parsed)
    }

    // MARK: writing

    @Test(arguments: [
        ("2020-11-17", "2020-11-17"),
        ("2020-11-10T09:30", "2020-11-10T09:30:00+01:00"),
        ("2020-11-10T08:30:00Z", "2020-11-10T09:30:00+01:00"),
        ("2020-11-10T23:30:00-05:00", "2020-11-11T05:30:00+01:00"),
        ("2020-07-14T10:00", "2020-07-14T10:00:00+02:00"),
        ("2020-07-14T22:59:59Z", "2020-07-15T00:59:59+02:00"),
        ("2020-12-31T23:00:00Z", "2021-01-01T00:00:00+01:00"),
        ("1969-12-31T23:59:59Z", "1970-01-01T00:59:59+01:00"),
    ])
    func descriptionIsTheCanonicalText(text: String, expected: String) {
        #expect(EventTime(parsing: text)?.description == expected)
    }

    @Test(arguments: [
        "2020-11-17", "2020-02-29", "2020-11-10T09:30", "2020-11-10T09:30:59", "2020-07-14T10:00",
        "2020-11-10T09:30:00+01:00", "2020-11-10T09:30:00-07:00", "2020-11-10T09:30:00Z", "2020-10-25T01:30",
        "2020-10-25T02:30:00+02:00", "2020-10-25T02:30:00+01:00", "2020-10-25T03:00", "2021-03-28T01:59",
        "2021-03-28T02:30", "2021-03-28T03:00", "2020-12-31T23:59:59", "2021-01-01T00:00", "1970-01-01T00:00:00Z",
        "1969-06-01T12:00",
    ])
    func descriptionRoundTrips(text: String) throws {
        let value = try #require(EventTime(parsing: text))
        #expect(EventTime(parsing: value.description) == value)
        #expect(EventTime(parsing: value.description)?.description == value.description)
    }

    // MARK: Paris time

    @Test func parisOffsetsInWinterAndSummer() {
        #expect(ParisTime.offset(at: utc(2020, 11, 10, 12)) == 3600)
        #expect(ParisTime.offset(at: utc(2020, 1, 15, 12)) == 3600)
        #expect(ParisTime.offset(at: utc(2020, 7, 14, 12)) == 7200)
        #expect(ParisTime.offset(at: utc(2020, 4, 1, 12)) == 7200)
        // The changes happen at 01:00 UTC.
        #expect(ParisTime.offset(at: utc(2020, 10, 25, 0, 59, 59)) == 7200)
        #expect(ParisTime.offset(at: utc(2020, 10, 25, 1)) == 3600)
        #expect(ParisTime.offset(at: utc(2021, 3, 28, 0, 59, 59)) == 3600)
        #expect(ParisTime.offset(at: utc(2021, 3, 28, 1)) == 7200)
    }

    @Test func parisDayOfAnInstant() {
        #expect(time("2020-11-30T23:30").parisDay == CivilDate(year: 2020, month: 11, day: 30))
        // 23:30 UTC on 30 November is already 1 December in Paris.
        #expect(time("2020-11-30T23:30:00Z").parisDay == CivilDate(year: 2020, month: 12, day: 1))
        #expect(time("2020-11-17").parisDay == CivilDate(year: 2020, month: 11, day: 17))
    }

    @Test func allDayCoversTheWholeParisDay() {
        let day = time("2020-11-17")
        #expect(day.earliestInstant == utc(2020, 11, 16, 23))
        #expect(day.latestInstant == utc(2020, 11, 17, 22, 59, 59))
        let summerDay = time("2020-07-14")
        #expect(summerDay.earliestInstant == utc(2020, 7, 13, 22))
        #expect(summerDay.latestInstant == utc(2020, 7, 14, 21, 59, 59))
        let instant = time("2020-11-10T09:30")
        #expect(instant.earliestInstant == instant.latestInstant)
    }

    @Test func dstDaysHaveTwentyFiveAndTwentyThreeHours() {
        let autumn = time("2020-10-25")
        #expect(autumn.earliestInstant == utc(2020, 10, 24, 22))
        #expect(autumn.latestInstant == utc(2020, 10, 25, 22, 59, 59))
        #expect(autumn.latestInstant.timeIntervalSince(autumn.earliestInstant) == 25 * 3600 - 1)
        let spring = time("2021-03-28")
        #expect(spring.earliestInstant == utc(2021, 3, 27, 23))
        #expect(spring.latestInstant == utc(2021, 3, 28, 21, 59, 59))
        #expect(spring.latestInstant.timeIntervalSince(spring.earliestInstant) == 23 * 3600 - 1)
    }

    /// 25 October 2020: at 03:00 summer time clocks go back to 02:00, so 02:00–02:59 happen
    /// twice. A Paris wall-clock time in that hour is read as its first (summer-time)
    /// occurrence; an explicit offset picks either one.
    @Test func autumnChangeAmbiguousHourTakesTheFirstOccurrence() {
        #expect(time("2020-10-25T01:59") == .instant(utc(2020, 10, 24, 23, 59)))
        #expect(time("2020-10-25T02:00") == .instant(utc(2020, 10, 25, 0, 0)))
        #expect(time("2020-10-25T02:30") == .instant(utc(2020, 10, 25, 0, 30)))
        #expect(time("2020-10-25T02:30").description == "2020-10-25T02:30:00+02:00")
        #expect(time("2020-10-25T02:59:59") == .instant(utc(2020, 10, 25, 0, 59, 59)))
        #expect(time("2020-10-25T03:00") == .instant(utc(2020, 10, 25, 2, 0)))
        #expect(time("2020-10-25T03:00").description == "2020-10-25T03:00:00+01:00")

        let first = time("2020-10-25T02:30:00+02:00")
        let second = time("2020-10-25T02:30:00+01:00")
        #expect(first == .instant(utc(2020, 10, 25, 0, 30)))
        #expect(second == .instant(utc(2020, 10, 25, 1, 30)))
        #expect(second.earliestInstant.timeIntervalSince(first.earliestInstant) == 3600)
        #expect(first.description == "2020-10-25T02:30:00+02:00")
        #expect(second.description == "2020-10-25T02:30:00+01:00")
        #expect(first < second)
    }

    /// 28 March 2021: at 02:00 winter time clocks jump to 03:00, so 02:00–02:59 never
    /// happen. A Paris wall-clock time in that hour is moved forward one hour.
    @Test func springChangeNonexistentHourMovesForward() {
        #expect(time("2021-03-28T01:59") == .instant(utc(2021, 3, 28, 0, 59)))
        #expect(time("2021-03-28T01:59").description == "2021-03-28T01:59:00+01:00")
        #expect(time("2021-03-28T02:00") == .instant(utc(2021, 3, 28, 1, 0)))
        #expect(time("2021-03-28T02:30") == .instant(utc(2021, 3, 28, 1, 30)))
        #expect(time("2021-03-28T02:30").description == "2021-03-28T03:30:00+02:00")
        #expect(time("2021-03-28T03:00") == .instant(utc(2021, 3, 28, 1, 0)))
        #expect(time("2021-03-28T03:30") == time("2021-03-28T02:30"))
        #expect(time("2021-03-28T01:59") < time("2021-03-28T02:30"))
    }

    @Test func timesOrderByFirstCoveredInstant() {
        #expect(time("2020-11-10") < time("2020-11-10T00:30"))
        #expect(time("2020-11-09T23:59") < time("2020-11-10"))
        #expect(time("2020-11-10T09:30") < time("2020-11-10T09:31"))
        #expect(!(time("2020-11-10T09:30") < time("2020-11-10T08:30:00Z")))
        #expect(time("2020-11-10T09:30") == time("2020-11-10T08:30:00Z"))
    }

    // MARK: slots

    @Test func slotProblems() {
        #expect(slot("2020-11-10T09:30", "2020-11-10T11:30").problem == nil)
        #expect(slot("2020-11-10T09:30", "2020-11-10T09:30").problem == nil)
        #expect(slot("2020-11-17", "2020-11-27").problem == nil)
        #expect(slot("2020-11-17", "2020-11-17").problem == nil)
        #expect(slot("2020-11-17").problem == nil)
        #expect(slot("2020-11-10T11:30", "2020-11-10T09:30").problem != nil)
        #expect(slot("2020-11-27", "2020-11-17").problem != nil)
        #expect(slot("2020-11-17", "2020-11-17T10:00").problem != nil)
        #expect(slot("2020-11-17T10:00", "2020-11-18").problem != nil)
        // Offsets are compared as instants: 10:00+01:00 is 09:00Z, before 09:30Z.
        #expect(slot("2020-11-10T09:30:00Z", "2020-11-10T10:00:00+01:00").problem != nil)
    }

    @Test func slotCoverage() {
        let span = slot("2020-11-17", "2020-11-27")
        #expect(span.coveredStart == utc(2020, 11, 16, 23))
        #expect(span.coveredEnd == utc(2020, 11, 27, 22, 59, 59))
        let moment = slot("2020-11-10T09:30")
        #expect(moment.coveredStart == moment.coveredEnd)
        #expect(span.overlaps(from: utc(2020, 11, 27, 22, 59, 59), to: utc(2020, 12, 1)))
        #expect(!span.overlaps(from: utc(2020, 11, 27, 23), to: utc(2020, 12, 1)))
        #expect(span.overlaps(from: utc(2020, 11, 1), to: utc(2020, 11, 16, 23)))
        #expect(!span.overlaps(from: utc(2020, 11, 1), to: utc(2020, 11, 16, 22, 59, 59)))
    }
}
