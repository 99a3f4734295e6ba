import Foundation
import RelaisCore
import Testing

@Suite("Event queries")
struct EventQueryTests {
    static let bordeaux = sampleEvent(
        id: "na-webinar", title: "Webinaire : l’innovation numérique en Nouvelle-Aquitaine", kind: .webinar,
        slots: [slot("2020-11-10T09:30", "2020-11-10T11:30")], region: region("75"), online: true, lab: "la-base",
        organizer: "La Base", place: "En ligne", tags: ["numérique", "agents"],
        description: "Présentation des services publics numériques.")
    static let rennes = sampleEvent(
        id: "bzh-hackathon", title: "Hackathon des données", kind: .hackathon, status: .cancelled,
        slots: [slot("2020-11-17", "2020-11-27")], region: region("53"), lab: "ti-lab", organizer: "Ti-Lab",
        place: "Rennes", tags: ["open data"])
    static let national = sampleEvent(
        id: "nat-forum", title: "Forum national de l’innovation publique", kind: .forum,
        slots: [slot("2020-11-30")], organizer: "DITP", place: "Paris",
        description: "Au cœur de la transformation de l’action publique.")
    static let lille = sampleEvent(
        id: "hdf-workshop", title: "Atelier design", kind: .workshop, status: .postponed,
        slots: [slot("2020-11-30T23:30"), slot("2020-11-05T10:00", "2020-11-05T12:00")], region: region("32"))
    static let all = [bordeaux, rennes, national, lille]

    static func ids(_ query: EventQuery) -> Set<String> {
        Set(all.filter(query.matches).map(\.id))
    }

    @Test func emptyQueryMatchesEverything() {
        #expect(Self.ids(EventQuery()) == Set(Self.all.map(\.id)))
    }

    @Test func regionFilter() {
        var query = EventQuery()
        query.regions = [.region(region("75"))]
        #expect(Self.ids(query) == ["na-webinar"])
        query.regions = [.national]
        #expect(Self.ids(query) == ["nat-forum"])
        query.regions = [.region(region("75")), .region(region("53"))]
        #expect(Self.ids(query) == ["na-webinar", "bzh-hackathon"])
        query.regions = [.region(region("53")), .national]
        #expect(Self.ids(query) == ["bzh-hackathon", "nat-forum"])
        query.regions = [.region(region("94"))]
        #expect(Self.ids(query).isEmpty)
    }

    @Test func kindFilter() {
        var query = EventQuery()
        query.kinds = [.webinar]
        #expect(Self.ids(query) == ["na-webinar"])
        query.kinds = [.webinar, .workshop]
        #expect(Self.ids(query) == ["na-webinar", "hdf-workshop"])
        query.kinds = [.podcast]
        #expect(Self.ids(query).isEmpty)
    }

    @Test func labFilter() {
        var query = EventQuery()
        query.labs = ["la-base"]
        #expect(Self.ids(query) == ["na-webinar"])
        query.labs = ["la-base", "ti-lab"]
        #expect(Self.ids(query) == ["na-webinar", "bzh-hackathon"])
        query.labs = ["siilab"]
        #expect(Self.ids(query).isEmpty)
    }

    @Test func statusFilter() {
        var query = EventQuery()
        query.statuses = [.cancelled]
        #expect(Self.ids(query) == ["bzh-hackathon"])
        query.statuses = [.scheduled]
        #expect(Self.ids(query) == ["na-webinar", "nat-forum"])
        query.statuses = [.cancelled, .postponed]
        #expect(Self.ids(query) == ["bzh-hackathon", "hdf-workshop"])
    }

    @Test func onlineFilter() {
        var query = EventQuery()
        query.online = true
        #expect(Self.ids(query) == ["na-webinar"])
        query.online = false
        #expect(Self.ids(query) == ["bzh-hackathon", "nat-forum", "hdf-workshop"])
    }

    @Test func filtersCombineWithAnd() {
        var query = EventQuery()
        query.regions = [.region(region("75")), .region(region("53"))]
        query.kinds = [.webinar, .hackathon]
        #expect(Self.ids(query) == ["na-webinar", "bzh-hackathon"])
        query.statuses = [.cancelled]
        #expect(Self.ids(query) == ["bzh-hackathon"])
        query.online = true
        #expect(Self.ids(query).isEmpty)
        query = EventQuery()
        query.kinds = [.webinar]
        query.labs = ["ti-lab"]
        #expect(Self.ids(query).isEmpty)
        query.text = "numerique"
        query.labs = []
        #expect(Self.ids(query) == ["na-webinar"])
        query.from = day("2020-11-11")
        #expect(Self.ids(query).isEmpty)
    }

    @Test func scriptFiltersAreNotEvaluatedHere() {
        var query = EventQuery()
        query.scriptFilters = ["la-base.agents"]
        #expect(Self.ids(query) == Set(Self.all.map(\.id)))
    }

    // MARK: dates

    static func window(_ from: String?, _ to: String?) -> EventQuery {
        var query = EventQuery()
        query.from = from.map { day($0) }
        query.to = to.map { day($0) }
        return query
    }

    static func event(_ slots: Slot...) -> Event {
        sampleEvent(id: "dated", slots: slots)
    }

    static let spanCases: [(from: String?, to: String?, expected: Bool)] = [
        // A span of days matches a window inside it, and windows touching either end.
        ("2020-11-20", "2020-11-21", true), ("2020-11-01", "2020-11-17", true), ("2020-11-27", "2020-11-30", true),
        ("2020-11-01", "2020-11-16", false), ("2020-11-28", "2020-11-30", false), ("2020-11-01", "2020-11-30", true),
        (nil, "2020-11-17", true), (nil, "2020-11-16", false), ("2020-11-27", nil, true), ("2020-11-28", nil, false),
    ]

    @Test(arguments: spanCases)
    func spanOfDays(from: String?, to: String?, expected: Bool) {
        #expect(Self.window(from, to).matches(Self.event(slot("2020-11-17", "2020-11-27"))) == expected)
    }

    static let allDayCases: [(from: String?, to: String?, expected: Bool)] = [
        ("2020-11-30", "2020-11-30", true), (nil, "2020-11-30", true), ("2020-11-30", nil, true),
        (nil, "2020-11-29", false), ("2020-12-01", nil, false), ("2020-11-01", "2020-11-29", false),
        ("2020-12-01", "2020-12-31", false),
    ]

    @Test(arguments: allDayCases)
    func allDaySlot(from: String?, to: String?, expected: Bool) {
        #expect(Self.window(from, to).matches(Self.event(slot("2020-11-30"))) == expected)
        // A one-day slot written with an explicit end is the same day.
        #expect(Self.window(from, to).matches(Self.event(slot("2020-11-30", "2020-11-30"))) == expected)
    }

    static let instantCases: [(text: String, from: String?, to: String?, expected: Bool)] = [
        // 23:30 on 30 November in Paris is still 30 November.
        ("2020-11-30T23:30", nil, "2020-11-30", true),
        ("2020-11-30T23:30", "2020-12-01", nil, false),
        ("2020-11-30T23:30:00+01:00", "2020-11-30", "2020-11-30", true),
        // 00:30 on 1 December in Paris (23:30 UTC on 30 November) is 1 December.
        ("2020-12-01T00:30", nil, "2020-11-30", false),
        ("2020-11-30T23:30:00Z", nil, "2020-11-30", false),
        ("2020-12-01T00:30", "2020-12-01", nil, true),
        ("2020-11-30T23:30:00Z", "2020-12-01", "2020-12-01", true),
        // Midnight belongs to the day it starts.
        ("2020-12-01T00:00", nil, "2020-11-30", false),
        ("2020-12-01T00:00", "2020-12-01", nil, true),
        ("2020-11-30T23:59:59", nil, "2020-11-30", true),
        ("2020-11-10T09:30", "2020-11-01", "2020-11-30", true),
        ("2020-11-10T09:30", "2020-11-11", "2020-11-30", false),
        ("2020-11-10T09:30", "2020-11-01", "2020-11-09", false),
    ]

    @Test(arguments: instantCases)
    func instant(text: String, from: String?, to: String?, expected: Bool) {
        #expect(Self.window(from, to).matches(Self.event(slot(text))) == expected)
    }

    @Test func timeRangeOverlappingTheWindowEdge() {
        let evening = Self.event(slot("2020-11-29T22:00", "2020-11-30T01:00"))
        #expect(Self.window("2020-11-30", nil).matches(evening))
        #expect(Self.window(nil, "2020-11-29").matches(evening))
        #expect(!Self.window("2020-12-01", nil).matches(evening))
        #expect(!Self.window(nil, "2020-11-28").matches(evening))
        // A range strictly containing the window matches.
        let long = Self.event(slot("2020-11-01T09:00", "2020-11-30T18:00"))
        #expect(Self.window("2020-11-10", "2020-11-10").matches(long))
    }

    @Test func anySlotMayMatch() {
        let twice = Self.event(slot("2020-11-05T10:00", "2020-11-05T12:00"), slot("2020-11-30T23:30"))
        #expect(Self.window("2020-11-05", "2020-11-05").matches(twice))
        #expect(Self.window("2020-11-30", "2020-11-30").matches(twice))
        #expect(!Self.window("2020-11-06", "2020-11-29").matches(twice))
    }

    @Test func windowBounds() {
        let both = Self.window("2020-11-01", "2020-11-30").window
        #expect(both.from == utc(2020, 10, 31, 23))
        #expect(both.to == utc(2020, 11, 30, 22, 59, 59))
        let summer = Self.window("2020-07-14", "2020-07-14").window
        #expect(summer.from == utc(2020, 7, 13, 22))
        #expect(summer.to == utc(2020, 7, 14, 21, 59, 59))
        let open = EventQuery().window
        #expect(open.from == nil)
        #expect(open.to == nil)
    }

    // MARK: text

    @Test(arguments: [
        ("innovation numerique", ["na-webinar"]),
        ("numerique innovation", ["na-webinar"]),
        ("NUMÉRIQUE", ["na-webinar"]),
        ("numériques", ["na-webinar"]),
        ("innovation", ["na-webinar", "nat-forum"]),
        ("innov", ["na-webinar", "nat-forum"]),
        ("coeur", ["nat-forum"]),
        ("ditp", ["nat-forum"]),
        ("paris", ["nat-forum"]),
        ("rennes", ["bzh-hackathon"]),
        ("open data", ["bzh-hackathon"]),
        ("agents", ["na-webinar"]),
        ("l'innovation publique", ["nat-forum"]),
        ("l’innovation publique", ["nat-forum"]),
        ("innovation rennes", []),
        ("vation", []),
        ("", ["na-webinar", "bzh-hackathon", "nat-forum", "hdf-workshop"]),
        (" - ", ["na-webinar", "bzh-hackathon", "nat-forum", "hdf-workshop"]),
    ])
    func text(text: String, expected: [String]) {
        var query = EventQuery()
        query.text = text
        #expect(Self.ids(query) == Set(expected))
    }

    @Test func textWordsAreFolded() {
        var query = EventQuery()
        #expect(query.textWords == [])
        query.text = "L’Événement  Cœur"
        #expect(query.textWords == ["l", "evenement", "coeur"])
    }

    @Test func textDoesNotSearchIdsOrKinds() {
        var query = EventQuery()
        query.text = "webinar"
        #expect(Self.ids(query).isEmpty)
        query.text = "bzh"
        #expect(Self.ids(query).isEmpty)
    }

    // MARK: ordering helpers

    @Test func firstStartAndLastEnd() {
        #expect(Self.lille.firstStart == utc(2020, 11, 5, 9))
        #expect(Self.lille.lastEnd == utc(2020, 11, 30, 22, 30))
        #expect(Self.rennes.firstStart == utc(2020, 11, 16, 23))
        #expect(Self.rennes.lastEnd == utc(2020, 11, 27, 22, 59, 59))
    }
}
