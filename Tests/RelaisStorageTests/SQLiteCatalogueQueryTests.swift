import Foundation
import RelaisCore
@testable import RelaisStorage
import Testing

/// Queries: every built-in filter, checked against explicit answers and against
/// `EventQuery.matches`, the reference every store must agree with.
@Suite struct SQLiteCatalogueQueryTests {
    /// A small programme where each event exercises a filter or an edge of one.
    static func programme() throws -> [Event] {
        [
            try makeEvent(
                "a1", title: "Les innovations numériques", kind: .webinar, region: "75", online: true, lab: "la-base",
                tags: ["données"]),
            try makeEvent("a0", title: "Même heure que a1", region: "11"),
            try makeEvent(
                "a2", title: "Le cœur de l’action publique", slots: [slot("2020-11-17", "2020-11-27")], region: "53",
                lab: "ti-lab"),
            try makeEvent(
                "a3", title: "Conférence nationale", kind: .conference, status: .cancelled,
                slots: [slot("2020-11-20T14:00", "2020-11-20T16:00"), slot("2020-11-05")],
                organizer: "Ministère de la Transformation", place: "Paris"),
            try makeEvent(
                "a4", title: "Hackathon", kind: .hackathon, status: .postponed, slots: [slot("2020-11-30")],
                region: "32", description: "Une ŒUVRE collective"),
            try makeEvent("a5", title: "Formation", kind: .training, slots: [slot("2020-12-01T10:00")], region: "75", lab: "la-base"),
            try makeEvent(
                "b1", title: "Nuit blanche", slots: [slot("2020-10-31T23:30", "2020-11-01T00:30")], online: true),
            try makeEvent("b2", title: "Fin de mois", slots: [slot("2020-11-30T23:00:00+01:00", "2020-11-30T23:59:59+01:00")]),
            try makeEvent("b3", title: "Début décembre", slots: [slot("2020-12-01T00:00:00+01:00")]),
            try makeEvent(
                "b4", title: "Autour du mois", slots: [slot("2020-10-01"), slot("2020-12-15T10:00", "2020-12-15T12:00")],
                region: "75"),
        ]
    }

    static func day(_ text: String) -> CivilDate? { CivilDate(parsing: text) }

    /// Queries over every filter alone and in combination.
    static func queries() -> [(String, EventQuery)] {
        var list: [(String, EventQuery)] = [("everything", EventQuery())]
        func add(_ name: String, _ change: (inout EventQuery) -> Void) {
            var query = EventQuery()
            change(&query)
            list.append((name, query))
        }
        let nouvelleAquitaine = Region(code: "75")
        let bretagne = Region(code: "53")
        add("region 75") { $0.regions = nouvelleAquitaine.map { [.region($0)] } ?? [] }
        add("national") { $0.regions = [.national] }
        add("region 75 or 53 or national") {
            $0.regions = [nouvelleAquitaine, bretagne].compactMap { $0.map { .region($0) } } + [.national]
        }
        add("kind webinar") { $0.kinds = [.webinar] }
        add("kind workshop or hackathon") { $0.kinds = [.workshop, .hackathon] }
        add("lab la-base") { $0.labs = ["la-base"] }
        add("lab ti-lab or la-base") { $0.labs = ["ti-lab", "la-base"] }
        add("lab unknown") { $0.labs = ["nobody"] }
        add("status cancelled") { $0.statuses = [.cancelled] }
        add("status postponed or cancelled") { $0.statuses = [.postponed, .cancelled] }
        add("online") { $0.online = true }
        add("on site") { $0.online = false }
        add("November") {
            $0.from = day("2020-11-01")
            $0.to = day("2020-11-30")
        }
        add("from 2020-11-30") { $0.from = day("2020-11-30") }
        add("to 2020-11-05") { $0.to = day("2020-11-05") }
        add("inside a span") {
            $0.from = day("2020-11-20")
            $0.to = day("2020-11-20")
        }
        add("empty window") {
            $0.from = day("2020-11-12")
            $0.to = day("2020-11-12")
        }
        add("reversed window") {
            $0.from = day("2020-11-20")
            $0.to = day("2020-11-10")
        }
        for text in [
            "numerique", "NUMÉRIQUES", "coeur", "cœur", "innov num", "oeuvre", "l'action", "l’action",
            "transformation paris", "donnees", "xyz", "a", "", "   ", "!!!",
        ] {
            add("text \(text)") { $0.text = text }
        }
        add("limit 3") { $0.limit = 3 }
        add("limit 0") { $0.limit = 0 }
        add("negative limit") { $0.limit = -1 }
        add("combined") {
            $0.regions = nouvelleAquitaine.map { [.region($0), .national] } ?? []
            $0.online = true
            $0.from = day("2020-11-01")
            $0.text = "innov"
        }
        return list
    }

    @Test func everyFilterAgreesWithTheReference() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let events = try Self.programme()
        try importEvents(events, into: catalogue)
        for (name, query) in Self.queries() {
            let expected = referenceIDs(events, query)
            #expect(try listedIDs(catalogue, query) == expected, "\(name)")
            #expect(try catalogue.count(matching: query) == expected.count, "\(name)")
        }
        // Keyset paging: after each event's position, alone and with other filters.
        for event in events {
            var query = EventQuery()
            query.after = EventQuery.Position(event)
            #expect(try listedIDs(catalogue, query) == referenceIDs(events, query), "after \(event.id)")
            query.regions = [.national]
            query.limit = 2
            #expect(try listedIDs(catalogue, query) == referenceIDs(events, query), "after \(event.id), national")
        }
    }

    @Test func pagingThroughAListingGivesEveryEventOnce() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents(try syntheticEvents(1_000), into: catalogue)
        var query = EventQuery()
        query.limit = 70
        var paged: [String] = []
        while true {
            var page: [Event] = []
            try catalogue.forEachEvent(matching: query) { page.append($0); return true }
            guard let last = page.last else { break }
            paged += page.map(\.id)
            query.after = EventQuery.Position(last)
        }
        #expect(paged == (try listedIDs(catalogue)))
    }

    @Test func explicitAnswers() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents(try Self.programme(), into: catalogue)
        func ids(_ change: (inout EventQuery) -> Void) throws -> Set<String> {
            var query = EventQuery()
            change(&query)
            return Set(try listedIDs(catalogue, query))
        }
        #expect(try ids { $0.regions = [.national] } == ["a3", "b1", "b2", "b3"])
        #expect(try ids { $0.regions = Region(code: "75").map { [.region($0)] } ?? [] } == ["a1", "a5", "b4"])
        #expect(try ids { $0.kinds = [.webinar, .hackathon] } == ["a1", "a4"])
        #expect(try ids { $0.labs = ["la-base"] } == ["a1", "a5"])
        #expect(try ids { $0.statuses = [.cancelled] } == ["a3"])
        #expect(try ids { $0.online = true } == ["a1", "b1"])
        #expect(try ids { $0.text = "numerique" } == ["a1"])
        #expect(try ids { $0.text = "coeur" } == ["a2"])
        #expect(try ids { $0.text = "Œuvre" } == ["a4"])
        #expect(try ids { $0.text = "transformation paris" } == ["a3"])
        // November: b1 ends after midnight on the 1st, b2 ends at the last second, b3
        // starts after it; b4 has slots before and after but none inside.
        let november = try ids {
            $0.from = Self.day("2020-11-01")
            $0.to = Self.day("2020-11-30")
        }
        #expect(november == ["a0", "a1", "a2", "a3", "a4", "b1", "b2"])
        // An all-day span covers its whole days, and an all-day slot its whole day.
        #expect(
            try ids {
                $0.from = Self.day("2020-11-27")
                $0.to = Self.day("2020-11-27")
            } == ["a2"])
        #expect(try ids { $0.from = Self.day("2020-12-02") } == ["b4"])
    }

    @Test func ordersByFirstStartThenID() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let events = [
            try makeEvent("z", slots: [slot("2020-11-10T09:30")]),
            try makeEvent("m", slots: [slot("2020-11-10T09:30")]),
            try makeEvent("b", slots: [slot("2020-11-12T08:00"), slot("2020-11-02")]),
            try makeEvent("a", slots: [slot("2020-11-11")]),
            try makeEvent("y", slots: [slot("2020-11-10T09:29:59+01:00")]),
        ]
        try importEvents(events, into: catalogue)
        #expect(try listedIDs(catalogue) == ["b", "y", "m", "z", "a"])
    }

    @Test func textWithQuerySyntaxIsOnlyText() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let events = [
            try makeEvent("e1", title: "Innovation OR rien"),
            try makeEvent("e2", title: "Numérique (et plus)"),
            try makeEvent("e3", title: "Rien à voir"),
        ]
        try importEvents(events, into: catalogue)
        for text in [
            "\"", "\"innovation", "innovation\"", "*", "innov*", "-rien", "rien -innovation", "OR", "innovation OR numerique",
            "AND", "NOT rien", "(numerique", "numerique)", "(et plus)", "NEAR(rien voir)", "title:rien", "^rien",
            "words:rien", "\"\"\"\"", "'; DROP TABLE events; --", "{rien}", "rien + voir", "\u{0}rien",
        ] {
            var query = EventQuery()
            query.text = text
            let expected = referenceIDs(events, query)
            #expect(try listedIDs(catalogue, query) == expected, "\(text)")
            #expect(try catalogue.count(matching: query) == expected.count, "\(text)")
        }
        #expect(try catalogue.count(matching: EventQuery()) == 3)
    }

    @Test func wordPrefixesMatchTheSameWhetherSpelledOutOrNot() throws {
        // A word's prefix is replaced by the terms that start with it, up to a limit; past
        // it, it stays a prefix term. Both must find what the in-memory reference finds.
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let count = 40  // more words with one prefix than a prefix is expanded into (32)
        var events = try (0..<count).map { try makeEvent("e\($0)", title: "Prefixe\($0) numérique") }
        events.append(try makeEvent("n1", title: "Numériques et innovations"))
        events.append(try makeEvent("n2", title: "Innovation numérique", description: "\"quotes\" OR (signs)"))
        try importEvents(events, into: catalogue)
        for (plan, text) in [EventQuerySQL.TextPlan.automatic, .probe, .collect].flatMap({ plan in
            [
                "prefixe", "prefixe1", "prefixe12", "PREFIXÉ3 numer", "numerique", "numeriques", "num innov",
                "innovations", "zzz", "prefixe zzz", "n", "quotes or", "signs",
            ].map { (plan, $0) }
        }) {
            catalogue.textPlan = plan
            var query = EventQuery()
            query.text = text
            let expected = referenceIDs(events, query)
            #expect(try listedIDs(catalogue, query) == expected, "\(text), \(plan)")
            #expect(try catalogue.count(matching: query) == expected.count, "\(text), \(plan)")
            query.limit = 3
            #expect(try listedIDs(catalogue, query) == Array(expected.prefix(3)), "\(text), limit 3, \(plan)")
            #expect(try catalogue.count(matching: query) == min(3, expected.count), "\(text), limit 3, \(plan)")
        }
    }

    @Test func probingIsChosenForDenseSearchesWithFewRowsWanted() {
        // 37% of a million events match, 50 wanted: probe. The same share for a table of
        // 1,001 rows, a rare word, an unknown share, or a small catalogue: collect.
        #expect(EventQuerySQL.probingIsCheaper(density: 0.37, of: 1_000_000, limit: 50))
        #expect(!EventQuerySQL.probingIsCheaper(density: 0.37, of: 1_000_000, limit: 1_001))
        #expect(!EventQuerySQL.probingIsCheaper(density: 0.001, of: 1_000_000, limit: 50))
        #expect(!EventQuerySQL.probingIsCheaper(density: 0, of: 1_000_000, limit: 50))
        #expect(!EventQuerySQL.probingIsCheaper(density: 0.9, of: 100, limit: 50))
        #expect(!EventQuerySQL.probingIsCheaper(density: 0.9, of: 1_000_000, limit: 0))
    }

    @Test func labAndTextValuesAreBoundNotSpliced() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents([try makeEvent("e1", lab: "la-base")], into: catalogue)
        var query = EventQuery()
        query.labs = ["la-base' OR '1'='1", "x\") OR 1=1 --"]
        #expect(try listedIDs(catalogue, query).isEmpty)
        query.labs = ["la-base"]
        #expect(try listedIDs(catalogue, query) == ["e1"])
    }

    @Test func streamingStopsEarly() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents(try syntheticEvents(200), into: catalogue)
        var seen: [String] = []
        try catalogue.forEachEvent(matching: EventQuery()) { event in
            seen.append(event.id)
            return seen.count < 5
        }
        #expect(seen.count == 5)
        #expect(seen == Array(try listedIDs(catalogue).prefix(5)))
    }

    @Test func bodyErrorsPassThroughUnchanged() throws {
        struct Stop: Error {}
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents(try syntheticEvents(10), into: catalogue)
        #expect(throws: Stop.self) {
            try catalogue.forEachEvent(matching: EventQuery()) { _ in throw Stop() }
        }
        // The catalogue is still usable afterwards.
        #expect(try catalogue.count(matching: EventQuery()) == 10)
    }

    @Test func eventsComeBackEqual() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        var event = try makeEvent(
            "full", title: "Tout \"entre\" guillemets\n et \\ barres", kind: .roundTable, status: .postponed,
            slots: [
                slot("2020-11-10T09:30:00.25+01:00", "2020-11-10T11:30:00.5Z"), slot("2020-11-17", "2020-11-27"),
                slot("2020-03-29T02:30"), slot("2020-10-25T02:30"), slot("2020-11-01T12:00:00-09:30"),
            ],
            region: "04", online: true, lab: "la-base", organizer: "Préfecture ; région / ville", place: "Salle\t2",
            tags: ["a,b", "[x]", "\"q\""], description: "Ligne 1\nLigne 2\t😀")
        event.url = "https://example.org/?a=1&b=2"
        event.contact = "contact@example.org"
        event.audience = ["agents", "élus"]
        event = event.normalized()
        try importEvents([event], into: catalogue)
        #expect(try catalogue.event(id: "full") == event)
        #expect(try catalogue.event(id: "missing") == nil)
        var listed: [Event] = []
        try catalogue.forEachEvent(matching: EventQuery()) { listed.append($0); return true }
        #expect(listed == [event])
        // Fractions of a second are kept, so a re-import is unchanged.
        let report = try importEvents([event], into: catalogue)
        #expect(report.unchanged == 1)
    }

    @Test func twentyThousandEventsStreamInOrder() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let events = try syntheticEvents(20_000)
        let report = try importEvents(events, into: catalogue)
        #expect(report.added == 20_000)
        let expected = events.sorted { ($0.firstStart, $0.id) < ($1.firstStart, $1.id) }.map(\.id)
        var listed: [String] = []
        listed.reserveCapacity(events.count)
        var previous: Event?
        var inOrder = true
        try catalogue.forEachEvent(matching: EventQuery()) { event in
            if let previous, (event.firstStart, event.id) <= (previous.firstStart, previous.id) { inOrder = false }
            previous = event
            listed.append(event.id)
            return true
        }
        #expect(inOrder)
        #expect(listed == expected)
        var query = EventQuery()
        query.text = "numerique"
        query.from = CivilDate(parsing: "2020-11-10")
        query.to = CivilDate(parsing: "2020-11-20")
        query.online = true
        #expect(try listedIDs(catalogue, query) == referenceIDs(events, query))
    }
}
