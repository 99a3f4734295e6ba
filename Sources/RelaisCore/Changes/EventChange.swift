import Foundation

/// What an import did to one event.
public enum ChangeKind: String, CaseIterable, Hashable, Sendable {
    /// The id was new to the catalogue.
    case added
    /// Fields other than slots and status changed.
    case updated
    /// The slots changed (and maybe other fields).
    case rescheduled
    /// The status became `cancelled` (whatever else changed).
    case cancelled
    /// Nothing changed.
    case unchanged

    /// Compares what the catalogue holds with what arrives. A status change to cancelled
    /// wins over a slot change, which wins over any other field change.
    public static func between(stored: Event?, incoming: Event) -> ChangeKind {
        guard let stored else { return .added }
        if incoming.status == .cancelled && stored.status != .cancelled { return .cancelled }
        if !incoming.hasSameSlots(as: stored) { return .rescheduled }
        var comparable = incoming
        comparable.slots = stored.slots
        return comparable == stored ? .unchanged : .updated
    }

    /// The bus topic for this change (`event.added`, …); nil for unchanged.
    public var topic: String? { self == .unchanged ? nil : "event.\(rawValue)" }
}

/// One recorded change: the event before and after, in the order of the change log.
public struct EventChange: Hashable, Sendable {
    /// Position in the catalogue's change log; increases with every change ever recorded.
    public var sequence: Int64
    public var kind: ChangeKind
    public var eventID: String
    public var before: Event?
    public var after: Event
    /// When the import that made the change was committed.
    public var recordedAt: Date
    /// Where the change came from (the imported file's name).
    public var source: String

    public init(
        sequence: Int64, kind: ChangeKind, eventID: String, before: Event?, after: Event, recordedAt: Date,
        source: String
    ) {
        self.sequence = sequence
        self.kind = kind
        self.eventID = eventID
        self.before = before
        self.after = after
        self.recordedAt = recordedAt
        self.source = source
    }
}

/// Counts of what an import did, per ``ChangeKind``.
public struct ImportReport: Hashable, Sendable, CustomStringConvertible {
    public var added = 0
    public var updated = 0
    public var rescheduled = 0
    public var cancelled = 0
    public var unchanged = 0
    /// True when nothing was written (`--dry-run`).
    public var dryRun = false

    public init() {}

    public mutating func count(_ kind: ChangeKind) {
        switch kind {
        case .added: added += 1
        case .updated: updated += 1
        case .rescheduled: rescheduled += 1
        case .cancelled: cancelled += 1
        case .unchanged: unchanged += 1
        }
    }

    public var total: Int { added + updated + rescheduled + cancelled + unchanged }

    public var description: String {
        "\(added) added, \(updated) updated, \(rescheduled) rescheduled, \(cancelled) cancelled, \(unchanged) unchanged"
    }
}
