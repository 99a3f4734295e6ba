import Foundation
import RelaisCore
import Testing

@Suite("ISO weeks")
struct ISOWeekTests {
    @Test func week47Of2020IsMonday16ToSunday22November() throws {
        let week = try #require(ISOWeek(parsing: "2020-W47"))
        #expect(week.year == 2020 && week.week == 47)
        #expect(week.monday == CivilDate(year: 2020, month: 11, day: 16))
        #expect(week.sunday == CivilDate(year: 2020, month: 11, day: 22))
        #expect(week.days == CivilDate(year: 2020, month: 11, day: 16)...CivilDate(year: 2020, month: 11, day: 22))
        #expect(week.monday.isoWeekday == 1)
        #expect(week.sunday.isoWeekday == 7)
        #expect(week.description == "2020-W47")
    }

    @Test func yearsWithFiftyThreeWeeks() {
        #expect(ISOWeek.weeks(in: 2020) == 53)
        #expect(ISOWeek.weeks(in: 2021) == 52)
        #expect(ISOWeek.weeks(in: 2015) == 53)
        #expect(ISOWeek.weeks(in: 2019) == 52)
        #expect(ISOWeek.weeks(in: 2026) == 53)
        #expect(ISOWeek(year: 2020, week: 53) != nil)
        #expect(ISOWeek(year: 2021, week: 53) == nil)
        #expect(ISOWeek(parsing: "2020-W53") != nil)
        #expect(ISOWeek(parsing: "2021-W53") == nil)
        #expect(ISOWeek(year: 2021, week: 52) != nil)
        #expect(ISOWeek(year: 2020, week: 0) == nil)
        #expect(ISOWeek(year: 2020, week: 54) == nil)
    }

    @Test func week53Of2020() throws {
        let week = try #require(ISOWeek(year: 2020, week: 53))
        #expect(week.monday == CivilDate(year: 2020, month: 12, day: 28))
        #expect(week.sunday == CivilDate(year: 2021, month: 1, day: 3))
    }

    @Test(arguments: [
        ("2021-01-03", 2020, 53), ("2021-01-04", 2021, 1), ("2020-12-28", 2020, 53), ("2019-12-30", 2020, 1),
        ("2019-12-29", 2019, 52), ("2020-01-01", 2020, 1), ("2020-01-05", 2020, 1), ("2020-01-06", 2020, 2),
        ("2016-01-01", 2015, 53), ("2018-12-31", 2019, 1), ("2020-11-16", 2020, 47), ("2020-11-22", 2020, 47),
        ("2020-11-23", 2020, 48), ("2020-10-25", 2020, 43), ("2021-03-28", 2021, 12), ("2024-12-30", 2025, 1),
    ])
    func weekContainingADay(text: String, year: Int, week: Int) {
        let found = ISOWeek(containing: day(text))
        #expect(found.year == year)
        #expect(found.week == week)
        #expect(found.days.contains(day(text)))
    }

    @Test func everyDayOfTwoYearsIsInTheWeekWhoseDaysContainIt() {
        var date = CivilDate(year: 2019, month: 12, day: 1)
        var previous = ISOWeek(containing: date)
        for _ in 0..<800 {
            let week = ISOWeek(containing: date)
            #expect(week.days.contains(date))
            #expect(week.monday.adding(days: date.isoWeekday - 1) == date)
            if date.isoWeekday == 1 {
                #expect(week == previous.adding(weeks: 1))
            } else {
                #expect(week == previous)
            }
            previous = week
            date = date.adding(days: 1)
        }
    }

    @Test func weekOfAnInstantIsReadInParis() {
        // Sunday 22 November 23:30 in Paris (22:30 UTC) is still week 47...
        #expect(ISOWeek(containing: utc(2020, 11, 22, 22, 30)).description == "2020-W47")
        // ...and 00:30 on Monday 23 in Paris, still Sunday 23:30 in UTC, is week 48.
        #expect(ISOWeek(containing: utc(2020, 11, 22, 23, 30)).description == "2020-W48")
    }

    @Test(arguments: [
        ("2020-W47", 2020, 47), ("2020W47", 2020, 47), ("2020-w47", 2020, 47), ("2020w47", 2020, 47),
        ("2020-W01", 2020, 1), ("2020-W53", 2020, 53), ("2021-W52", 2021, 52),
    ])
    func parsingForms(text: String, year: Int, week: Int) throws {
        let parsed = try #require(ISOWeek(parsing: text))
        #expect(parsed.year == year)
        #expect(parsed.week == week)
        #expect(ISOWeek(parsing: parsed.description) == parsed)
    }

    @Test(arguments: [
        "", "W47", "2020", "2020-47", "2020-W", "2020-W0", "2020-W00", "2020-W54", "2021-W53", "2020-W7", "2020-W047",
        "20-W47", "02020-W47", "2020-W47-1", "2020--W47", "2020-WW47", "2020 W47", " 2020-W47", "2020-W47 ",
        "2020-Wab", "abcd-W47", "2020-W+7", "2020-W-7", "+020-W47", "-020-W47", "2020-W 7",
    ])
    func parsingRejects(text: String) {
        #expect(ISOWeek(parsing: text) == nil)
    }

    @Test func descriptionPadsTheWeek() {
        #expect(ISOWeek(year: 2020, week: 5)?.description == "2020-W05")
        #expect(ISOWeek(year: 2020, week: 53)?.description == "2020-W53")
    }

    @Test func addingWeeksCrossesYears() throws {
        let w53 = try #require(ISOWeek(year: 2020, week: 53))
        #expect(w53.adding(weeks: 1).description == "2021-W01")
        #expect(w53.adding(weeks: -1).description == "2020-W52")
        #expect(w53.adding(weeks: 0) == w53)
        let w47 = try #require(ISOWeek(year: 2020, week: 47))
        #expect(w47.adding(weeks: 1).description == "2020-W48")
        #expect(w47.adding(weeks: -47).description == "2019-W52")
        #expect(w47.adding(weeks: 52).description == "2021-W46")
        #expect(w47 < w47.adding(weeks: 1))
        #expect(w53 < w53.adding(weeks: 1))
    }

    // MARK: a week as a query window, around the clock changes

    static func query(week: ISOWeek) -> EventQuery {
        var query = EventQuery()
        query.from = week.monday
        query.to = week.sunday
        return query
    }

    static func at(_ text: String) -> Event {
        sampleEvent(id: "at-\(text.replacingOccurrences(of: "+", with: "p"))", slots: [slot(text)])
    }

    /// Week 43 of 2020 ends on Sunday 25 October, the 25-hour day when summer time ends.
    @Test func weekWindowAroundTheAutumnChange() throws {
        let week = ISOWeek(containing: day("2020-10-25"))
        #expect(week.description == "2020-W43")
        #expect(week.monday == day("2020-10-19"))
        #expect(week.sunday == day("2020-10-25"))
        let query = Self.query(week: week)
        #expect(query.matches(Self.at("2020-10-25T23:30")))
        #expect(query.matches(Self.at("2020-10-25T23:59:59")))
        #expect(query.matches(Self.at("2020-10-25T23:30:00+01:00")))
        #expect(!query.matches(Self.at("2020-10-26T00:30")))
        #expect(!query.matches(Self.at("2020-10-26T00:00")))
        #expect(query.matches(Self.at("2020-10-19T00:00")))
        #expect(query.matches(Self.at("2020-10-19T00:30")))
        #expect(!query.matches(Self.at("2020-10-18T23:30")))
        #expect(query.matches(Self.at("2020-10-25T02:30:00+01:00")))
        #expect(query.matches(Self.at("2020-10-25")))
        #expect(!query.matches(Self.at("2020-10-26")))
        let window = query.window
        #expect(window.from == utc(2020, 10, 18, 22))
        #expect(window.to == utc(2020, 10, 25, 22, 59, 59))
    }

    /// Week 12 of 2021 ends on Sunday 28 March, the 23-hour day when summer time starts.
    @Test func weekWindowAroundTheSpringChange() throws {
        let week = ISOWeek(containing: day("2021-03-28"))
        #expect(week.description == "2021-W12")
        #expect(week.monday == day("2021-03-22"))
        #expect(week.sunday == day("2021-03-28"))
        let query = Self.query(week: week)
        #expect(query.matches(Self.at("2021-03-28T23:30")))
        #expect(query.matches(Self.at("2021-03-28T23:30:00+02:00")))
        #expect(!query.matches(Self.at("2021-03-29T00:30")))
        #expect(!query.matches(Self.at("2021-03-29T00:00")))
        #expect(query.matches(Self.at("2021-03-22T00:30")))
        #expect(!query.matches(Self.at("2021-03-21T23:30")))
        #expect(query.matches(Self.at("2021-03-28T02:30")))
        let window = query.window
        #expect(window.from == utc(2021, 3, 21, 23))
        #expect(window.to == utc(2021, 3, 28, 21, 59, 59))
    }
}
