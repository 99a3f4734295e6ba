import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import RelaisCore

/// POSTs each delivery's body (JSON) to its URL, with
/// - `Idempotency-Key`: the delivery key, the same on every retry, so a receiver can drop
///   a duplicate;
/// - `X-Relais-Signature: sha256=<hex>`: HMAC-SHA256 of the body with the plugin's secret
///   `webhook` (when it has one), so a receiver can check it came from Relais;
/// - `User-Agent: relais/0.1`, `Content-Type: application/json`, and the plugin's headers.
///
/// Redirects are not followed (a webhook that moved must be reconfigured, not chased);
/// each request has a deadline; response bodies are read but not kept. A 2xx is delivered;
/// 408, 429 (honouring `Retry-After`), 5xx and network failures are retried; any other
/// status is a refusal. The batch is sent concurrently.
public final class WebhookChannel: DeliveryChannel {
    private let client: HTTPClient
    /// One event-loop thread of the channel's own. A request's bookkeeping and its connection
    /// then run on the same thread, in order: with the shared group's several loops, a reply
    /// that arrived before the client had marked its request sent could make
    /// AsyncHTTPClient 1.37 release a connection its pool had already dropped, and trap.
    /// (`WebhookChannelShutdownRaceTests` says whether a later version still needs it.)
    private let eventLoops: MultiThreadedEventLoopGroup
    private let timeout: TimeInterval
    private let secrets: any SecretSource

    public static let userAgent = "relais/0.1"

    public init(timeout: TimeInterval, secrets: any SecretSource) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .milliseconds(Int64(min(timeout, 30) * 1000)), read: .milliseconds(Int64(timeout * 1000))))
        configuration.decompression = .disabled
        eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        client = HTTPClient(eventLoopGroup: eventLoops, configuration: configuration)
        self.timeout = timeout
        self.secrets = secrets
    }

    deinit {
        try? client.syncShutdown()
        try? eventLoops.syncShutdownGracefully()
    }

    /// The batch goes out at once, every request under the same deadline.
    public func longestTime(toSend count: Int) -> TimeInterval {
        timeout + 1
    }

    /// The signature header's value for `body` signed with `secret`.
    public static func signature(of body: String, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    public func send(_ deliveries: [Delivery]) -> [DeliveryResult] {
        // Start every request, then wait for each: the batch goes out concurrently.
        let started: [Result<HTTPClient.Task<StatusCollector.Outcome>, any Error>] = deliveries.map { delivery in
            Result { try start(delivery) }
        }
        return zip(deliveries, started).map { delivery, task in
            switch task {
            case .failure(let error):
                return .refused("cannot send to \(delivery.request.displayedRecipient): \(error)")
            case .success(let task):
                do {
                    return Self.result(of: try task.futureResult.wait())
                } catch {
                    return .failed(Self.describe(error, timeout: timeout), retryAfter: nil)
                }
            }
        }
    }

    private func start(_ delivery: Delivery) throws -> HTTPClient.Task<StatusCollector.Outcome> {
        let request = delivery.request
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "User-Agent", value: Self.userAgent)
        headers.add(name: "Idempotency-Key", value: request.key)
        headers.add(name: "X-Relais-Delivery", value: String(delivery.id))
        if let secret = secrets.secret(owner: request.origin, name: "webhook") {
            headers.add(name: "X-Relais-Signature", value: Self.signature(of: request.body, secret: secret))
        }
        for extra in request.headers where !Self.reserved.contains(extra.name.lowercased()) {
            headers.add(name: extra.name, value: extra.value)
        }
        let httpRequest = try HTTPClient.Request(
            url: request.recipient, method: .POST, headers: headers, body: .string(request.body))
        return client.execute(
            request: httpRequest, delegate: StatusCollector(),
            deadline: .now() + .milliseconds(Int64(timeout * 1000)))
    }

    /// Headers Relais sets itself.
    private static let reserved: Set<String> = [
        "content-type", "user-agent", "idempotency-key", "x-relais-delivery", "x-relais-signature", "content-length",
        "host", "transfer-encoding",
    ]

    static func result(of outcome: StatusCollector.Outcome) -> DeliveryResult {
        let code = outcome.status
        let detail = "HTTP \(code)"
        switch code {
        case 200..<300:
            return .delivered(detail)
        case 408, 500..<600:
            return .failed(detail, retryAfter: nil)
        case 429:
            return .failed(detail, retryAfter: outcome.retryAfter.flatMap(retryAfterSeconds))
        case 300..<400:
            return .refused(detail + " (redirects are not followed" + (outcome.location.map { ": \($0)" } ?? "") + ")")
        default:
            return .refused(detail)
        }
    }

    /// `Retry-After` as seconds: a number, or an HTTP date.
    static func retryAfterSeconds(_ value: String) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = TimeInterval(trimmed), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }

    static func describe(_ error: any Error, timeout: TimeInterval) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                let seconds = timeout == timeout.rounded() ? String(Int(timeout)) : String(timeout)
                return "no answer within \(seconds) s"
            }
            return "HTTP client: \(error)"
        }
        return String(describing: error).prefix(200).description
    }
}

/// Keeps the status line and the headers a retry needs; reads the body without keeping it,
/// so a large or endless answer costs no memory.
final class StatusCollector: HTTPClientResponseDelegate, @unchecked Sendable {
    struct Outcome: Sendable {
        var status: Int
        var retryAfter: String?
        var location: String?
    }

    private var outcome = Outcome(status: 0)

    func didReceiveHead(task: HTTPClient.Task<Outcome>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        outcome.status = Int(head.status.code)
        outcome.retryAfter = head.headers.first(name: "Retry-After")
        outcome.location = head.headers.first(name: "Location").map { String($0.prefix(200)) }
        return task.eventLoop.makeSucceededFuture(())
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Outcome>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        task.eventLoop.makeSucceededFuture(())
    }

    func didFinishRequest(task: HTTPClient.Task<Outcome>) throws -> Outcome {
        outcome
    }
}
