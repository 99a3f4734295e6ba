// WebhookChannel against a real HTTP receiver (SwiftNIO on 127.0.0.1, see
// WebhookTestReceiver.swift): what is sent (body, headers, signature checked with Python's
// hmac), how each status and network failure is classed, that redirects are not followed,
// that timeouts hold, and a run of OutboxDeliverer over a real SQLite outbox.
//
// Every channel here has a timeout of 1–2 s, so no test waits longer than a few seconds.

import Foundation
import NIOHTTP1
import RelaisCore
import RelaisDelivery
import RelaisStorage
import RelaisTesting
import Testing

@Suite("Webhook channel", .timeLimit(.minutes(1)))
struct WebhookChannelTests {
    // MARK: - What is sent

    @Test func postsTheBodyExactlyWithRelaisHeadersAndThePluginsOwn() throws {
        let receiver = try WebhookTestReceiver()
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))
        let body = #"{"titre":"Fête de la musique","lieu":"Place d’Italie","n":1}"#
        let delivery = webhookDelivery(
            id: 42, url: receiver.url("/hooks/agenda?source=relais"), body: body, key: "agenda:evt-1:v3",
            headers: [.init(name: "X-Custom", value: "oui"), .init(name: "Authorization", value: "Bearer t0ken")])

        #expect(channel.send([delivery]) == [.delivered("HTTP 200")])

        let requests = receiver.requests
        try #require(requests.count == 1)
        let request = requests[0]
        #expect(request.method == .POST)
        #expect(request.uri == "/hooks/agenda?source=relais")
        #expect(request.body == Array(body.utf8))
        #expect(request.values("Content-Type") == ["application/json; charset=utf-8"])
        #expect(request.values("Content-Length") == [String(body.utf8.count)])
        #expect(request.values("User-Agent") == ["relais/0.1"])
        #expect(request.values("Idempotency-Key") == ["agenda:evt-1:v3"])
        #expect(request.values("X-Relais-Delivery") == ["42"])
        #expect(request.values("X-Custom") == ["oui"])
        #expect(request.values("Authorization") == ["Bearer t0ken"])
        #expect(request.values("X-Relais-Signature").isEmpty, "no secret, no signature")
    }

    @Test func aPluginCannotOverrideTheHeadersRelaisSets() throws {
        let receiver = try WebhookTestReceiver()
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))
        let forged: [DeliveryRequest.Header] = [
            .init(name: "User-Agent", value: "evil/1.0"), .init(name: "idempotency-key", value: "forged"),
            .init(name: "Content-Type", value: "text/plain"), .init(name: "X-Relais-Delivery", value: "999"),
            .init(name: "X-Relais-Signature", value: "sha256=00"), .init(name: "Content-Length", value: "1"),
            .init(name: "X-Kept", value: "1"),
        ]
        let delivery = webhookDelivery(id: 7, url: receiver.url(), key: "real-key", headers: forged)

        #expect(channel.send([delivery]) == [.delivered("HTTP 200")])

        let request = try #require(receiver.requests.first)
        #expect(request.values("User-Agent") == ["relais/0.1"])
        #expect(request.values("Idempotency-Key") == ["real-key"])
        #expect(request.values("Content-Type") == ["application/json; charset=utf-8"])
        #expect(request.values("X-Relais-Delivery") == ["7"])
        #expect(request.values("X-Relais-Signature").isEmpty)
        #expect(request.values("Content-Length") == [String(request.body.count)])
        #expect(request.values("X-Kept") == ["1"])
    }

    @Test func signsTheBodyWithThePluginsOwnWebhookSecret() throws {
        let receiver = try WebhookTestReceiver()
        defer { receiver.shutdown() }
        let secrets = WebhookSecrets(["agenda/webhook": "s3cret", "agenda/token": "not-this-one", "autre/token": "nor-this"])
        let channel = WebhookChannel(timeout: 2, secrets: secrets)
        let body = #"{"évènement":"concert","prix":"12 €"}"#
        let signed = webhookDelivery(id: 1, url: receiver.url("/signed"), body: body, key: "k-signed", origin: "agenda")
        let unsigned = webhookDelivery(id: 2, url: receiver.url("/unsigned"), body: body, key: "k-unsigned", origin: "autre")

        #expect(channel.send([signed, unsigned]) == [.delivered("HTTP 200"), .delivered("HTTP 200")])

        let requests = receiver.requests
        let signedRequest = try #require(requests.first { $0.path == "/signed" })
        let unsignedRequest = try #require(requests.first { $0.path == "/unsigned" })
        // Checked independently of swift-crypto, over the bytes the receiver actually got.
        let expected = try pythonHMACSHA256(key: "s3cret", message: signedRequest.body)
        #expect(expected.count == "sha256=".count + 64)
        #expect(signedRequest.values("X-Relais-Signature") == [expected])
        #expect(WebhookChannel.signature(of: body, secret: "s3cret") == expected)
        #expect(unsignedRequest.values("X-Relais-Signature").isEmpty, "'autre' has no secret named 'webhook'")
        #expect(secrets.askedFor.contains("agenda/webhook"))
        #expect(secrets.askedFor.contains("autre/webhook"))
    }

    // MARK: - Statuses

    @Test func aServerErrorIsRetriedWithTheSameIdempotencyKey() throws {
        let receiver = try WebhookTestReceiver(script: [.status(500), .ok])
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))
        let delivery = webhookDelivery(id: 3, url: receiver.url(), key: "digest:2025-06-21")

        #expect(channel.send([delivery]) == [.failed("HTTP 500", retryAfter: nil)])
        #expect(channel.send([delivery]) == [.delivered("HTTP 200")])

        let requests = receiver.requests
        #expect(requests.count == 2)
        #expect(requests.map { $0.values("Idempotency-Key") } == [["digest:2025-06-21"], ["digest:2025-06-21"]])
        #expect(requests.map { $0.values("X-Relais-Delivery") } == [["3"], ["3"]])
        #expect(requests.map(\.body) == [requests[0].body, requests[0].body])
    }

    @Test(arguments: [408, 500, 502, 503, 504, 599])
    func transientStatusesAreRetried(status: Int) throws {
        let receiver = try WebhookTestReceiver(script: [.status(status)])
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))
        let results = channel.send([webhookDelivery(id: 1, url: receiver.url())])
        #expect(results == [.failed("HTTP \(status)", retryAfter: nil)])
    }

    @Test(arguments: [400, 401, 403, 404, 405, 409, 410, 413, 422])
    func otherClientErrorsAreRefused(status: Int) throws {
        let receiver = try WebhookTestReceiver(script: [.status(status)])
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))
        let results = channel.send([webhookDelivery(id: 1, url: receiver.url())])
        #expect(results == [.refused("HTTP \(status)")])
        #expect(receiver.requests.count == 1)
    }

    @Test func tooManyRequestsHonoursRetryAfterInSeconds() throws {
        let receiver = try WebhookTestReceiver(script: [
            .status(429, headers: [("Retry-After", "7")]), .status(429), .status(429, headers: [("Retry-After", "soon")]),
        ])
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))
        let delivery = webhookDelivery(id: 1, url: receiver.url())

        #expect(channel.send([delivery]) == [.failed("HTTP 429", retryAfter: 7)])
        #expect(channel.send([delivery]) == [.failed("HTTP 429", retryAfter: nil)], "no Retry-After")
        #expect(channel.send([delivery]) == [.failed("HTTP 429", retryAfter: nil)], "unreadable Retry-After")
    }

    @Test func tooManyRequestsHonoursRetryAfterAsAnHTTPDate() throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let inAMinute = formatter.string(from: Date().addingTimeInterval(60))
        let receiver = try WebhookTestReceiver(script: [.status(429, headers: [("Retry-After", inAMinute)])])
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))

        let results = channel.send([webhookDelivery(id: 1, url: receiver.url())])

        try #require(results.count == 1)
        guard case .failed(let detail, let retryAfter) = results[0] else {
            Issue.record("expected a failure, got \(results[0])")
            return
        }
        #expect(detail == "HTTP 429")
        let seconds = try #require(retryAfter, "Retry-After '\(inAMinute)' was not understood")
        #expect(seconds > 50 && seconds <= 61)
    }

    @Test(arguments: [301, 302, 303, 307, 308])
    func redirectsAreRefusedAndNotFollowed(status: Int) throws {
        let receiver = try WebhookTestReceiver()
        defer { receiver.shutdown() }
        let moved = receiver.url("/moved-here")
        let redirecting = try WebhookTestReceiver(script: [.status(status, headers: [("Location", moved)])])
        defer { redirecting.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))

        let results = channel.send([webhookDelivery(id: 1, url: redirecting.url("/old"))])

        try #require(results.count == 1)
        guard case .refused(let detail) = results[0] else {
            Issue.record("expected a refusal, got \(results[0])")
            return
        }
        #expect(detail.hasPrefix("HTTP \(status)"))
        #expect(detail.contains("redirects are not followed"))
        #expect(detail.contains(moved), "the refusal names where the webhook moved")
        #expect(redirecting.requests.count == 1, "exactly one request, not retried")
        #expect(receiver.requests.isEmpty, "the Location was not followed")
    }

    // MARK: - Network failures and limits

    @Test func aReceiverThatNeverAnswersTimesOut() throws {
        let receiver = try WebhookTestReceiver(script: [.hang])
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 1, secrets: WebhookSecrets([:]))

        let (results, seconds) = timed { channel.send([webhookDelivery(id: 1, url: receiver.url())]) }

        #expect(results == [.failed("no answer within 1 s", retryAfter: nil)])
        #expect(seconds >= 0.9, "it waited for the timeout")
        #expect(seconds < 3, "took \(seconds) s")
        #expect(receiver.requests.count == 1, "the request was sent; only the answer was missing")
    }

    /// `DeliveryConfiguration` accepts any timeout above 0, but `WebhookChannel` makes its
    /// connect timeout `Int64(min(timeout, 30))` whole seconds: under 1 s that is 0, so
    /// every connection fails at once and the delivery is "no answer within 0 s".
    @Test func aTimeoutUnderASecondStillLetsARequestThrough() throws {
        let receiver = try WebhookTestReceiver()
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 0.5, secrets: WebhookSecrets([:]))
        let results = channel.send([webhookDelivery(id: 1, url: receiver.url())])
        // The connect timeout is kept in milliseconds, not truncated to whole seconds.
        #expect(results == [.delivered("HTTP 200")])
    }

    @Test func aBatchIsSentConcurrentlySoTimeoutsDoNotAddUp() throws {
        let receiver = try WebhookTestReceiver(script: [.hang, .hang, .hang, .hang])
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 1, secrets: WebhookSecrets([:]))
        let batch = (1...4).map { webhookDelivery(id: Int64($0), url: receiver.url("/\($0)"), key: "k\($0)") }

        let (results, seconds) = timed { channel.send(batch) }

        #expect(results == Array(repeating: .failed("no answer within 1 s", retryAfter: nil), count: 4))
        #expect(seconds < 2.5, "4 timeouts of 1 s took \(seconds) s: the batch was not sent concurrently")
    }

    @Test func aRefusedConnectionFails() throws {
        // A port on which nothing listens any more.
        let closed = try WebhookTestReceiver()
        let url = closed.url()
        closed.shutdown()
        let channel = WebhookChannel(timeout: 1, secrets: WebhookSecrets([:]))

        let (results, seconds) = timed { channel.send([webhookDelivery(id: 1, url: url)]) }

        try #require(results.count == 1)
        guard case .failed(let detail, let retryAfter) = results[0] else {
            Issue.record("a refused connection is worth retrying, got \(results[0])")
            return
        }
        #expect(!detail.isEmpty)
        #expect(retryAfter == nil)
        #expect(seconds < 3, "took \(seconds) s")
    }

    @Test func anInvalidURLIsRefusedWithoutSpoilingTheRestOfTheBatch() throws {
        let receiver = try WebhookTestReceiver()
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))
        let batch = [
            webhookDelivery(id: 1, url: "not a url", key: "k1"),
            webhookDelivery(id: 2, url: receiver.url(), key: "k2"),
            webhookDelivery(id: 3, url: "ftp://127.0.0.1/hook", key: "k3"),
        ]

        let results = channel.send(batch)

        try #require(results.count == 3)
        guard case .refused(let first) = results[0], case .refused(let third) = results[2] else {
            Issue.record("invalid URLs should be refused: \(results)")
            return
        }
        #expect(first.contains("not a url"))
        #expect(third.contains("ftp://127.0.0.1/hook"))
        #expect(results[1] == .delivered("HTTP 200"))
        #expect(receiver.requests.count == 1)
    }

    @Test func aLargeResponseBodyIsReadWithoutTrouble() throws {
        let fiveMegabytes = 5 * 1024 * 1024
        let receiver = try WebhookTestReceiver(script: [.status(200, bodyBytes: fiveMegabytes), .status(201)])
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))
        let delivery = webhookDelivery(id: 1, url: receiver.url())

        #expect(channel.send([delivery]) == [.delivered("HTTP 200")])
        // The connection is still usable afterwards: the whole body was consumed.
        #expect(channel.send([delivery]) == [.delivered("HTTP 201")])
    }

    @Test func aBatchGetsOneResultPerDeliveryInOrder() throws {
        let statuses = [200, 201, 202, 203, 204, 200, 201, 202, 203, 204]
        var byPath: [String: [WebhookReply]] = [:]
        for (index, status) in statuses.enumerated() { byPath["/\(index + 1)"] = [.status(status)] }
        let receiver = try WebhookTestReceiver(byPath: byPath)
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))
        let batch = (1...10).map { webhookDelivery(id: Int64($0), url: receiver.url("/\($0)"), key: "batch-\($0)") }

        let results = channel.send(batch)

        #expect(results == statuses.map { .delivered("HTTP \($0)") })
        let requests = receiver.requests
        #expect(requests.count == 10)
        #expect(Set(requests.map(\.path)) == Set((1...10).map { "/\($0)" }))
        for request in requests {
            let number = request.path.dropFirst()
            #expect(request.values("Idempotency-Key") == ["batch-\(number)"])
            #expect(request.values("X-Relais-Delivery") == [String(number)])
        }
    }

    // MARK: - End to end

    @Test func theDelivererRetriesAFailedWebhookAndDeliversItLater() throws {
        let dir = try TemporaryDirectory()
        let catalogue = try SQLiteCatalogue(path: dir.path("catalogue.sqlite"))
        let receiver = try WebhookTestReceiver(byPath: ["/hooks/b": [.status(500), .ok]])
        defer { receiver.shutdown() }
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets(["agenda/webhook": "s3cret"]))
        let queuedAt = Date()
        let requests = ["a", "b", "c"].map { name in
            DeliveryRequest(
                channel: "webhook", recipient: receiver.url("/hooks/\(name)"), body: #"{"event":"\#(name)"}"#,
                headers: [.init(name: "X-Which", value: name)], key: "agenda:\(name)", origin: "agenda")
        }
        #expect(try catalogue.queue(requests, at: queuedAt) == 3)

        // First run: a and c are delivered, b fails and is due again in about 10 s.
        let firstRun = try OutboxDeliverer(outbox: catalogue, channels: ["webhook": channel], now: { queuedAt })
            .deliverDue()
        #expect(firstRun.delivered == 2)
        #expect(firstRun.retrying == 1)
        #expect(firstRun.dead == 0)
        #expect(firstRun.lostLeases == 0)
        let pending = try catalogue.deliveries(status: .pending, limit: 10)
        try #require(pending.count == 1)
        let retried = pending[0]
        #expect(retried.request.key == "agenda:b")
        #expect(retried.attempts == 1)
        #expect(retried.lastError == "HTTP 500")
        let wait = retried.nextAttemptAt.timeIntervalSince(queuedAt)
        #expect(wait >= 8 && wait <= 12, "first retry after 10 s ±20%, got \(wait) s")
        #expect(try catalogue.deliveries(status: .delivered, limit: 10).map(\.request.key).sorted() == ["agenda:a", "agenda:c"])

        // Not due yet at the same time.
        let tooEarly = try OutboxDeliverer(outbox: catalogue, channels: ["webhook": channel], now: { queuedAt })
            .deliverDue()
        #expect(tooEarly.attempts == 0)
        #expect(receiver.requests.count == 3)

        // A minute later it goes through.
        let later = queuedAt.addingTimeInterval(60)
        let secondRun = try OutboxDeliverer(outbox: catalogue, channels: ["webhook": channel], now: { later })
            .deliverDue()
        #expect(secondRun.delivered == 1)
        #expect(secondRun.retrying == 0)
        #expect(secondRun.dead == 0)

        let (delivery, attempts) = try #require(try catalogue.delivery(id: retried.id))
        #expect(delivery.status == .delivered)
        #expect(delivery.attempts == 2)
        #expect(delivery.lastError == nil)
        #expect(attempts.map(\.outcome) == [.retry, .delivered])
        #expect(attempts.map(\.detail) == ["HTTP 500", "HTTP 200"])
        try #require(attempts.count == 2)
        // Dates go through the database as seconds in a Double: equal to the microsecond.
        #expect(abs(attempts[0].at.timeIntervalSince(queuedAt)) < 0.001)
        #expect(abs(attempts[1].at.timeIntervalSince(later)) < 0.001)

        let toB = receiver.requests.filter { $0.path == "/hooks/b" }
        #expect(toB.count == 2)
        #expect(toB.map { $0.values("Idempotency-Key") } == [["agenda:b"], ["agenda:b"]])
        #expect(toB.map { $0.values("X-Relais-Delivery") } == [[String(retried.id)], [String(retried.id)]])
        #expect(toB.map { $0.values("X-Which") } == [["b"], ["b"]])
        let signature = try pythonHMACSHA256(key: "s3cret", message: Array(#"{"event":"b"}"#.utf8))
        #expect(toB.map { $0.values("X-Relais-Signature") } == [[signature], [signature]])
        #expect(receiver.requests.count == 4)
    }
}

/// Hundreds of batches in a row, each to a receiver shut down right after it answers. Its
/// own suite, for a longer time limit than the other webhook tests: on a loaded 2-core CI
/// machine the batches take several times what they take here (about 4 s).
@Suite("Webhook channel: receivers shut down right after answering", .timeLimit(.minutes(5)))
struct WebhookChannelShutdownRaceTests {
    /// A receiver that shuts down, closing its kept-alive connections, as soon as it has
    /// answered (a server being restarted, say) once made AsyncHTTPClient trap: with
    /// requests and connections on different event loops, the client could mark a
    /// connection idle after its pool had already dropped it as closed. Each channel now
    /// has one event loop of its own. The race is narrow: before the fix, 900 such batches
    /// (six workers) brought the process down in two runs of five; after it, in none of
    /// twelve. These 600 catch it less often; when they do, the test process dies.
    @Test(arguments: 0..<4)
    func aReceiverShutDownRightAfterAnsweringNeverBringsTheProcessDown(worker: Int) throws {
        let channel = WebhookChannel(timeout: 2, secrets: WebhookSecrets([:]))
        for round in 0..<150 {
            let receiver = try WebhookTestReceiver()
            let batch = (1...3).map {
                webhookDelivery(id: Int64($0), url: receiver.url("/\($0)"), key: "w\(worker)-r\(round)-\($0)")
            }
            let results = channel.send(batch)
            receiver.shutdown()
            #expect(results == Array(repeating: .delivered("HTTP 200"), count: 3), "round \(round)")
        }
    }
}

// MARK: - Helpers

/// A webhook delivery, as the outbox would hand it to the channel.
private func webhookDelivery(
    id: Int64, url: String, body: String = #"{"ok":true}"#, key: String = "key-1", origin: String = "agenda",
    headers: [DeliveryRequest.Header] = []
) -> Delivery {
    let now = Date()
    return Delivery(
        id: id,
        request: DeliveryRequest(channel: "webhook", recipient: url, body: body, headers: headers, key: key, origin: origin),
        status: .pending, attempts: 0, createdAt: now, nextAttemptAt: now, deliveredAt: nil, lastError: nil)
}

/// Secrets by "owner/name", remembering what was asked.
private final class WebhookSecrets: SecretSource, @unchecked Sendable {
    private let lock = NSLock()
    private let secrets: [String: String]
    private var asked: Set<String> = []

    init(_ secrets: [String: String]) { self.secrets = secrets }

    func secret(owner: String, name: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        asked.insert("\(owner)/\(name)")
        return secrets["\(owner)/\(name)"]
    }

    var askedFor: Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return asked
    }
}

/// Runs `body` and returns its result with the seconds it took.
private func timed<T>(_ body: () throws -> T) rethrows -> (T, TimeInterval) {
    let start = Date()
    let result = try body()
    return (result, Date().timeIntervalSince(start))
}

/// "sha256=" + the hex HMAC-SHA256 of `message` with `key`, computed by Python's `hmac`.
private func pythonHMACSHA256(key: String, message: [UInt8]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "python3", "-c",
        "import hmac, hashlib, sys; "
            + "print('sha256=' + hmac.new(sys.argv[1].encode('utf-8'), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
        key,
    ]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(message))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "python3 failed")
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
