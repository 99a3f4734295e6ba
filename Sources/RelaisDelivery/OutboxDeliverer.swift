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
public final class OutboxDeliverer {
    /// What one run did.
    public struct Report: Sendable, Equatable {
        public var delivered = 0
        public var retrying = 0
        public var dead = 0
        /// Attempts whose lease another worker had taken over: their results were dropped.
        public var lostLeases = 0
        public var attempts: Int { delivered + retrying + dead + lostLeases }
    }

    private let outbox: any OutboxStore
    private let channels: [String: any DeliveryChannel]
    private let worker: String
    private let lease: TimeInterval
    private let now: () -> Date

    /// - Parameters:
    ///   - lease: how long a claim holds; longer than any one attempt can take.
    ///   - now: the clock (tests pin it).
    public init(
        outbox: any OutboxStore, channels: [String: any DeliveryChannel], worker: String = OutboxDeliverer.workerName(),
        lease: TimeInterval = 300, now: @escaping () -> Date = Date.init
    ) {
        self.outbox = outbox
        self.channels = channels
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
            let claimed = try outbox.claimDue(now: start, lease: lease, worker: worker, limit: batchSize)
            guard !claimed.isEmpty else { break }
            var results: [Int64: DeliveryResult] = [:]
            for (channelName, batch) in Dictionary(grouping: claimed, by: { $0.request.channel }) {
                guard let channel = channels[channelName] else {
                    for delivery in batch { results[delivery.id] = .refused("unknown channel '\(channelName)'") }
                    continue
                }
                for (delivery, result) in zip(batch, channel.send(batch)) { results[delivery.id] = result }
            }
            let records = claimed.map { delivery in
                record(results[delivery.id] ?? .failed("no result", retryAfter: nil), for: delivery)
            }
            let kept = try outbox.recordAttempts(records, worker: worker)
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
            progress?(report.attempts)
        }
        return report
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
