import Foundation

/// Which events to list (contract §2). Empty lists mean "no constraint".
///
/// Values within one list are alternatives (`--kind webinar --kind workshop` lists both);
/// different filters combine with AND. Stores translate the built-in filters into their
/// own query language and must agree with ``matches(_:)``, which is the reference.
public struct EventQuery: Hashable, Sendable {
    /// A region filter: one region, or national events (no region).
    public enum RegionFilter: Hashable, Sendable {
        case region(Region)
        case national
    }

    public var regions: [RegionFilter] = []
    public var kinds: [EventKind] = []
    public var labs: [String] = []
    public var statuses: [EventStatus] = []
    /// First day of the window (from 00:00 in Paris), or nil for no lower bound.
    public var from: CivilDate?
    /// Last day of the window (to 23:59:59 in Paris), or nil for no upper bound.
    public var to: CivilDate?
    /// Only events whose first slot starts on or after ``from`` (a digest's "what starts
    /// this week"), rather than every event with a slot overlapping the window.
    public var startingInWindow = false
    /// Only online (true) or only on-site (false) events.
    public var online: Bool?
    /// Free text; every folded word must be a prefix of a word of the searchable text.
    public var text: String?
    /// Script filters (`plugin.name`), applied by the scripting host after the store has
    /// narrowed by the built-in filters.
    public var scriptFilters: [String] = []
    /// Stop after this many events.
    public var limit: Int?
    /// Only events that come after this position in the listing order (first slot start,
    /// then id): lets a reader page through a catalogue without holding it in memory.
    public var after: Position?

    /// A place in the listing order.
    public struct Position: Hashable, Sendable {
        public var firstStart: Date
        public var id: String
        public init(firstStart: Date, id: String) {
            self.firstStart = firstStart
            self.id = id
        }
        /// The position of `event`.
        public init(_ event: Event) {
            self.init(firstStart: event.firstStart, id: event.id)
        }
    }

    public init() {}

    /// The folded query words of ``text``.
    public var textWords: [String] {
        guard let text else { return [] }
        return TextFolding.words(text)
    }

    /// The instants bounding the date window (inclusive), or nil where open.
    public var window: (from: Date?, to: Date?) {
        (from.map(ParisTime.startOfDay), to.map(ParisTime.endOfDay))
    }

    /// Whether `event` passes every built-in filter (script filters are not evaluated here).
    public func matches(_ event: Event) -> Bool {
        if let after {
            let start = event.firstStart
            if start < after.firstStart || (start == after.firstStart && event.id <= after.id) { return false }
        }
        if !regions.isEmpty {
            let ok = regions.contains { filter in
                switch filter {
                case .national: event.region == nil
                case .region(let region): event.region == region
                }
            }
            if !ok { return false }
        }
        if !kinds.isEmpty && !kinds.contains(event.kind) { return false }
        if !labs.isEmpty && !labs.contains(where: { $0 == event.lab }) { return false }
        if !statuses.isEmpty && !statuses.contains(event.status) { return false }
        if let online, event.online != online { return false }
        if from != nil || to != nil {
            let (start, end) = window
            let lower = start ?? .distantPast
            let upper = end ?? .distantFuture
            if !event.slots.contains(where: { $0.overlaps(from: lower, to: upper) }) { return false }
            if startingInWindow, let start, event.firstStart < start { return false }
        }
        let words = textWords
        if !words.isEmpty && !TextFolding.matches(query: words, in: event.searchableText) { return false }
        return true
    }
}
