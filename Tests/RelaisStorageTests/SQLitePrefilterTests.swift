import Foundation
import RelaisCore
import RelaisStorage
import Testing

/// Prefiltered listings: `SQLiteCatalogue.forEachEvent(matching:passing:_:)` lends a
/// prefilter the fields of the listing index, and `withAllFields(reference:id:_:)` the rest;
/// the default `CatalogueStore` implementation tests built events instead. Both must give
/// the events a plain listing filtered in Swift gives, in the same order.
@Suite struct SQLitePrefilterTests {
    typealias Field = EventFieldTexts.Field

    /// The fields the listing lends: those of the `events_listing` index.
    static let indexedFields: Set<Field> = [.id, .kind, .status, .region, .online, .lab]
    /// The `unlent` bits of a listing: every field but the indexed ones.
    static let listingUnlentBits: UInt32 = Field.allCases
        .filter { !indexedFields.contains($0) }
        .reduce(0) { $0 | 1 << UInt32($1.rawValue) }

    /// Tags that JSON must escape or that are not ASCII. (Tags may not hold control
    /// characters such as a newline: ``richEvent()`` has one in its description instead.)
    static let awkwardTags = ["a\"b", "c\\d", "x\u{2028}y / z", "été 🎉"]

    /// A synthetic programme plus events that make every prefilter below select a few.
    static func programme() throws -> [Event] {
        try syntheticEvents(150) + [
            makeEvent("w75-a", title: "Webinaire numérique", kind: .webinar, region: "75", online: true),
            makeEvent("w75-b", title: "Webinaire", kind: .webinar, region: "75", lab: "la-base"),
            makeEvent(
                "w75-c", title: "Webinaire annulé", kind: .webinar, status: .cancelled,
                slots: [slot("2020-11-03T14:00", "2020-11-03T15:00")], region: "75"),
            makeEvent("w11", title: "Webinaire francilien", kind: .webinar, region: "11"),
            makeEvent("n75", title: "Atelier numérique", region: "75"),
            makeEvent("national", title: "Webinaire national", kind: .webinar, online: true),
        ]
    }

    /// One prefilter, as a test on lent texts and the same test on built events.
    struct Criterion: Sendable {
        let name: String
        let onTexts: @Sendable ([Field: String]) -> Bool
        let onEvent: @Sendable (Event) -> Bool
        /// Whether `onTexts` reads a field the listing does not lend.
        var readsUnlentFields = false
    }

    static let criteria: [Criterion] = [
        Criterion(
            name: "region 75 webinars", onTexts: { $0[.region] == "75" && $0[.kind] == "webinar" },
            onEvent: { $0.region?.code == "75" && $0.kind == .webinar }),
        Criterion(
            name: "online without a lab", onTexts: { $0[.online] == "1" && $0[.lab] == nil },
            onEvent: { $0.online && $0.lab == nil }),
        Criterion(
            name: "cancelled or national", onTexts: { $0[.status] == "cancelled" || $0[.region] == nil },
            onEvent: { $0.status == .cancelled || $0.region == nil }),
        Criterion(
            name: "title mentions numérique", onTexts: { $0[.title]?.contains("numérique") ?? false },
            onEvent: { $0.title.contains("numérique") }, readsUnlentFields: true),
    ]

    /// What the first criterion selects in ``programme()``, in listing order.
    static let region75Webinars = ["w75-c", "w75-a", "w75-b"]

    /// Queries whose built-in filters run in SQL before the prefilter.
    static func queries() -> [(String, EventQuery)] {
        var list: [(String, EventQuery)] = [("everything", EventQuery())]
        func add(_ name: String, _ change: (inout EventQuery) -> Void) {
            var query = EventQuery()
            change(&query)
            list.append((name, query))
        }
        add("webinars") { $0.kinds = [.webinar] }
        add("region 75") { $0.regions = Region(code: "75").map { [.region($0)] } ?? [] }
        add("online") { $0.online = true }
        add("text numérique") { $0.text = "numérique" }
        add("November 10 to 20") {
            $0.from = CivilDate(parsing: "2020-11-10")
            $0.to = CivilDate(parsing: "2020-11-20")
        }
        return list
    }

    // MARK: - Equivalence with a Swift filter

    @Test func prefilteredListingsMatchAListingFilteredInSwift() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents(try Self.programme(), into: catalogue)
        for (queryName, query) in Self.queries() {
            let listed = try listedEvents(catalogue, query)
            for criterion in Self.criteria {
                let label = "\(queryName), \(criterion.name)"
                let expected = listed.filter(criterion.onEvent)
                let prefilter = RecordingPrefilter(criterion)
                var given: [Event] = []
                try catalogue.forEachEvent(matching: query, passing: prefilter) { event in
                    given.append(event)
                    return true
                }
                #expect(given == expected, "\(label)")
                // Every listed event was tested once, from its lent text, and none was built.
                #expect(prefilter.lentFields.map(\.id) == listed.map(\.id), "\(label)")
                #expect(prefilter.builtEventIDs.isEmpty, "\(label)")
            }
        }
        // The programme makes the first criterion select something, else the above proves little.
        let expected = try listedEvents(catalogue, EventQuery()).filter(Self.criteria[0].onEvent).map(\.id)
        #expect(expected == Self.region75Webinars)
    }

    /// A prefilter that reads a field the index does not hold for most events makes the
    /// listing read rows itself after its first stretch (512 rows): nothing may be lost or
    /// given twice where it switches, even among events that start at the same instant.
    @Test func aListingWhoseFilterReadsRowsSwitchesToReadingRowsWithoutLosingAnEvent() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        // 1,300 events; every ten share a start, so the switch falls inside a run of ties.
        var events: [Event] = []
        for index in 0..<1_300 {
            let start = String(format: "2020-11-%02dT%02d:00", 1 + index / 130, 8 + index / 10 % 13)
            events.append(
                try makeEvent(
                    String(format: "evt-%04d", 1_299 - index), title: index % 3 == 0 ? "Webinaire" : "Atelier",
                    kind: index % 2 == 0 ? .webinar : .workshop, slots: [slot(start)], region: "75"))
        }
        try importEvents(events, into: catalogue)
        let listed = try listedEvents(catalogue, EventQuery())
        let criterion = Criterion(
            name: "title Webinaire", onTexts: { $0[.title] == "Webinaire" }, onEvent: { $0.title == "Webinaire" },
            readsUnlentFields: true)
        let prefilter = RecordingPrefilter(criterion)
        let given = try prefilteredIDs(catalogue, EventQuery(), prefilter)
        #expect(given == listed.filter(criterion.onEvent).map(\.id))
        #expect(given.count == 434)
        // Each event tested once, in order: 512 from the index with the lender, the rest from rows.
        #expect(prefilter.lentFields.map(\.id) == listed.map(\.id))
        #expect(prefilter.lentFields.prefix(512).allSatisfy { $0.unlent == Self.listingUnlentBits && $0.lender != nil })
        #expect(prefilter.lentFields.dropFirst(512).allSatisfy { $0.unlent == 0 && $0.lender == nil })
        #expect(prefilter.fullFields.count == 512)

        // With a limit met after the switch, the listing stops there.
        var limited = EventQuery()
        limited.limit = 300
        #expect(try prefilteredIDs(catalogue, limited, RecordingPrefilter(criterion)) == Array(given.prefix(300)))

        // A filter on indexed fields never switches.
        let indexed = RecordingPrefilter(Self.criteria[0])
        _ = try prefilteredIDs(catalogue, EventQuery(), indexed)
        #expect(indexed.lentFields.count == 1_300)
        #expect(indexed.lentFields.allSatisfy { $0.unlent == Self.listingUnlentBits })
    }

    @Test func limitCountsTheEventsGivenToTheBody() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents(try Self.programme(), into: catalogue)
        let criterion = Self.criteria[1]
        let passing = try listedEvents(catalogue, EventQuery()).filter(criterion.onEvent).map(\.id)
        try #require(passing.count > 5)
        for limit in [1, 3, passing.count, passing.count + 10] {
            var query = EventQuery()
            query.limit = limit
            let prefilter = RecordingPrefilter(criterion)
            #expect(
                try prefilteredIDs(catalogue, query, prefilter) == Array(passing.prefix(limit)), "limit \(limit)")
        }
        for limit in [0, -1] {
            var query = EventQuery()
            query.limit = limit
            let prefilter = RecordingPrefilter(criterion)
            #expect(try prefilteredIDs(catalogue, query, prefilter).isEmpty, "limit \(limit)")
            #expect(prefilter.lentFields.isEmpty, "limit \(limit)")
        }
    }

    @Test func theListingStopsWhenTheBodyReturnsFalse() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents(try Self.programme(), into: catalogue)
        let criterion = Self.criteria[1]
        let passing = try listedEvents(catalogue, EventQuery()).filter(criterion.onEvent).map(\.id)
        try #require(passing.count > 2)
        let prefilter = RecordingPrefilter(criterion)
        var given: [String] = []
        try catalogue.forEachEvent(matching: EventQuery(), passing: prefilter) { event in
            given.append(event.id)
            return given.count < 2
        }
        #expect(given == Array(passing.prefix(2)))
        // Streaming: events are tested in batches (8, 8, 16, 32…), and nothing after the
        // batch holding the second passing event was even tested.
        let listed = try listedIDs(catalogue)
        let position = try #require(listed.firstIndex(of: passing[1]))
        let batchEnd = [8, 16, 32, 64, 128, 256, 512].first { $0 > position } ?? listed.count
        #expect(prefilter.lentFields.map(\.id) == Array(listed.prefix(min(batchEnd, listed.count))))
    }

    // MARK: - Lent fields

    @Test func theListingLendsExactlyTheIndexedFields() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let events = [
            try makeEvent(
                "regional", title: "Atelier régional", kind: .hackathon, status: .postponed, region: "53", online: true,
                lab: "ti-lab", organizer: "Région", place: "Rennes", tags: ["données"], description: "Texte"),
            try makeEvent(
                "national", title: "Conférence", kind: .conference, slots: [slot("2020-11-11")], online: false),
        ]
        try importEvents(events, into: catalogue)
        let prefilter = RecordingPrefilter(Self.criteria[0])
        try catalogue.forEachEvent(matching: EventQuery(), passing: prefilter) { _ in true }

        try #require(prefilter.lentFields.count == events.count)
        #expect(Self.listingUnlentBits == 0x7F12)
        for lent in prefilter.lentFields {
            let event = try #require(events.first { $0.id == lent.id })
            #expect(lent.lentFields == Self.indexedFields, "\(lent.id)")
            #expect(lent.unlent == Self.listingUnlentBits, "\(lent.id)")
            #expect(lent.lender === catalogue, "\(lent.id)")
            let expected = Self.interchangeTexts(of: event).filter { Self.indexedFields.contains($0.key) }
            #expect(lent.texts == expected, "\(lent.id)")
        }
        let regional = try #require(prefilter.lentFields.first { $0.id == "regional" })
        #expect(regional.texts[.region] == "53")
        #expect(regional.texts[.online] == "1")
        #expect(regional.texts[.lab] == "ti-lab")
        #expect(regional.texts[.kind] == "hackathon")
        #expect(regional.texts[.status] == "postponed")
        #expect(regional.texts[.title] == nil)
        #expect(regional.texts[.tags] == nil)
        let national = try #require(prefilter.lentFields.first { $0.id == "national" })
        #expect(national.texts[.region] == nil)
        #expect(national.texts[.lab] == nil)
        #expect(national.texts[.online] == "0")
        #expect(national.reference != regional.reference)
    }

    // MARK: - The lender

    /// An event with every field set, its tags awkward to write in JSON.
    static func richEvent() throws -> Event {
        Event(
            id: "rich", title: "L’atelier « données » 🎉", kind: .roundTable, status: .scheduled,
            slots: [try slot("2020-11-10T09:30", "2020-11-10T11:30"), try slot("2020-11-17")],
            region: Region(code: "75"), online: true, lab: "la-base", organizer: "Préfecture", place: "Bordeaux",
            url: "https://example.org/atelier?a=1&b=2", contact: "contact@example.org", audience: ["agents", "élus"],
            tags: awkwardTags, description: "Première ligne\nseconde ligne, \"citée\" et \\ échappée.")
    }

    @Test func theLenderGivesEveryFieldFromInsideThePrefilter() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let rich = try Self.richEvent()
        try importEvents([rich, try makeEvent("plain", slots: [slot("2020-11-12T10:00")])], into: catalogue)

        let prefilter = RecordingPrefilter(Self.criteria[3])
        let given = try prefilteredIDs(catalogue, EventQuery(), prefilter)
        #expect(given.isEmpty)  // neither title mentions numérique, yet both were read
        #expect(prefilter.lentFields.map(\.id) == ["rich", "plain"])

        let full = try #require(prefilter.fullFields.first { $0.id == "rich" })
        #expect(full.unlent == 0)
        #expect(full.lentFields == Set(Field.allCases))
        #expect(full.texts[.title] == rich.title)
        #expect(full.texts[.slots] == "2020-11-10T09:30:00+01:00/2020-11-10T11:30:00+01:00;2020-11-17")
        #expect(full.texts[.description] == rich.description)
        #expect(full.texts[.url] == rich.url)
        let tagsJSON = try #require(full.texts[.tags])
        #expect(try Self.decodedList(tagsJSON) == Self.awkwardTags)
        try Self.expect(full, describes: rich)

        let plain = try #require(prefilter.fullFields.first { $0.id == "plain" })
        #expect(plain.texts[.slots] == "2020-11-12T10:00:00+01:00")
        #expect(plain.texts[.tags] == nil)
        #expect(plain.texts[.audience] == nil)
        #expect(plain.texts[.region] == nil)
        #expect(plain.texts[.place] == nil)
        try Self.expect(plain, describes: try #require(try catalogue.event(id: "plain")))
    }

    @Test func theLenderStillWorksAfterTheListingEnded() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let rich = try Self.richEvent()
        try importEvents([rich], into: catalogue)
        let prefilter = RecordingPrefilter(Self.criteria[0])
        try catalogue.forEachEvent(matching: EventQuery(), passing: prefilter) { _ in true }
        let lent = try #require(prefilter.lentFields.first)
        let lender = try #require(lent.lender)

        let full = try #require(
            try lender.withAllFields(reference: lent.reference, id: lent.id) { CopiedFields($0) })
        #expect(full.unlent == 0)
        #expect(full.lender == nil)
        try Self.expect(full, describes: rich)
        #expect(try Self.decodedList(try #require(full.texts[.tags])) == Self.awkwardTags)

        let viaCatalogue = try catalogue.withAllFields(reference: lent.reference, id: "rich") { $0.unlent }
        #expect(viaCatalogue == 0)
        #expect(try catalogue.withAllFields(reference: lent.reference, id: "other") { _ in true } == nil)
        #expect(try catalogue.withAllFields(reference: lent.reference + 1_000, id: "rich") { _ in true } == nil)
    }

    @Test func fractionalSecondsAreLentInInterchangeText() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        // 1605000000 is 2020-11-10 09:20:00 UTC, 10:20 in Paris.
        let exact = try makeEvent(
            "exact",
            slots: [
                Slot(
                    start: .instant(Date(timeIntervalSince1970: 1_605_000_000.25)),
                    end: .instant(Date(timeIntervalSince1970: 1_605_003_600.75))),
                try slot("2020-11-17"),
            ])
        // Enough exact slots (from 2020-11-11 10:00:00.5 in Paris) that their text outgrows the
        // lender's first buffer.
        let manyExact = try makeEvent(
            "many-exact",
            slots: (0..<12).map { hour in
                let start = Date(timeIntervalSince1970: 1_605_085_200.5 + Double(hour) * 3_600)
                return Slot(start: .instant(start), end: .instant(start.addingTimeInterval(1_800)))
            })
        try importEvents([exact, manyExact], into: catalogue)

        let prefilter = RecordingPrefilter(Self.criteria[3])
        try catalogue.forEachEvent(matching: EventQuery(), passing: prefilter) { _ in true }
        let lent = try #require(prefilter.fullFields.first { $0.id == "exact" })
        #expect(lent.texts[.slots] == "2020-11-10T10:20:00+01:00/2020-11-10T11:20:00+01:00;2020-11-17")
        let many = try #require(prefilter.fullFields.first { $0.id == "many-exact" })
        let manyText = try #require(many.texts[.slots])
        #expect(manyText == Self.slotsText(manyExact.slots))
        #expect(manyText.utf8.count > 256)
        #expect(!manyText.contains("@"))
        #expect(manyText.hasPrefix("2020-11-11T10:00:00+01:00/2020-11-11T10:30:00+01:00;2020-11-11T11:00:00+01:00/"))

        // After the listing, and with the exact times still in the built event.
        let later = try #require(
            try catalogue.withAllFields(reference: lent.reference, id: "exact") { CopiedFields($0) })
        #expect(later.texts[.slots] == lent.texts[.slots])
        let built = try #require(try catalogue.event(id: "exact"))
        #expect(built.slots == exact.slots)
    }

    // MARK: - The default implementation

    @Test func theDefaultImplementationTestsBuiltEvents() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let store = ForwardingStore(catalogue)
        _ = try store.importBatch(origin: "test.jsonl", dryRun: false) { session in
            for event in try Self.programme() { try session.put(event) }
        }
        for (queryName, query) in Self.queries() {
            let listed = try listedEvents(store, query)
            for criterion in Self.criteria {
                let label = "\(queryName), \(criterion.name)"
                let prefilter = RecordingPrefilter(criterion)
                let fromStore = try prefilteredIDs(store, query, prefilter)
                #expect(fromStore == listed.filter(criterion.onEvent).map(\.id), "\(label)")
                #expect(fromStore == (try prefilteredIDs(catalogue, query, RecordingPrefilter(criterion))), "\(label)")
                #expect(prefilter.builtEventIDs == listed.map(\.id), "\(label)")
                #expect(prefilter.lentFields.isEmpty, "\(label)")
            }
        }

        let criterion = Self.criteria[1]
        let passing = try listedEvents(store, EventQuery()).filter(criterion.onEvent).map(\.id)
        try #require(passing.count > 3)
        for limit in [1, 3, passing.count + 10] {
            var query = EventQuery()
            query.limit = limit
            #expect(
                try prefilteredIDs(store, query, RecordingPrefilter(criterion)) == Array(passing.prefix(limit)),
                "limit \(limit)")
        }
        for limit in [0, -1] {
            var query = EventQuery()
            query.limit = limit
            let prefilter = RecordingPrefilter(criterion)
            #expect(try prefilteredIDs(store, query, prefilter).isEmpty, "limit \(limit)")
            #expect(prefilter.builtEventIDs.isEmpty, "limit \(limit)")
        }
        var given: [String] = []
        try store.forEachEvent(matching: EventQuery(), passing: RecordingPrefilter(criterion)) { event in
            given.append(event.id)
            return given.count < 2
        }
        #expect(given == Array(passing.prefix(2)))
    }

    // MARK: - Errors

    @Test func aPrefilterErrorReachesTheCallerUnchanged() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let events = try Self.programme()
        try importEvents(events, into: catalogue)
        let everything = try listedIDs(catalogue)
        try #require(everything.count > 5)
        let failingID = everything[4]
        let failure = PrefilterFailure(id: failingID)

        for store in [catalogue, ForwardingStore(catalogue)] as [any CatalogueStore] {
            var given: [String] = []
            let prefilter = FailingPrefilter(failingAt: failingID)
            #expect(throws: failure) {
                try store.forEachEvent(matching: EventQuery(), passing: prefilter) { event in
                    given.append(event.id)
                    return true
                }
            }
            #expect(given == Array(everything.prefix(4)))
        }
        // An error thrown while the lender lends goes through unchanged too.
        let lenderFailure = PrefilterFailure(id: "inside the lender")
        let lenderFailingPrefilter = LenderFailingPrefilter(lenderFailure)
        #expect(throws: lenderFailure) {
            try catalogue.forEachEvent(matching: EventQuery(), passing: lenderFailingPrefilter) { _ in true }
        }

        // Nothing else broke: listings, prefiltered listings, the lender and imports still work.
        #expect(try listedIDs(catalogue) == everything)
        let prefilter = RecordingPrefilter(Self.criteria[0])
        #expect(try prefilteredIDs(catalogue, EventQuery(), prefilter) == Self.region75Webinars)
        let lent = try #require(prefilter.lentFields.first)
        let relent = try catalogue.withAllFields(reference: lent.reference, id: lent.id) { CopiedFields($0).id }
        #expect(relent == lent.id)
        let report = try importEvents([try makeEvent("after-failure")], into: catalogue)
        #expect(report.added == 1)
        #expect(try catalogue.event(id: "after-failure") != nil)
    }

    // MARK: - Expected texts

    /// The texts a store lends for `event` (contract §1, with the exceptions of
    /// `EventFieldTexts`); lists written by JSONSerialization, so compare them decoded.
    static func interchangeTexts(of event: Event) -> [Field: String] {
        var texts: [Field: String] = [
            .id: event.id, .title: event.title, .kind: event.kind.rawValue, .status: event.status.rawValue,
            .slots: slotsText(event.slots), .online: event.online ? "1" : "0",
        ]
        texts[.region] = event.region?.code
        texts[.lab] = event.lab
        texts[.organizer] = event.organizer
        texts[.place] = event.place
        texts[.url] = event.url
        texts[.contact] = event.contact
        texts[.audience] = jsonArray(event.audience)
        texts[.tags] = jsonArray(event.tags)
        texts[.description] = event.description
        return texts
    }

    /// Slots as `start` or `start/end`, joined by `;`.
    static func slotsText(_ slots: [Slot]) -> String {
        slots.map { slot in slot.end.map { "\(slot.start)/\($0)" } ?? slot.start.description }.joined(separator: ";")
    }

    static func jsonArray(_ items: [String]) -> String? {
        guard !items.isEmpty, let data = try? JSONSerialization.data(withJSONObject: items) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func decodedList(_ json: String) throws -> [String] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String])
    }

    /// Checks that `fields`, all lent, are the texts of `event`.
    static func expect(_ fields: CopiedFields, describes event: Event) throws {
        #expect(fields.lentFields == Set(Field.allCases), "\(event.id)")
        let expected = interchangeTexts(of: event)
        for field in Field.allCases {
            if field == .audience || field == .tags {
                #expect((fields.texts[field] == nil) == (expected[field] == nil), "\(event.id) \(field)")
                if let json = fields.texts[field], let expectedJSON = expected[field] {
                    #expect(try decodedList(json) == decodedList(expectedJSON), "\(event.id) \(field)")
                }
            } else {
                #expect(fields.texts[field] == expected[field], "\(event.id) \(field)")
            }
        }
    }
}

// MARK: - Helpers

extension SQLitePrefilterTests {
    /// The events `store` lists for `query`, in order.
    func listedEvents(_ store: any CatalogueStore, _ query: EventQuery) throws -> [Event] {
        var events: [Event] = []
        try store.forEachEvent(matching: query) { event in
            events.append(event)
            return true
        }
        return events
    }

    /// The ids `store` lists for `query` through `prefilter`, in order.
    func prefilteredIDs(
        _ store: any CatalogueStore, _ query: EventQuery, _ prefilter: any EventPrefilter
    ) throws -> [String] {
        var ids: [String] = []
        try store.forEachEvent(matching: query, passing: prefilter) { event in
            ids.append(event.id)
            return true
        }
        return ids
    }

    /// What a prefilter was lent of one event, copied out of the borrowed bytes.
    struct CopiedFields {
        /// The fields present and lent; absent and unlent fields have no entry.
        var texts: [EventFieldTexts.Field: String] = [:]
        var lentFields: Set<EventFieldTexts.Field> = []
        let unlent: UInt32
        let reference: Int64
        let lender: (any EventFieldLender)?

        init(_ fields: EventFieldTexts) {
            for field in EventFieldTexts.Field.allCases {
                if fields.isLent(field) { lentFields.insert(field) }
                if let bytes = fields[field] { texts[field] = String(decoding: bytes, as: UTF8.self) }
            }
            unlent = fields.unlent
            reference = fields.reference
            lender = fields.lender
        }

        var id: String { texts[.id] ?? "" }
    }

    struct MissingLender: Error {}

    /// Tests a ``SQLitePrefilterTests/Criterion`` and records what it was given. When the
    /// criterion reads fields the listing does not lend, it asks the lender for all of them,
    /// as a Lua filter does.
    final class RecordingPrefilter: EventPrefilter {
        private let criterion: Criterion
        /// What each call of `matches(fields:)` was lent, in order.
        private(set) var lentFields: [CopiedFields] = []
        /// What the lender gave for the events whose unlent fields were needed.
        private(set) var fullFields: [CopiedFields] = []
        /// The events given to `matches(_:)`, in order.
        private(set) var builtEventIDs: [String] = []

        init(_ criterion: Criterion) {
            self.criterion = criterion
        }

        func matches(_ event: Event) throws -> Bool {
            builtEventIDs.append(event.id)
            return criterion.onEvent(event)
        }

        func matches(fields: EventFieldTexts) throws -> Bool {
            let lent = CopiedFields(fields)
            lentFields.append(lent)
            guard criterion.readsUnlentFields, fields.unlent != 0 else { return criterion.onTexts(lent.texts) }
            guard let lender = fields.lender else { throw MissingLender() }
            let full = try lender.withAllFields(reference: fields.reference, id: lent.id, CopiedFields.init)
            guard let full else { return false }
            fullFields.append(full)
            return criterion.onTexts(full.texts)
        }
    }

    struct PrefilterFailure: Error, Equatable {
        let id: String
    }

    /// Passes every event until the one with id `failingID`, where it throws.
    final class FailingPrefilter: EventPrefilter {
        private let failingID: String

        init(failingAt failingID: String) {
            self.failingID = failingID
        }

        func matches(_ event: Event) throws -> Bool {
            if event.id == failingID { throw PrefilterFailure(id: failingID) }
            return true
        }

        func matches(fields: EventFieldTexts) throws -> Bool {
            if CopiedFields(fields).id == failingID { throw PrefilterFailure(id: failingID) }
            return true
        }
    }

    /// Throws `failure` from inside the lender's body, on the first event.
    final class LenderFailingPrefilter: EventPrefilter {
        private let failure: PrefilterFailure

        init(_ failure: PrefilterFailure) {
            self.failure = failure
        }

        func matches(_ event: Event) throws -> Bool { throw failure }

        func matches(fields: EventFieldTexts) throws -> Bool {
            guard let lender = fields.lender else { throw MissingLender() }
            let failure = self.failure
            let id = CopiedFields(fields).id
            return try lender.withAllFields(reference: fields.reference, id: id) { (_: EventFieldTexts) -> Bool in
                throw failure
            } ?? false
        }
    }

    /// A store that forwards to a catalogue all but the prefiltered listing, so that the
    /// `CatalogueStore` extension's default implementation is the one used.
    final class ForwardingStore: CatalogueStore {
        private let catalogue: SQLiteCatalogue

        init(_ catalogue: SQLiteCatalogue) {
            self.catalogue = catalogue
        }

        var bus: EventBus { catalogue.bus }

        func importBatch(
            origin: String, dryRun: Bool, _ work: (any ImportSession) throws -> Void
        ) throws -> ImportReport {
            try catalogue.importBatch(origin: origin, dryRun: dryRun, work)
        }

        func forEachEvent(matching query: EventQuery, _ body: (consuming Event) throws -> Bool) throws {
            try catalogue.forEachEvent(matching: query, body)
        }

        func count(matching query: EventQuery) throws -> Int {
            try catalogue.count(matching: query)
        }

        func event(id: String) throws -> Event? {
            try catalogue.event(id: id)
        }

        func changes(after sequence: Int64, limit: Int) throws -> [EventChange] {
            try catalogue.changes(after: sequence, limit: limit)
        }
    }
}
