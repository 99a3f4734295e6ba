// OutboxDeliverer over a real SQLite outbox: leases that outlast a slow channel (and a
// worker that stalled past its lease sends nothing another worker took over), and
// references to secrets resolved only when sending, against a real HTTP receiver.

import Foundation
import RelaisCore
import RelaisDelivery
import RelaisStorage
import RelaisTesting
import Testing

@Suite("Outbox deliverer", .timeLimit(.minutes(1)))
struct OutboxDelivererTests {
    private static let t0 = Date(timeIntervalSince1970: 1_605_000_000)

    private func outbox(_ directory: TemporaryDirectory, deliveries: Int) throws -> SQLiteCatalogue {
        let catalogue = try SQLiteCatalogue(path: directory.path("catalogue.sqlite"))
        let requests = (1...deliveries).map { number in
            DeliveryRequest(channel: "slow", recipient: "r", body: "\(number)", key: "k\(number)", origin: "lab")
        }
        #expect(try catalogue.queue(requests, at: Self.t0) == deliveries)
        return catalogue
    }

    // MARK: - Leases

    @Test func aSlowChannelsBatchKeepsItsLeasesWhileTheWorkerLives() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try outbox(directory, deliveries: 3)
        let clock = TestClock(Self.t0)
        // 50 s per delivery at worst: with a 60 s lease, one delivery per part.
        let channel = SlowChannel(clock: clock, secondsPerSend: 50, longestPerDelivery: 50) { now in
            // Another worker looking while a part is being sent finds nothing to take.
            try catalogue.claimDue(now: now, lease: 60, worker: "rival", limit: 10).map(\.id)
        }
        let report = try OutboxDeliverer(
            outbox: catalogue, channels: ["slow": channel], worker: "me", lease: 60, now: { clock.now }
        ).deliverDue()

        #expect(report.delivered == 3 && report.attempts == 3 && report.lostLeases == 0)
        #expect(channel.batches.map(\.count) == [1, 1, 1], "parts that each fit in the lease")
        let rivalsTook = channel.rivalsTook
        #expect(rivalsTook.count == 3 && rivalsTook.allSatisfy(\.isEmpty), "the rival took \(rivalsTook)")
        #expect(clock.now == Self.t0.addingTimeInterval(150), "the run outlived its first lease")
        #expect(try catalogue.deliveries(status: .delivered, limit: 10).count == 3)
    }

    @Test func aWorkerThatStalledPastItsLeaseDoesNotSendWhatAnotherTook() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try outbox(directory, deliveries: 3)
        let clock = TestClock(Self.t0)
        var stalled = false
        // The first part takes 200 s (the process was stopped): its leases ran out meanwhile.
        let channel = SlowChannel(clock: clock, secondsPerSend: 200, longestPerDelivery: 50) { now in
            guard !stalled else { return [] }
            stalled = true
            return try catalogue.claimDue(now: now, lease: 60, worker: "rival", limit: 10).map(\.id)
        }
        let report = try OutboxDeliverer(
            outbox: catalogue, channels: ["slow": channel], worker: "me", lease: 60, now: { clock.now }
        ).deliverDue()

        #expect(channel.rivalsTook.first?.count == 3, "every lease had run out, the one being sent included")
        #expect(channel.batches.map(\.count) == [1], "what the rival holds is not sent again")
        #expect(report.delivered == 0 && report.lostLeases == 3, "the late result is dropped too")
        let pending = try catalogue.deliveries(status: .pending, limit: 10)
        #expect(pending.count == 3 && pending.allSatisfy { $0.attempts == 0 }, "left to the rival, untouched")
        #expect(try catalogue.renewLeases(ids: pending.map(\.id), worker: "me", until: clock.now) == [])
        #expect(try catalogue.renewLeases(ids: pending.map(\.id), worker: "rival", until: clock.now) == Set(pending.map(\.id)))
    }

    @Test func aFastChannelSendsTheWholeBatchAtOnceWithoutRenewing() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try outbox(directory, deliveries: 5)
        let clock = TestClock(Self.t0)
        let channel = SlowChannel(clock: clock, secondsPerSend: 1, longestPerDelivery: 0) { _ in [] }
        let report = try OutboxDeliverer(
            outbox: catalogue, channels: ["slow": channel], worker: "me", lease: 60, now: { clock.now }
        ).deliverDue(batchSize: 4)
        #expect(report.delivered == 5)
        #expect(channel.batches.map(\.count) == [4, 1])
    }

    // MARK: - Secrets

    @Test func secretsAreResolvedWhenSendingAndHiddenInWhatIsRecorded() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try SQLiteCatalogue(path: directory.path("catalogue.sqlite"))
        let receiver = try WebhookTestReceiver()
        defer { receiver.shutdown() }
        let hookURL = receiver.url("/hooks/T0KEN-IN-PATH")
        let secrets = DelivererSecrets([
            "lab/webhook-url": hookURL, "lab/token": "tok-123", "lab/webhook": "signing-key",
            "lab/bad-url": "ftp://127.0.0.1/BAD-TOKEN",
        ])
        let revealed: [(name: String, value: String)] = [
            ("webhook-url", hookURL), ("token", "tok-123"), ("bad-url", "ftp://127.0.0.1/BAD-TOKEN"),
            ("gone", "old-value"),
        ]
        let body = #"{"token":"tok-123"}"#
        let requests = [
            DeliveryRequest(
                channel: "webhook", recipient: hookURL, body: body,
                headers: [.init(name: "Authorization", value: "Bearer tok-123")], key: "good", origin: "lab"),
            DeliveryRequest(
                channel: "webhook", recipient: "ftp://127.0.0.1/BAD-TOKEN", body: "{}", key: "bad",
                origin: "lab"),
            DeliveryRequest(channel: "webhook", recipient: receiver.url("/old-value"), body: "{}", key: "gone", origin: "lab"),
        ].map { $0.concealing(revealed) }
        #expect(try catalogue.queue(requests, at: Self.t0) == 3)

        let channel = WebhookChannel(timeout: 2, secrets: secrets)
        let report = try OutboxDeliverer(
            outbox: catalogue, channels: ["webhook": channel], secrets: secrets, now: { Self.t0 }
        ).deliverDue()

        #expect(report.delivered == 1 && report.dead == 1 && report.retrying == 1)
        let received = try #require(receiver.requests.first)
        #expect(receiver.requests.count == 1)
        #expect(received.path == "/hooks/T0KEN-IN-PATH")
        #expect(received.values("Authorization") == ["Bearer tok-123"])
        #expect(received.body == Array(body.utf8))
        #expect(received.values("X-Relais-Signature") == [WebhookChannel.signature(of: body, secret: "signing-key")])

        let everything = try catalogue.deliveries(status: nil, limit: 10)
        for delivery in everything {
            let (_, attempts) = try #require(try catalogue.delivery(id: delivery.id))
            let recorded = [delivery.lastError ?? "", delivery.request.recipient, delivery.request.body]
                + attempts.map(\.detail)
            for text in recorded {
                #expect(!text.contains("T0KEN") && !text.contains("BAD-TOKEN") && !text.contains("tok-123"), "\(text)")
            }
        }
        let bad = try #require(everything.first { $0.request.key == "bad" })
        #expect(bad.status == .dead)
        #expect(bad.lastError?.contains("‹secret:bad-url›") == true, "\(bad.lastError ?? "")")
        let gone = try #require(everything.first { $0.request.key == "gone" })
        #expect(gone.status == .pending, "a missing secret is a configuration to fix: tried again later")
        #expect(gone.lastError == "secret 'gone' is not configured for lab")
    }
}

// MARK: - Helpers

/// A clock the tests move by hand.
private final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }
    func advance(_ seconds: TimeInterval) {
        lock.lock()
        current = current.addingTimeInterval(seconds)
        lock.unlock()
    }
}

/// A channel that "takes" `secondsPerSend` of the test clock per batch, and lets the test
/// look at the outbox from another worker's side while a batch is in flight.
private final class SlowChannel: DeliveryChannel, @unchecked Sendable {
    private let clock: TestClock
    private let secondsPerSend: TimeInterval
    private let longestPerDelivery: TimeInterval
    private let duringSend: (Date) throws -> [Int64]
    private(set) var batches: [[Int64]] = []
    private(set) var rivalsTook: [[Int64]] = []

    init(
        clock: TestClock, secondsPerSend: TimeInterval, longestPerDelivery: TimeInterval,
        duringSend: @escaping (Date) throws -> [Int64]
    ) {
        self.clock = clock
        self.secondsPerSend = secondsPerSend
        self.longestPerDelivery = longestPerDelivery
        self.duringSend = duringSend
    }

    func send(_ deliveries: [Delivery]) -> [DeliveryResult] {
        batches.append(deliveries.map(\.id))
        clock.advance(secondsPerSend)
        rivalsTook.append((try? duringSend(clock.now)) ?? [-1])
        return deliveries.map { _ in .delivered("ok") }
    }

    func longestTime(toSend count: Int) -> TimeInterval { Double(count) * longestPerDelivery }
}

/// Secrets by "owner/name".
private final class DelivererSecrets: SecretSource, @unchecked Sendable {
    private let secrets: [String: String]
    init(_ secrets: [String: String]) { self.secrets = secrets }
    func secret(owner: String, name: String) -> String? { secrets["\(owner)/\(name)"] }
}
