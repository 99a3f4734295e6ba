import Foundation
import RelaisCore
@testable import RelaisStorage
import Testing

/// A filtered listing reads the rest of the index on a second thread and connection once
/// its first stretch is tested (`SQLiteCatalogue.listReadingAhead`). These compare it with
/// the one-thread listing and the reference semantics, with lent and unlent fields, a
/// limit, a failing prefilter, and a commit that makes the two connections disagree.
@Suite struct ReadAheadListingTests {
    /// Passes webinars and workshops (fields of the index); reads the title, which the
    /// index does not hold, of events in region 75 only, and passes those whose title says
    /// "numérique" or "cœur". Throws at `failingID`.
    final class KindAndTitlePrefilter: EventPrefilter {
        var failingID: String?
        private(set) var tested = 0

        func matches(_ event: Event) throws -> Bool {
            tested += 1
            if event.id == failingID { throw PrefilterFailure(id: event.id) }
            return Self.passes(kind: event.kind.rawValue, region: event.region?.code, title: { event.title })
        }

        func matches(fields: EventFieldTexts) throws -> Bool {
            tested += 1
            let id = fields[.id].map { String(decoding: $0, as: UTF8.self) } ?? ""
            if id == failingID { throw PrefilterFailure(id: id) }
            let kind = fields[.kind].map { String(decoding: $0, as: UTF8.self) } ?? ""
            let region = fields[.region].map { String(decoding: $0, as: UTF8.self) }
            return try Self.passes(kind: kind, region: region) {
                guard let lender = fields.lender, !fields.isLent(.title) else {
                    return fields[.title].map { String(decoding: $0, as: UTF8.self) } ?? ""
                }
                return try lender.withAllFields(reference: fields.reference, id: id) { all in
                    all[.title].map { String(decoding: $0, as: UTF8.self) } ?? ""
                } ?? ""
            }
        }

        static func passes(kind: String, region: String?, title: () throws -> String) rethrows -> Bool {
            if kind == EventKind.webinar.rawValue || kind == EventKind.workshop.rawValue { return true }
            guard region == "75" else { return false }
            let title = try title()
            return title.contains("numérique") || title.contains("cœur")
        }
    }

    struct PrefilterFailure: Error, Equatable { let id: String }

    static let events: [Event] = {
        (try? syntheticEvents(3_000)) ?? []
    }()

    func referenceIDs(_ events: [Event], limit: Int? = nil) -> [String] {
        let ids = events.filter { event in
            KindAndTitlePrefilter.passes(kind: event.kind.rawValue, region: event.region?.code, title: { event.title })
        }
        .sorted { ($0.firstStart, $0.id) < ($1.firstStart, $1.id) }.map(\.id)
        return limit.map { Array(ids.prefix($0)) } ?? ids
    }

    func listed(
        _ catalogue: SQLiteCatalogue, _ prefilter: KindAndTitlePrefilter, limit: Int? = nil,
        during give: (String) throws -> Void = { _ in }
    ) throws -> [String] {
        var query = EventQuery()
        query.limit = limit
        var ids: [String] = []
        try catalogue.forEachEvent(matching: query, passing: prefilter) { event in
            ids.append(event.id)
            try give(event.id)
            return true
        }
        return ids
    }

    @Test func readingAheadGivesWhatOneThreadGives() throws {
        #expect(Self.events.count == 3_000)
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents(Self.events, into: catalogue)
        let expected = referenceIDs(Self.events)
        #expect(expected.count > 100)

        let prefilter = KindAndTitlePrefilter()
        let ahead = try listed(catalogue, prefilter)
        #expect(prefilter.tested == Self.events.count)
        #expect(catalogue.listingsReadAhead == 1)
        catalogue.readsAhead = false
        let oneThread = try listed(catalogue, KindAndTitlePrefilter())
        #expect(catalogue.listingsReadAhead == 1)
        #expect(ahead == expected)
        #expect(oneThread == expected)
        // Some events passed on their title alone, read through the lender, after the first
        // stretch (of 512 events).
        let order = Self.events.sorted { ($0.firstStart, $0.id) < ($1.firstStart, $1.id) }
        #expect(
            order.dropFirst(512).contains {
                $0.region?.code == "75" && $0.kind != .webinar && $0.kind != .workshop
                    && ($0.title.contains("numérique") || $0.title.contains("cœur"))
            })
    }

    @Test func aLimitStopsTheReadingThread() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents(Self.events, into: catalogue)
        for limit in [150, 400] {
            let prefilter = KindAndTitlePrefilter()
            #expect(try listed(catalogue, prefilter, limit: limit) == referenceIDs(Self.events, limit: limit))
            #expect(prefilter.tested < Self.events.count, "the listing stopped before the end")
        }
        #expect(catalogue.listingsReadAhead == 2)
        #expect(try listed(catalogue, KindAndTitlePrefilter()) == referenceIDs(Self.events))
    }

    @Test func aFailingPrefilterGetsTheEventsBeforeItAndStops() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        try importEvents(Self.events, into: catalogue)
        let order = Self.events.sorted { ($0.firstStart, $0.id) < ($1.firstStart, $1.id) }
        let failing = order[2_000]
        let prefilter = KindAndTitlePrefilter()
        prefilter.failingID = failing.id
        var given: [String] = []
        #expect(throws: PrefilterFailure(id: failing.id)) {
            _ = try listed(catalogue, prefilter, during: { given.append($0) })
        }
        #expect(given == referenceIDs(Array(order.prefix(2_000))))
        #expect(catalogue.listingsReadAhead == 1)
        // The catalogue still lists after the failure.
        prefilter.failingID = nil
        #expect(try listed(catalogue, prefilter) == referenceIDs(Self.events))
    }

    @Test func aCommitSeenByOnlyOneConnectionKeepsTheListingOnOne() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        try importEvents(Self.events, into: catalogue)
        let expected = referenceIDs(Self.events)

        // While the listing gives its first event, another process turns every event into
        // a workshop: the listing, already reading, must not see it.
        var changed = Self.events
        for index in changed.indices { changed[index].kind = .workshop }
        var committed = false
        let ids = try listed(catalogue, KindAndTitlePrefilter()) { _ in
            guard !committed else { return }
            committed = true
            try importEvents(changed, into: try SQLiteCatalogue(path: path))
        }
        #expect(committed)
        #expect(ids == expected)
        #expect(catalogue.listingsReadAhead == 0, "the second connection saw the commit")
        // The next listing sees it, and reads ahead again.
        #expect(try listed(catalogue, KindAndTitlePrefilter()) == referenceIDs(changed))
        #expect(catalogue.listingsReadAhead == 1)
    }
}
