import Foundation
import RelaisCore
import Testing

/// A thread-safe log for subscribers to write into.
final class Recorder<Entry: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Entry] = []

    func append(_ entry: Entry) {
        lock.lock()
        storage.append(entry)
        lock.unlock()
    }

    var entries: [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

@Suite("Event bus")
struct EventBusTests {
    static func change(_ sequence: Int64, _ kind: ChangeKind = .added, id: String? = nil) -> EventChange {
        let event = sampleEvent(id: id ?? "e\(sequence)")
        return EventChange(
            sequence: sequence, kind: kind, eventID: event.id, before: nil, after: event,
            recordedAt: utc(2020, 11, 2, 9), source: "mip2020.jsonl")
    }

    @Test func subscribersReceiveChangesInPublishOrder() {
        let bus = EventBus()
        let first = Recorder<Int64>()
        let second = Recorder<Int64>()
        bus.subscribe { changes in for change in changes { first.append(change.sequence) } }
        bus.subscribe { changes in for change in changes { second.append(change.sequence) } }
        bus.publish([Self.change(1), Self.change(2, .updated)])
        bus.publish([Self.change(3, .cancelled)])
        bus.publish([Self.change(4), Self.change(5), Self.change(6)])
        #expect(first.entries == [1, 2, 3, 4, 5, 6])
        #expect(second.entries == [1, 2, 3, 4, 5, 6])
    }

    @Test func subscribersAreCalledInSubscriptionOrderOncePerCommit() {
        let bus = EventBus()
        let calls = Recorder<String>()
        bus.subscribe { changes in calls.append("A\(changes.count)") }
        bus.subscribe { changes in calls.append("B\(changes.count)") }
        bus.subscribe { changes in calls.append("C\(changes.count)") }
        bus.publish([Self.change(1), Self.change(2)])
        bus.publish([Self.change(3)])
        #expect(calls.entries == ["A2", "B2", "C2", "A1", "B1", "C1"])
    }

    @Test func changesArriveWhole() {
        let bus = EventBus()
        let received = Recorder<EventChange>()
        bus.subscribe { changes in for change in changes { received.append(change) } }
        let sent = [Self.change(7, .rescheduled, id: "mip-7"), Self.change(8, .cancelled, id: "mip-8")]
        bus.publish(sent)
        #expect(received.entries == sent)
    }

    @Test func emptyPublishDeliversNothing() {
        let bus = EventBus()
        let calls = Recorder<Int>()
        bus.subscribe { changes in calls.append(changes.count) }
        bus.publish([])
        #expect(calls.entries.isEmpty)
        bus.publish([Self.change(1)])
        #expect(calls.entries == [1])
    }

    @Test func publishWithoutSubscribersIsFine() {
        EventBus().publish([Self.change(1)])
    }

    @Test func unsubscribeStopsDeliveryToThatSubscriberOnly() {
        let bus = EventBus()
        let first = Recorder<Int64>()
        let second = Recorder<Int64>()
        let token = bus.subscribe { changes in for change in changes { first.append(change.sequence) } }
        let other = bus.subscribe { changes in for change in changes { second.append(change.sequence) } }
        #expect(token != other)
        bus.publish([Self.change(1)])
        bus.unsubscribe(token)
        bus.publish([Self.change(2)])
        bus.unsubscribe(token)  // twice is harmless
        bus.unsubscribe(9_999)  // unknown tokens too
        bus.publish([Self.change(3)])
        #expect(first.entries == [1])
        #expect(second.entries == [1, 2, 3])
        bus.unsubscribe(other)
        bus.publish([Self.change(4)])
        #expect(second.entries == [1, 2, 3])
    }

    @Test func subscribingFromASubscriberDoesNotDeadlock() {
        let bus = EventBus()
        let late = Recorder<Int64>()
        let subscribed = Recorder<Bool>()
        bus.subscribe { changes in
            if subscribed.entries.isEmpty {
                subscribed.append(true)
                bus.subscribe { changes in for change in changes { late.append(change.sequence) } }
            }
        }
        bus.publish([Self.change(1)])
        bus.publish([Self.change(2)])
        #expect(late.entries == [2])
    }

    /// Two threads publish at once; every publish call reaches every subscriber as one
    /// uninterrupted run, and each thread's commits keep their order.
    @Test func concurrentPublishesDoNotInterleave() {
        let bus = EventBus()
        let log = Recorder<(subscriber: Int, sequence: Int64)>()
        for subscriber in 0..<3 {
            bus.subscribe { changes in
                for change in changes {
                    log.append((subscriber, change.sequence))
                    // Give the other thread every chance to barge in.
                    if change.sequence % 3 == 0 { Thread.sleep(forTimeInterval: 0.000_05) }
                }
            }
        }
        let publishesPerThread = 40
        let changesPerPublish = 5
        let group = DispatchGroup()
        for thread in 0..<2 {
            group.enter()
            let worker = Thread {
                for publish in 0..<publishesPerThread {
                    let base = Int64(thread * 1_000_000 + publish * 100)
                    bus.publish((0..<changesPerPublish).map { Self.change(base + Int64($0)) })
                }
                group.leave()
            }
            worker.start()
        }
        #expect(group.wait(timeout: .now() + 60) == .success)

        let entries = log.entries
        let perPublish = 3 * changesPerPublish
        #expect(entries.count == 2 * publishesPerThread * perPublish)
        // Cut the log into runs of one publish call: each must be complete and in order.
        var runs: [Int64] = []
        var index = 0
        while index + perPublish <= entries.count {
            let run = entries[index..<(index + perPublish)]
            let base = run.first!.sequence
            let expected = (0..<3).flatMap { subscriber in
                (0..<changesPerPublish).map { (subscriber, base + Int64($0)) }
            }
            #expect(run.map(\.subscriber) == expected.map(\.0))
            #expect(run.map(\.sequence) == expected.map(\.1))
            runs.append(base)
            index += perPublish
        }
        // Each thread's publish calls arrive in the order it made them.
        for thread in 0..<2 {
            let bases = runs.filter { $0 / 1_000_000 == thread }
            #expect(bases == (0..<publishesPerThread).map { Int64(thread * 1_000_000 + $0 * 100) })
        }
    }
}
