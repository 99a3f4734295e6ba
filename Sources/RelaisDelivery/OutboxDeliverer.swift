import Foundation
import RelaisCore

/// When a failed delivery is tried again: quickly at first, then further apart, over about
/// three days, with ±20% jitter so that deliveries that failed together do not all come
/// back at once. After the last retry the delivery is dead (and `relais outbox retry`
/// revives it).
public enum RetrySchedule {
    /// The waits after the 1st, 2nd, … failed attempt: 10 s, 30 s, 2 min, 10 min, 30 min,
    /// 1 h, 2 h, 4 h, 8 h, then 12 h five times (about 3.2 days in all, 15 attempts).
    public static let delays: [TimeInterval] = [
        10, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 43_200, 43_200, 43_200, 43_200, 43_200,
    ]

    /// The wait after `failedAttempts` failed attempts, or nil when it was the last.
    /// A receiver's `Retry-After` is honoured when it asks for longer.
    public static func delay(
        afterFailedAttempts failedAttempts: Int, retryAfter: TimeInterval? = nil,
        jitter: () -> Double = { Double.random(in: 0.8...1.2) }
    ) -> TimeInterval? {
        guard failedAttempts >= 1, failedAttempts <= delays.count else { return nil }
        let planned = delays[failedAttempts - 1] * jitter()
        return max(planned, retryAfter ?? 0)
    }
}

/// Sends what is due in the outbox (`relais outbox deliver`).
///
/// Deliveries are claimed with a lease in the database, so two workers never send the
/// same one at once; a worker that dies lets go when its lease ends, and the delivery is
/// sent again (with the same key, which receivers use to drop the duplicate).
///
/// A claimed batch is sent in parts that each fit in the lease (a channel says how long a
/// part can take at worst), and before each part the worker extends its leases when they
/// would not last: a slow channel (sendmail waits up to a minute per message) never lets a
/// lease run out under a live worker. Each part's attempts are recorded as soon as it is
/// sent, so a crash repeats at most one part.
///
/// References to secrets in a delivery (``SecretReference``) are resolved just before it
/// is sent; what an attempt reports is concealed again before it is recorded.
public final class OutboxDeliverer {
    /// What one run did.
    public struct Report: Sendable, Equatable {
        public var delivered = 0
        public var retrying = 0
        public var dead = 0
        /// Attempts whose lease another worker had taken over: their results were dropped
        /// (or, when the loss was seen before sending, they were not sent).
        public var lostLeases = 0
        public var attempts: Int { delivered + retrying + dead + lostLeases }
    }

    private let outbox: any OutboxStore
    private let channels: [String: any DeliveryChannel]
    private let secrets: (any SecretSource)?
    private let worker: String
    private let lease: TimeInterval
    private let now: () -> Date

    /// What a part's lease must hold beyond the part's worst case: the time between the
    /// decision to send and the first byte out. (Cutting it close is safe: a renewal only
    /// extends leases still held by this worker, and nothing else is sent.)
    static let leaseMargin: TimeInterval = 2

    /// - Parameters:
    ///   - secrets: where references to secrets in deliveries are resolved.
    ///   - lease: how long a claim holds at first; parts of a batch that could take longer
    ///     are covered by extending it.
    ///   - now: the clock (tests pin it).
    public init(
        outbox: any OutboxStore, channels: [String: any DeliveryChannel], secrets: (any SecretSource)? = nil,
        worker: String = OutboxDeliverer.workerName(), lease: TimeInterval = 300, now: @escaping () -> Date = Date.init
    ) {
        self.outbox = outbox
        self.channels = channels
        self.secrets = secrets
        self.worker = worker
        self.lease = lease
        self.now = now
    }

    /// A name unique to this process: host, process id and a random part.
    public static func workerName() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host):\(getpid()):\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Sends every delivery due when the run begins, `batchSize` at a time; a delivery
    /// that fails is due again later and is not retried within the same run.
    /// `progress` receives the number of attempts so far.
    public func deliverDue(batchSize: Int = 32, progress: ((Int) -> Void)? = nil) throws -> Report {
        let start = now()
        var report = Report()
        while true {
            let claimedAt = now()
            let claimed = try outbox.claimDue(dueBy: start, now: claimedAt, lease: lease, worker: worker, limit: batchSize)
            guard !claimed.isEmpty else { break }
            var batch = BatchLeases(ids: claimed.map(\.id), until: claimedAt.addingTimeInterval(lease))
            let groups = Dictionary(grouping: claimed, by: { $0.request.channel }).sorted { $0.key < $1.key }
            for (channelName, group) in groups {
                guard let channel = channels[channelName] else {
                    let records = group.map { delivery in
                        record(.refused("unknown channel '\(channelName)'"), for: delivery)
                    }
                    try tally(records, into: &report, batch: &batch)
                    continue
                }
                var remaining = group[...]
                while !remaining.isEmpty {
                    let part = Self.part(of: remaining, fittingIn: lease, channel: channel)
                    remaining = remaining.dropFirst(part.count)
                    let longest = channel.longestTime(toSend: part.count)
                    let held = try keep(&batch, for: longest)
                    let sending = part.filter { held.contains($0.id) }
                    report.lostLeases += part.count - sending.count
                    guard !sending.isEmpty else { continue }
                    let records = send(Array(sending), through: channel)
                    try tally(records, into: &report, batch: &batch)
                    progress?(report.attempts)
                }
            }
        }
        return report
    }

    /// The leases a worker holds on one claimed batch.
    private struct BatchLeases {
        /// Deliveries of the batch not yet sent, still held.
        var ids: [Int64]
        /// When the leases end.
        var until: Date
    }

    /// Makes sure the batch's leases last `longest` more seconds (and a margin), extending
    /// them when they would not; returns the ids still held.
    private func keep(_ batch: inout BatchLeases, for longest: TimeInterval) throws -> Set<Int64> {
        let needed = now().addingTimeInterval(longest + Self.leaseMargin)
        guard needed > batch.until else { return Set(batch.ids) }
        let until = now().addingTimeInterval(max(lease, longest + Self.leaseMargin))
        let held = try outbox.renewLeases(ids: batch.ids, worker: worker, until: until)
        batch.ids.removeAll { !held.contains($0) }
        batch.until = until
        return held
    }

    /// The first deliveries of `deliveries` that `channel` can send within `lease` (at least one).
    static func part(
        of deliveries: ArraySlice<Delivery>, fittingIn lease: TimeInterval, channel: any DeliveryChannel
    ) -> ArraySlice<Delivery> {
        var count = deliveries.count
        while count > 1 && channel.longestTime(toSend: count) + leaseMargin > lease { count -= 1 }
        return deliveries.prefix(count)
    }

    /// Sends `deliveries` through `channel` with their secrets resolved, and says what
    /// became of each.
    private func send(_ deliveries: [Delivery], through channel: any DeliveryChannel) -> [AttemptRecord] {
        var ready: [Delivery] = []
        var usedSecrets: [Int64: [(name: String, value: String)]] = [:]
        var unresolved: [Int64: String] = [:]
        for delivery in deliveries {
            do {
                let (request, used) = try delivery.request.resolvingSecrets(from: secrets)
                var resolved = delivery
                resolved.request = request
                ready.append(resolved)
                usedSecrets[delivery.id] = used
            } catch {
                // A configuration to fix: tried again later, like any failure that may pass.
                unresolved[delivery.id] = "\(error) for \(delivery.request.origin)"
            }
        }
        var results: [Int64: DeliveryResult] = [:]
        if !ready.isEmpty {
            for (delivery, result) in zip(ready, channel.send(ready)) {
                results[delivery.id] = result.concealing(usedSecrets[delivery.id] ?? [])
            }
        }
        return deliveries.map { delivery in
            let result =
                unresolved[delivery.id].map { DeliveryResult.failed($0, retryAfter: nil) }
                ?? results[delivery.id] ?? .failed("no result", retryAfter: nil)
            return record(result, for: delivery)
        }
    }

    /// Records `records` (one transaction) and counts them.
    private func tally(_ records: [AttemptRecord], into report: inout Report, batch: inout BatchLeases) throws {
        let kept = try outbox.recordAttempts(records, worker: worker)
        let done = Set(records.map(\.id))
        batch.ids.removeAll { done.contains($0) }
        for (record, wasKept) in zip(records, kept) {
            guard wasKept else {
                report.lostLeases += 1
                continue
            }
            switch record.status {
            case .delivered: report.delivered += 1
            case .pending: report.retrying += 1
            case .dead: report.dead += 1
            }
        }
    }

    /// Where `result` leaves `delivery`: delivered, due again later, or dead.
    private func record(_ result: DeliveryResult, for delivery: Delivery) -> AttemptRecord {
        let at = now()
        let status: DeliveryStatus
        let outcome: DeliveryAttempt.Outcome
        var next = at
        switch result {
        case .delivered:
            status = .delivered
            outcome = .delivered
        case .failed(_, let retryAfter):
            if let delay = RetrySchedule.delay(afterFailedAttempts: delivery.attempts + 1, retryAfter: retryAfter) {
                status = .pending
                outcome = .retry
                next = at.addingTimeInterval(delay)
            } else {
                status = .dead
                outcome = .dead
            }
        case .refused:
            status = .dead
            outcome = .dead
        }
        return AttemptRecord(
            id: delivery.id, attempt: DeliveryAttempt(at: at, outcome: outcome, detail: result.detail), status: status,
            nextAttemptAt: next)
    }
}
