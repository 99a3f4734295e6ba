import Foundation

/// Where an import's batches land: a catalogue, or the one transaction of a dry run over
/// several files (each checked against the catalogue as the files before it leave it).
public protocol ImportTarget: AnyObject {
    /// Runs `work` inside one write transaction. Everything `work` puts is committed
    /// together when it returns, or not at all if it throws; with `dryRun` nothing is
    /// committed and the report says what would have changed. Changes are recorded in
    /// the change log with `origin`, then published on the store's bus after the commit.
    func importBatch(origin: String, dryRun: Bool, _ work: (any ImportSession) throws -> Void) throws -> ImportReport
}

/// A catalogue of events: where imports land and queries read from.
///
/// Implemented by `RelaisStorage` (SQLite) and, later, by other stores; nothing here is
/// specific to one database. Stores are used from one thread at a time per instance;
/// two processes may share one catalogue and must wait for each other, never fail.
public protocol CatalogueStore: ImportTarget {
    /// The bus on which the store publishes each commit's changes, after the commit.
    var bus: EventBus { get }

    /// Calls `body` with each event that passes the built-in filters of `query`, in order
    /// of first slot start, then id, streaming: memory does not grow with the catalogue.
    /// `body` returns false to stop early. `query.scriptFilters` are ignored here.
    func forEachEvent(matching query: EventQuery, _ body: (consuming Event) throws -> Bool) throws

    /// Like ``forEachEvent(matching:_:)``, but calls `body` only with the events that
    /// `prefilter` passes. A store that can lend an event's stored text tests it with
    /// ``EventPrefilter/matches(fields:)`` and builds only the events that pass; the default
    /// builds every event and tests it. `query.limit` counts the events given to `body`.
    func forEachEvent(
        matching query: EventQuery, passing prefilter: any EventPrefilter, _ body: (Event) throws -> Bool
    ) throws

    /// How many events pass the built-in filters of `query`.
    func count(matching query: EventQuery) throws -> Int

    /// The event with this id, or nil.
    func event(id: String) throws -> Event?

    /// Changes recorded after `sequence`, oldest first, at most `limit`.
    func changes(after sequence: Int64, limit: Int) throws -> [EventChange]

    /// Changes with a sequence above `sequence` and at most `last`, of one of `kinds`,
    /// oldest first, at most `limit`. The default reads every change of the range; a store
    /// that can filter by kind before decoding overrides it (plugins' handlers mostly want
    /// the rare cancellations and reschedulings out of a log of additions).
    func changes(after sequence: Int64, through last: Int64, kinds: Set<ChangeKind>, limit: Int) throws -> [EventChange]

    /// The lowest sequence above `sequence` that may hold a change of one of `kinds`:
    /// every change between them is known to be of another kind, so a reader of `kinds`
    /// can pass over them unread. The default knows nothing (`sequence + 1`); a store that
    /// counts each import's changes by kind overrides it (a plugin waiting for
    /// cancellations then skips a million-event import of additions in one step).
    func firstPossibleChange(after sequence: Int64, kinds: Set<ChangeKind>) throws -> Int64

    /// Changes recorded (their import committed) from `start` (included) to `end`
    /// (excluded), with a sequence above `sequence`, oldest first, at most `limit`. The
    /// default walks the whole change log; a store with an index on commit times overrides it.
    func changes(recordedFrom start: Date, before end: Date, after sequence: Int64, limit: Int) throws -> [EventChange]

    /// The changes recorded for the event `id`, oldest first (its history). The default
    /// walks the whole change log; a store with an index on event ids overrides it.
    func changes(ofEvent id: String) throws -> [EventChange]
}

extension CatalogueStore {
    public func firstPossibleChange(after sequence: Int64, kinds: Set<ChangeKind>) throws -> Int64 {
        sequence &+ 1
    }

    public func changes(after sequence: Int64, through last: Int64, kinds: Set<ChangeKind>, limit: Int) throws
        -> [EventChange]
    {
        var found: [EventChange] = []
        var position = sequence
        while found.count < limit, position < last {
            let page = try changes(after: position, limit: 512)
            guard let lastOfPage = page.last else { break }
            position = lastOfPage.sequence
            for change in page where change.sequence <= last && kinds.contains(change.kind) {
                found.append(change)
                if found.count == limit { break }
            }
        }
        return found
    }

    public func changes(ofEvent id: String) throws -> [EventChange] {
        var found: [EventChange] = []
        var position: Int64 = 0
        while true {
            let page = try changes(after: position, limit: 512)
            guard let last = page.last else { break }
            position = last.sequence
            found += page.filter { $0.eventID == id }
        }
        return found
    }

    public func changes(recordedFrom start: Date, before end: Date, after sequence: Int64, limit: Int) throws
        -> [EventChange]
    {
        var found: [EventChange] = []
        var position = sequence
        while found.count < limit {
            let page = try changes(after: position, limit: 512)
            guard let last = page.last else { break }
            position = last.sequence
            for change in page where change.recordedAt >= start && change.recordedAt < end {
                found.append(change)
                if found.count == limit { break }
            }
        }
        return found
    }

    public func forEachEvent(
        matching query: EventQuery, passing prefilter: any EventPrefilter, _ body: (Event) throws -> Bool
    ) throws {
        // The store cannot count what the prefilter drops, so the limit is applied here.
        if let limit = query.limit, limit <= 0 { return }
        var storeQuery = query
        storeQuery.limit = nil
        var given = 0
        try forEachEvent(matching: storeQuery) { event in
            guard try prefilter.matches(event) else { return true }
            given += 1
            guard try body(event) else { return false }
            return query.limit.map { given < $0 } ?? true
        }
    }
}

/// The open write side of an import, valid only inside ``CatalogueStore/importBatch``.
public protocol ImportSession: AnyObject {
    /// Stores `event` (inserting or replacing the event with its id) and records the
    /// change. Throws an ``EventFieldProblem`` on field `id` if the same id was already
    /// put in this batch.
    @discardableResult
    func put(_ event: Event) throws -> ChangeKind

    /// A preparer for this session's events, which another thread may run ahead of
    /// ``put(prepared:)``; nil when the store has nothing to prepare away from the database.
    func makePreparer() -> (any ImportPreparer)?

    /// Stores an event its preparer made ready, as ``put(_:)`` would store the event
    /// (given that an event prepared with ``ImportPreparer/prepare(checked:)`` was checked).
    @discardableResult
    func put(prepared: any PreparedEvent) throws -> ChangeKind
}

extension ImportSession {
    public func makePreparer() -> (any ImportPreparer)? { nil }

    public func put(prepared: any PreparedEvent) throws -> ChangeKind { try put(prepared.event) }
}

/// Makes events ready for a store away from its database — normalising, checking,
/// encoding — on the thread that reads them, while the store writes earlier ones. Used by
/// one thread at a time.
public protocol ImportPreparer: AnyObject, Sendable {
    /// Throws the event's ``EventFieldProblem`` when it cannot be stored.
    func prepare(_ event: Event) throws -> any PreparedEvent

    /// Prepares an event that ``EventRecordDecoding/event(from:)`` made, so normal and
    /// valid (``EventReader/givesCheckedEvents``): the checks need not run twice. Trusts
    /// its caller: an event that is not what the decoding returned may be stored though
    /// ``prepare(_:)`` would refuse it.
    func prepare(checked event: Event) throws -> any PreparedEvent
}

extension ImportPreparer {
    public func prepare(checked event: Event) throws -> any PreparedEvent { try prepare(event) }
}

/// An event ready for ``ImportSession/put(prepared:)``.
public protocol PreparedEvent: Sendable {
    /// The event, in the form that will be stored.
    var event: Event { get }
}

/// A failure of the store itself (not of the input), such as an unreadable file.
public struct CatalogueError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
