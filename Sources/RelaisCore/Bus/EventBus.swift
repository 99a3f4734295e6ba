import Foundation

/// The in-process bus on which stores publish changes after each commit.
///
/// Subscribers receive changes in commit order, synchronously, on the publishing thread;
/// a change is never published for a transaction that rolled back. The bus is safe to
/// share between threads: publications are serialized.
public final class EventBus: @unchecked Sendable {
    /// Receives the changes of one commit, in log order.
    public typealias Subscriber = @Sendable ([EventChange]) -> Void

    private let lock = NSRecursiveLock()
    private var subscribers: [(token: Int, body: Subscriber)] = []
    private var nextToken = 0

    public init() {}

    /// Subscribes; the returned token unsubscribes.
    @discardableResult
    public func subscribe(_ body: @escaping Subscriber) -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextToken += 1
        subscribers.append((nextToken, body))
        return nextToken
    }

    /// Whether anyone listens; publishers may skip preparing changes when nobody does.
    public var hasSubscribers: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !subscribers.isEmpty
    }

    public func unsubscribe(_ token: Int) {
        lock.lock()
        defer { lock.unlock() }
        subscribers.removeAll { $0.token == token }
    }

    /// Delivers one commit's changes to every subscriber, in subscription order. Holding
    /// the lock across delivery keeps commits from two threads from interleaving.
    public func publish(_ changes: [EventChange]) {
        guard !changes.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        for subscriber in subscribers { subscriber.body(changes) }
    }
}
