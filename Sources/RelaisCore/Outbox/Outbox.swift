import Foundation

/// A notification a plugin asked for (`relais.notify{…}`), before it is queued.
public struct DeliveryRequest: Hashable, Sendable {
    /// About how many bytes it holds: what bounds the deliveries a host keeps in memory
    /// before they are queued.
    public var byteCount: Int {
        recipient.utf8.count + (subject?.utf8.count ?? 0) + body.utf8.count + (html?.utf8.count ?? 0) + key.utf8.count
            + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
    }

    /// `webhook`, `sendmail` or `file`.
    public var channel: String
    /// Where it goes: a URL for a webhook, addresses for sendmail, a file name for file.
    public var recipient: String
    public var subject: String?
    /// The body: JSON for a webhook, the plain text of an e-mail, the file's content.
    public var body: String
    /// An HTML part for e-mail (sent as multipart/alternative with `body`).
    public var html: String?
    /// Extra headers (HTTP or e-mail), in the order given.
    public var headers: [Header]
    /// Unique in the outbox: queueing the same key twice queues one delivery.
    public var key: String
    /// The plugin (or `relais run` script) that asked for it.
    public var origin: String
    /// The change it answers, if it came from a change handler.
    public var changeSequence: Int64?

    /// One header line.
    public struct Header: Hashable, Sendable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        channel: String, recipient: String, subject: String? = nil, body: String, html: String? = nil,
        headers: [Header] = [], key: String, origin: String, changeSequence: Int64? = nil
    ) {
        self.channel = channel
        self.recipient = recipient
        self.subject = subject
        self.body = body
        self.html = html
        self.headers = headers
        self.key = key
        self.origin = origin
        self.changeSequence = changeSequence
    }
}

extension DeliveryRequest {
    /// The recipient as listings and errors show it: a webhook URL without its user
    /// information and query, which often carry a token (`…/hooks?token=…`), and with
    /// references to secrets shown by name (`‹secret:webhook-url›`).
    public var displayedRecipient: String {
        let shown = SecretReference.shown(recipient)
        guard channel == "webhook", var components = URLComponents(string: shown) else { return shown }
        let hidden = components.query != nil || components.user != nil || components.password != nil
        guard hidden else { return shown }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return (components.string ?? "") + "?…"
    }
}

/// Where a queued delivery stands.
public enum DeliveryStatus: String, CaseIterable, Sendable {
    /// Waiting for its next attempt (the first, or a retry).
    case pending
    /// Sent: the receiver accepted it.
    case delivered
    /// Given up: a permanent refusal, or retries exhausted. `relais outbox retry` revives it.
    case dead
}

/// A delivery in the outbox.
public struct Delivery: Hashable, Sendable {
    public var id: Int64
    public var request: DeliveryRequest
    public var status: DeliveryStatus
    /// How many attempts were made.
    public var attempts: Int
    public var createdAt: Date
    /// When it is due (pending), or when it was delivered or given up.
    public var nextAttemptAt: Date
    public var deliveredAt: Date?
    /// The last attempt's error, short.
    public var lastError: String?

    public init(
        id: Int64, request: DeliveryRequest, status: DeliveryStatus, attempts: Int, createdAt: Date,
        nextAttemptAt: Date, deliveredAt: Date?, lastError: String?
    ) {
        self.id = id
        self.request = request
        self.status = status
        self.attempts = attempts
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
        self.lastError = lastError
    }
}

/// One attempt at a delivery, as `relais outbox show` lists it.
public struct DeliveryAttempt: Hashable, Sendable {
    /// What became of an attempt.
    public enum Outcome: String, Sendable {
        case delivered
        /// Failed; it will be tried again.
        case retry
        /// Failed for good (a permanent refusal, or the last retry).
        case dead
    }

    public var at: Date
    public var outcome: Outcome
    /// A short description: the HTTP status, the command's exit status, the error.
    public var detail: String

    public init(at: Date, outcome: Outcome, detail: String) {
        self.at = at
        self.outcome = outcome
        self.detail = detail
    }
}

/// An attempt to record, with where it leaves its delivery.
public struct AttemptRecord: Hashable, Sendable {
    public var id: Int64
    public var attempt: DeliveryAttempt
    public var status: DeliveryStatus
    public var nextAttemptAt: Date

    public init(id: Int64, attempt: DeliveryAttempt, status: DeliveryStatus, nextAttemptAt: Date) {
        self.id = id
        self.attempt = attempt
        self.status = status
        self.nextAttemptAt = nextAttemptAt
    }
}

/// Where a plugin's change handlers stand in the change log.
public struct HandlerPosition: Hashable, Sendable {
    public var plugin: String
    /// Every change up to this sequence has been handled (its deliveries queued).
    public var sequence: Int64
    /// The change the handlers last failed on, if the last run failed, and why.
    public var failedSequence: Int64?
    public var failure: String?
    public var failedAt: Date?

    public init(plugin: String, sequence: Int64, failedSequence: Int64? = nil, failure: String? = nil, failedAt: Date? = nil) {
        self.plugin = plugin
        self.sequence = sequence
        self.failedSequence = failedSequence
        self.failure = failure
        self.failedAt = failedAt
    }
}

/// The outbox and the handlers' cursors, kept in the catalogue's own database so that a
/// queued delivery commits with whatever caused it, and nothing is lost in a crash.
///
/// Implemented by `RelaisStorage`; any store that can run a transaction can implement it.
public protocol OutboxStore: AnyObject {
    /// The sequence of the last change recorded, 0 when none.
    func lastChangeSequence() throws -> Int64

    /// Where `plugin`'s handlers stand. A plugin seen for the first time starts at the end
    /// of the change log as it is now (it is not sent the history of the catalogue).
    func handlerPosition(plugin: String) throws -> HandlerPosition

    /// Starts every plugin in `plugins` not yet known at the end of the change log, so that
    /// an import that follows is handled for them even if the process dies before the
    /// handlers run.
    func registerHandlers(plugins: [String]) throws

    /// In one transaction: queues `deliveries` (a key already queued is skipped) and moves
    /// `plugin`'s cursor to `sequence`, clearing any failure. Returns how many were queued.
    @discardableResult
    func commitHandled(plugin: String, through sequence: Int64, deliveries: [DeliveryRequest]) throws -> Int

    /// Records that `plugin`'s handlers failed on change `sequence` (the cursor stays).
    func recordHandlerFailure(plugin: String, sequence: Int64, message: String, at: Date) throws

    /// Every plugin's position, by plugin id.
    func handlerPositions() throws -> [HandlerPosition]

    /// Queues deliveries outside change handling (digests, scripts); keys already queued
    /// are skipped. Returns how many were queued.
    @discardableResult
    func queue(_ deliveries: [DeliveryRequest], at: Date) throws -> Int

    /// Takes up to `limit` pending deliveries due by `dueBy` that no lease live at `now`
    /// holds, leasing them to `worker` until `now + lease`: two workers never get the same
    /// one, and a worker that dies lets go when its lease ends.
    func claimDue(dueBy: Date, now: Date, lease: TimeInterval, worker: String, limit: Int) throws -> [Delivery]

    /// Extends `worker`'s leases on `ids` to `until`, and returns the ids it still holds
    /// (a lease that ran out may have been taken over by another worker).
    func renewLeases(ids: [Int64], worker: String, until: Date) throws -> Set<Int64>

    /// Records an attempt of a delivery claimed by `worker` and releases it: delivered, due
    /// again at `nextAttemptAt`, or dead. Returns false when the lease was lost (another
    /// worker took the delivery over), in which case nothing is written.
    @discardableResult
    func recordAttempt(
        id: Int64, worker: String, attempt: DeliveryAttempt, status: DeliveryStatus, nextAttemptAt: Date
    ) throws -> Bool

    /// Records several attempts of deliveries claimed by `worker` in one transaction (one
    /// disk sync for a whole batch). Returns, for each, whether it was recorded (false:
    /// the lease was lost, nothing written for it).
    func recordAttempts(_ records: [AttemptRecord], worker: String) throws -> [Bool]

    /// Deliveries, newest first, optionally with one status.
    func deliveries(status: DeliveryStatus?, limit: Int) throws -> [Delivery]

    /// One delivery and its attempts, oldest first.
    func delivery(id: Int64) throws -> (Delivery, [DeliveryAttempt])?

    /// Makes a dead delivery pending and due at `now`, its retry schedule starting over, or
    /// a pending one due at `now`. Returns false when there is no such delivery, when it
    /// was delivered, or while a worker holds it.
    func retry(id: Int64, now: Date) throws -> Bool

    /// Deletes delivered deliveries delivered before `date`, with their attempts.
    func purgeDelivered(before date: Date) throws -> Int
}

extension OutboxStore {
    /// Takes up to `limit` deliveries due at `now` (see ``claimDue(dueBy:now:lease:worker:limit:)``).
    public func claimDue(now: Date, lease: TimeInterval, worker: String, limit: Int) throws -> [Delivery] {
        try claimDue(dueBy: now, now: now, lease: lease, worker: worker, limit: limit)
    }
}

/// Where plugins' secrets live (webhook signing keys, tokens): outside plugin code, in the
/// environment or a configuration file. A plugin reads only its own.
public protocol SecretSource: AnyObject, Sendable {
    /// The secret `name` of plugin (or script) `owner`, or nil.
    func secret(owner: String, name: String) -> String?
}
