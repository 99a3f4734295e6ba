import Foundation
import RelaisCore

/// Runs plugins' change handlers (`relais.on`) over the catalogue's change log, and queues
/// what they notify.
///
/// Each plugin has a cursor in the change log. Its handlers see every change after the
/// cursor, in commit order; the deliveries they ask for are queued in the same transaction
/// that moves the cursor past those changes. So a crash at any moment loses nothing (the
/// next run starts again from the cursor) and queues nothing twice (a change handled again
/// asks for the same keys, and a key is queued once).
public final class ChangeHandlerRunner {
    /// A plugin whose handlers failed on a change; its cursor stays before that change.
    public struct Failure: Sendable, Equatable {
        public var plugin: String
        public var sequence: Int64
        public var message: String
    }

    /// What a run did.
    public struct Report: Sendable, Equatable {
        /// Changes handled, per plugin with handlers.
        public var handled: [String: Int] = [:]
        /// Deliveries queued (keys already queued are not counted).
        public var queued = 0
        public var failures: [Failure] = []
    }

    private let host: PluginHost
    private let catalogue: any CatalogueStore
    private let outbox: any OutboxStore
    /// Wanted changes read and committed at a time: one transaction per page.
    static let pageSize = 256
    /// The most the deliveries of a page wait for in memory before they are queued: 32 MiB.
    static let pendingDeliveryBytes = 32 << 20
    /// Sequences scanned per read, whatever their kinds.
    static let windowSize: Int64 = 4096
    /// How far the cursor may lag behind changes that asked for no delivery.
    static let idleCommitSpan: Int64 = 65536

    public init(host: PluginHost, catalogue: any CatalogueStore, outbox: any OutboxStore) {
        self.host = host
        self.catalogue = catalogue
        self.outbox = outbox
    }

    /// The plugins that register change handlers, loading every plugin; the ones that fail
    /// to load are returned as failures (sequence 0).
    public func pluginsWithHandlers() -> (plugins: [LoadedPlugin], failures: [Failure]) {
        var plugins: [LoadedPlugin] = []
        var failures: [Failure] = []
        for (location, result) in host.loadAll() {
            switch result {
            case .success(let plugin):
                if !plugin.registrations.handlers.isEmpty { plugins.append(plugin) }
            case .failure(let error):
                failures.append(Failure(plugin: location.id, sequence: 0, message: error.message))
            }
        }
        return (plugins, failures)
    }

    /// Gives every plugin with handlers a cursor, before an import: the import's changes
    /// then reach them even if the process dies before the handlers run.
    public func prepare() throws -> [Failure] {
        let (plugins, failures) = pluginsWithHandlers()
        try outbox.registerHandlers(plugins: plugins.map(\.location.id))
        return failures
    }

    /// Runs every plugin's handlers over the changes after its cursor.
    public func run() throws -> Report {
        let (plugins, loadFailures) = pluginsWithHandlers()
        var report = Report()
        report.failures = loadFailures
        for plugin in plugins {
            try run(plugin, into: &report)
        }
        return report
    }

    private func run(_ plugin: LoadedPlugin, into report: inout Report) throws {
        let id = plugin.location.id
        // Only the kinds the plugin handles are read (and decoded).
        let kinds = Set(ChangeKind.allCases.filter(plugin.handles))
        var position = try outbox.handlerPosition(plugin: id).sequence
        var committed = position
        var handled = 0
        var last = try outbox.lastChangeSequence()
        while position < last {
            // Changes the store knows to be of other kinds (whole imports of additions,
            // for a plugin that waits for cancellations) are passed over unread.
            let possible = try catalogue.firstPossibleChange(after: position, kinds: kinds)
            position = max(position, min(last, possible &- 1))
            let windowEnd = min(last, position + Self.windowSize)
            let page = try catalogue.changes(after: position, through: windowEnd, kinds: kinds, limit: Self.pageSize)
            var deliveries: [DeliveryRequest] = []
            var deliveryBytes = 0
            var through = position
            for change in page {
                do {
                    let asked = try plugin.handle(change)
                    deliveries += asked
                    deliveryBytes += asked.reduce(0) { $0 + $1.byteCount }
                    handled += 1
                } catch let error as ScriptError {
                    if through > committed || !deliveries.isEmpty {
                        report.queued += try outbox.commitHandled(plugin: id, through: through, deliveries: deliveries)
                    }
                    let message = "\(error.message) (while handling change \(change.sequence), \(change.kind.rawValue) \(change.eventID))"
                    try outbox.recordHandlerFailure(plugin: id, sequence: change.sequence, message: message, at: Date())
                    report.failures.append(Failure(plugin: id, sequence: change.sequence, message: message))
                    report.handled[id] = handled
                    return
                }
                through = change.sequence
                // Deliveries wait in memory for the page's transaction: past a bound, they
                // are queued with the cursor at this change rather than at the page's end.
                if deliveryBytes > Self.pendingDeliveryBytes {
                    report.queued += try outbox.commitHandled(plugin: id, through: through, deliveries: deliveries)
                    committed = through
                    deliveries = []
                    deliveryBytes = 0
                }
            }
            // A page short of its limit holds every wanted change of its window.
            if page.count < Self.pageSize { through = windowEnd }
            position = through
            if position >= last { last = try outbox.lastChangeSequence() }
            // The cursor moves with the deliveries; over changes that asked for none it
            // moves now and then and at the end, rather than in a transaction per window.
            if !deliveries.isEmpty || position >= last || position - committed >= Self.idleCommitSpan {
                report.queued += try outbox.commitHandled(plugin: id, through: position, deliveries: deliveries)
                committed = position
            }
        }
        report.handled[id] = handled
    }
}
