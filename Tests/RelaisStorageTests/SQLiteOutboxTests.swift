import Foundation
import GRDB
import RelaisCore
import RelaisStorage
import Testing

/// The outbox and the handlers' cursors of `SQLiteCatalogue` (its `OutboxStore`
/// conformance, tables of schema `v2`): queueing without duplicates, cursors in the change
/// log, leases that keep two workers (two connections, as two processes) from sending one
/// delivery twice, attempts, retry and purge, listings, and files of an older build.
@Suite struct SQLiteOutboxTests {
    /// A whole second, so that dates stored as seconds since 1970 read back equal.
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    /// A delivery request with defaults, so that each test states only what it is about.
    func request(
        _ key: String, channel: String = "webhook", recipient: String = "https://example.org/hook",
        subject: String? = nil, body: String = "{}", html: String? = nil, headers: [DeliveryRequest.Header] = [],
        origin: String = "plugin.test", changeSequence: Int64? = nil
    ) -> DeliveryRequest {
        DeliveryRequest(
            channel: channel, recipient: recipient, subject: subject, body: body, html: html, headers: headers,
            key: key, origin: origin, changeSequence: changeSequence)
    }

    /// A fresh catalogue in `folder`.
    func openCatalogue(_ folder: ScratchFolder, _ name: String = "catalogue.sqlite") throws -> SQLiteCatalogue {
        try SQLiteCatalogue(path: folder.path(name))
    }

    /// Every delivery, newest first.
    func allDeliveries(_ catalogue: SQLiteCatalogue) throws -> [Delivery] {
        try catalogue.deliveries(status: nil, limit: 100_000)
    }

    /// The id of the delivery queued with `key`.
    func id(of key: String, in catalogue: SQLiteCatalogue) throws -> Int64 {
        try #require(try allDeliveries(catalogue).first { $0.request.key == key }).id
    }

    /// The delivery `id` and its attempts, which must exist.
    func stored(_ id: Int64, in catalogue: SQLiteCatalogue) throws -> (Delivery, [DeliveryAttempt]) {
        try #require(try catalogue.delivery(id: id))
    }

    /// The position of `plugin` as `handlerPositions()` lists it.
    func listedPosition(_ plugin: String, in catalogue: SQLiteCatalogue) throws -> HandlerPosition? {
        try catalogue.handlerPositions().first { $0.plugin == plugin }
    }

    // MARK: - Queueing

    @Test func queueingSkipsKeysAlreadyQueuedAndCountsWhatItQueued() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        #expect(try catalogue.queue([], at: Self.t0) == 0)

        // The same key twice in one call: the first one is queued, once.
        let queued = try catalogue.queue(
            [request("a", body: "first"), request("b"), request("a", body: "second")], at: Self.t0)
        #expect(queued == 2)
        // Across calls: only the new key is queued, and the stored one is not replaced.
        #expect(try catalogue.queue([request("a", body: "third"), request("c")], at: Self.t0) == 1)
        #expect(try catalogue.queue([request("b"), request("c")], at: Self.t0) == 0)

        let deliveries = try allDeliveries(catalogue)
        #expect(deliveries.map(\.request.key) == ["c", "b", "a"])
        #expect(deliveries.last?.request.body == "first")
        #expect(Set(deliveries.map(\.id)).count == 3)
    }

    @Test func everyFieldRoundTrips() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        let rich = request(
            "rich-1", channel: "sendmail", recipient: "équipe@example.org, \"Zoé\" <zoe@example.org>",
            subject: "Réunion « numérique » \"urgente\" \\ fin", body: "Bonjour,\n\tl’atelier a changé.\n\\n n’est pas un saut",
            html: "<p class=\"x\">Été \\ 🎉</p>",
            headers: [
                .init(name: "X-Quote", value: "il a dit \"bonjour\""),
                .init(name: "X-Accent", value: "café crème, œuvre"),
                .init(name: "X-Back\\slash", value: "C:\\temp\\\"fin\""),
                .init(name: "Content-Type", value: "text/plain; charset=utf-8"),
                .init(name: "X-Empty", value: ""),
                .init(name: "X-Quote", value: "repeated name, kept in order"),
            ],
            origin: "plugin.alertes-région", changeSequence: 42)
        let plain = request("plain-2", origin: "script.digest")
        #expect(try catalogue.queue([rich, plain], at: Self.t0) == 2)

        let richID = try id(of: "rich-1", in: catalogue)
        let plainID = try id(of: "plain-2", in: catalogue)
        let expectedRich = Delivery(
            id: richID, request: rich, status: .pending, attempts: 0, createdAt: Self.t0, nextAttemptAt: Self.t0,
            deliveredAt: nil, lastError: nil)
        let expectedPlain = Delivery(
            id: plainID, request: plain, status: .pending, attempts: 0, createdAt: Self.t0, nextAttemptAt: Self.t0,
            deliveredAt: nil, lastError: nil)

        let (readRich, richAttempts) = try stored(richID, in: catalogue)
        #expect(readRich == expectedRich)
        #expect(readRich.request.headers.map(\.name) == rich.headers.map(\.name))
        #expect(richAttempts.isEmpty)
        let (readPlain, plainAttempts) = try stored(plainID, in: catalogue)
        #expect(readPlain == expectedPlain)
        #expect(readPlain.request.subject == nil && readPlain.request.html == nil)
        #expect(readPlain.request.headers.isEmpty && readPlain.request.changeSequence == nil)
        #expect(plainAttempts.isEmpty)

        #expect(try catalogue.deliveries(status: .pending, limit: 10) == [expectedPlain, expectedRich])
        #expect(try catalogue.delivery(id: plainID + 1000) == nil)
    }

    // MARK: - Handler cursors

    @Test func aNewPluginStartsAtTheEndOfTheChangeLog() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        #expect(try catalogue.lastChangeSequence() == 0)
        #expect(try catalogue.handlerPosition(plugin: "early").sequence == 0)

        try importEvents(try syntheticEvents(12), into: catalogue)
        let last = try catalogue.lastChangeSequence()
        #expect(last == 12)
        let position = try catalogue.handlerPosition(plugin: "fresh")
        #expect(position == HandlerPosition(plugin: "fresh", sequence: last))
        // A known plugin keeps its position.
        #expect(try catalogue.handlerPosition(plugin: "early").sequence == 0)

        // Asking again after another import does not move it.
        try importEvents(try syntheticEvents(3, idPrefix: "more"), into: catalogue)
        #expect(try catalogue.lastChangeSequence() == last + 3)
        #expect(try catalogue.handlerPosition(plugin: "fresh").sequence == last)
        #expect(try catalogue.handlerPositions().map(\.plugin) == ["early", "fresh"])
    }

    @Test func pluginsRegisteredBeforeAnImportAreHandedItsChanges() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        try importEvents(try syntheticEvents(5), into: catalogue)
        let before = try catalogue.lastChangeSequence()
        try #require(before > 0)

        try catalogue.registerHandlers(plugins: [])
        try catalogue.registerHandlers(plugins: ["alpha", "beta"])
        try importEvents(try syntheticEvents(4, idPrefix: "new"), into: catalogue)
        let after = try catalogue.lastChangeSequence()
        #expect(after == before + 4)

        #expect(try catalogue.handlerPosition(plugin: "alpha").sequence == before)
        #expect(try catalogue.handlerPosition(plugin: "beta").sequence == before)
        // Registering again does not move a known plugin to the end.
        try catalogue.registerHandlers(plugins: ["alpha", "gamma"])
        #expect(try catalogue.handlerPosition(plugin: "alpha").sequence == before)
        #expect(try catalogue.handlerPosition(plugin: "gamma").sequence == after)
        #expect(try catalogue.handlerPositions().map(\.sequence) == [before, before, after])
    }

    @Test func commitHandledQueuesAndMovesTheCursorTogether() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        try importEvents(try syntheticEvents(10), into: catalogue)
        try catalogue.registerHandlers(plugins: ["alerte"])
        try importEvents(try syntheticEvents(6, idPrefix: "new"), into: catalogue)
        let last = try catalogue.lastChangeSequence()

        let queued = try catalogue.commitHandled(
            plugin: "alerte", through: last,
            deliveries: [
                request("alerte-11", origin: "alerte", changeSequence: 11),
                request("alerte-12", origin: "alerte", changeSequence: 12),
                request("alerte-11", origin: "alerte", changeSequence: 11),
            ])
        #expect(queued == 2)
        #expect(try catalogue.handlerPosition(plugin: "alerte").sequence == last)
        let deliveries = try allDeliveries(catalogue)
        #expect(deliveries.map(\.request.key) == ["alerte-12", "alerte-11"])
        #expect(deliveries.map(\.request.changeSequence) == [12, 11])
        #expect(deliveries.allSatisfy { $0.status == .pending && $0.request.origin == "alerte" })

        // Never backwards: an older sequence keeps the cursor, but still queues.
        #expect(try catalogue.commitHandled(plugin: "alerte", through: 3, deliveries: [request("late")]) == 1)
        #expect(try catalogue.handlerPosition(plugin: "alerte").sequence == last)
        #expect(try allDeliveries(catalogue).count == 3)

        // A plugin not seen before starts where it says.
        #expect(try catalogue.commitHandled(plugin: "other", through: 7, deliveries: []) == 0)
        #expect(try catalogue.handlerPosition(plugin: "other").sequence == 7)
    }

    @Test func commitHandledIsOneTransaction() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        try importEvents(try syntheticEvents(4), into: catalogue)
        try catalogue.registerHandlers(plugins: ["broken"])
        let start = try catalogue.handlerPosition(plugin: "broken").sequence
        // Make the cursor's update fail after the deliveries were inserted.
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(
                    sql: """
                        CREATE TRIGGER refuse_insert BEFORE INSERT ON handler_cursors WHEN NEW.plugin = 'broken'
                        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
                        CREATE TRIGGER refuse_update BEFORE UPDATE ON handler_cursors WHEN NEW.plugin = 'broken'
                        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
                        """)
            }
        }
        #expect(throws: (any Error).self) {
            try catalogue.commitHandled(
                plugin: "broken", through: start + 100, deliveries: [request("lost-1"), request("lost-2")])
        }
        // Neither effect happened.
        #expect(try allDeliveries(catalogue).isEmpty)
        // (Read without `handlerPosition`, which itself inserts and would fire the trigger.)
        #expect(try listedPosition("broken", in: catalogue) == HandlerPosition(plugin: "broken", sequence: start))
        // And the catalogue is usable afterwards.
        #expect(try catalogue.commitHandled(plugin: "sound", through: 2, deliveries: [request("kept")]) == 1)
        #expect(try allDeliveries(catalogue).map(\.request.key) == ["kept"])
    }

    @Test func aFailureKeepsTheCursorUntilTheNextCommit() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        try importEvents(try syntheticEvents(8), into: catalogue)
        try catalogue.commitHandled(plugin: "alerte", through: 5, deliveries: [])
        let failedAt = Self.t0.addingTimeInterval(90)

        try catalogue.recordHandlerFailure(
            plugin: "alerte", sequence: 6, message: "attempt to index a nil value (« lieu »)", at: failedAt)
        let failed = try #require(try listedPosition("alerte", in: catalogue))
        #expect(
            failed
                == HandlerPosition(
                    plugin: "alerte", sequence: 5, failedSequence: 6,
                    failure: "attempt to index a nil value (« lieu »)", failedAt: failedAt))
        #expect(try catalogue.handlerPosition(plugin: "alerte") == failed)

        // A later commit clears the failure and moves on.
        try catalogue.commitHandled(plugin: "alerte", through: 8, deliveries: [])
        #expect(try listedPosition("alerte", in: catalogue) == HandlerPosition(plugin: "alerte", sequence: 8))

        // Even a commit that does not move the cursor clears it.
        try catalogue.recordHandlerFailure(plugin: "alerte", sequence: 9, message: "boom", at: failedAt)
        try catalogue.commitHandled(plugin: "alerte", through: 4, deliveries: [])
        #expect(try listedPosition("alerte", in: catalogue) == HandlerPosition(plugin: "alerte", sequence: 8))

        // A plugin failing before it was ever seen starts at the end of the log.
        try catalogue.recordHandlerFailure(plugin: "new", sequence: 9, message: "syntax error", at: failedAt)
        let new = try #require(try listedPosition("new", in: catalogue))
        #expect(new.sequence == (try catalogue.lastChangeSequence()))
        #expect(new.failedSequence == 9 && new.failure == "syntax error" && new.failedAt == failedAt)
    }

    // MARK: - Claiming

    @Test func claimDueTakesPendingDueDeliveriesInOrder() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        let t0 = Self.t0
        // Queued out of due order; two share a due time and go by id.
        try catalogue.queue([request("due-30")], at: t0.addingTimeInterval(30))
        try catalogue.queue([request("due-10-a"), request("due-10-b")], at: t0.addingTimeInterval(10))
        try catalogue.queue([request("later")], at: t0.addingTimeInterval(100))
        try catalogue.queue([request("due-20")], at: t0.addingTimeInterval(20))
        let now = t0.addingTimeInterval(50)

        #expect(try catalogue.claimDue(now: now, lease: 60, worker: "w", limit: 0).isEmpty)
        let firstTwo = try catalogue.claimDue(now: now, lease: 60, worker: "w1", limit: 2)
        #expect(firstTwo.map(\.request.key) == ["due-10-a", "due-10-b"])
        #expect(firstTwo.allSatisfy { $0.status == .pending && $0.attempts == 0 })
        let rest = try catalogue.claimDue(now: now, lease: 60, worker: "w2", limit: 10)
        #expect(rest.map(\.request.key) == ["due-20", "due-30"])
        #expect(try catalogue.claimDue(now: now, lease: 60, worker: "w3", limit: 10).isEmpty)
        // The one not yet due is due at its time.
        let later = try catalogue.claimDue(now: t0.addingTimeInterval(100), lease: 60, worker: "w3", limit: 10)
        #expect(later.map(\.request.key) == ["later"])
    }

    @Test func aLeaseKeepsOtherWorkersAwayUntilItEnds() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        try catalogue.queue([request("one")], at: Self.t0)
        let claimed = try catalogue.claimDue(now: Self.t0, lease: 60, worker: "w1", limit: 5)
        #expect(claimed.map(\.request.key) == ["one"])
        #expect(try catalogue.claimDue(now: Self.t0, lease: 60, worker: "w2", limit: 5).isEmpty)
        #expect(try catalogue.claimDue(now: Self.t0.addingTimeInterval(59), lease: 60, worker: "w2", limit: 5).isEmpty)
        // The same worker does not get it twice either while it holds it.
        #expect(try catalogue.claimDue(now: Self.t0.addingTimeInterval(30), lease: 60, worker: "w1", limit: 5).isEmpty)

        let takenOver = try catalogue.claimDue(now: Self.t0.addingTimeInterval(61), lease: 60, worker: "w2", limit: 5)
        #expect(takenOver.map(\.id) == claimed.map(\.id))
        // Its new lease counts from the takeover.
        #expect(try catalogue.claimDue(now: Self.t0.addingTimeInterval(100), lease: 60, worker: "w1", limit: 5).isEmpty)
    }

    /// Holds a catalogue for one thread at a time (the test waits while the thread runs).
    final class CatalogueForThread: @unchecked Sendable {
        let catalogue: SQLiteCatalogue
        let worker: String
        init(_ catalogue: SQLiteCatalogue, worker: String) {
            self.catalogue = catalogue
            self.worker = worker
        }
    }

    @Test func twoConnectionsClaimingAtOnceNeverShareADelivery() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let workers = [
            CatalogueForThread(try SQLiteCatalogue(path: path), worker: "process-1"),
            CatalogueForThread(try SQLiteCatalogue(path: path), worker: "process-2"),
        ]
        let claims = Locked<[Int64]>([])
        let claimsByWorker = Locked<[String: Int]>([:])
        let failures = Locked<[String]>([])
        let rounds = 25
        let perRound = 20
        for round in 0..<rounds {
            let now = Self.t0.addingTimeInterval(Double(round))
            let queued = try workers[0].catalogue.queue(
                (0..<perRound).map { request("round-\(round)-\($0)") }, at: now)
            try #require(queued == perRound)

            let group = DispatchGroup()
            let start = DispatchSemaphore(value: 0)
            for (index, worker) in workers.enumerated() {
                DispatchQueue.global().async(group: group) {
                    start.wait()
                    var batch = 0
                    do {
                        while true {
                            // Small, varied batches so that the two interleave.
                            let limit = 1 + (batch + index) % 3
                            batch += 1
                            let claimed = try worker.catalogue.claimDue(
                                now: now, lease: 3_600, worker: worker.worker, limit: limit)
                            if claimed.isEmpty { break }
                            claims.withValue { $0 += claimed.map(\.id) }
                            claimsByWorker.withValue { $0[worker.worker, default: 0] += claimed.count }
                            // A moment between claims, as a worker sending them would take,
                            // lets the other connection's busy wait get the lock in between.
                            usleep(3_000)
                        }
                    } catch {
                        failures.withValue { $0.append("\(worker.worker): \(error)") }
                    }
                }
            }
            start.signal()
            start.signal()
            try #require(group.wait(timeout: .now() + 60) == .success, "round \(round) did not finish")
            try #require(failures.current.isEmpty, "\(failures.current)")
        }

        let claimed = claims.current
        let queuedIDs = try workers[1].catalogue.deliveries(status: .pending, limit: 10_000).map(\.id)
        #expect(queuedIDs.count == rounds * perRound)
        #expect(claimed.count == rounds * perRound, "claimed \(claimed.count), by worker \(claimsByWorker.current)")
        #expect(Set(claimed).count == claimed.count, "a delivery was claimed twice")
        #expect(Set(claimed) == Set(queuedIDs))
        // Nothing is left to claim while the leases last.
        let late = Self.t0.addingTimeInterval(Double(rounds))
        #expect(try workers[1].catalogue.claimDue(now: late, lease: 60, worker: "third", limit: 100).isEmpty)
    }

    // MARK: - Attempts

    @Test func theLeaseOwnerRecordsAttempts() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        try catalogue.queue([request("d", body: "hello")], at: Self.t0)
        let id = try id(of: "d", in: catalogue)

        // First attempt: a retry, due again later.
        let t1 = Self.t0.addingTimeInterval(1)
        let retryAt = Self.t0.addingTimeInterval(300)
        #expect(try catalogue.claimDue(now: t1, lease: 60, worker: "w1", limit: 1).map(\.id) == [id])
        let first = DeliveryAttempt(at: t1, outcome: .retry, detail: "HTTP 503")
        #expect(try catalogue.recordAttempt(id: id, worker: "w1", attempt: first, status: .pending, nextAttemptAt: retryAt))
        var (delivery, attempts) = try stored(id, in: catalogue)
        #expect(delivery.status == .pending)
        #expect(delivery.attempts == 1)
        #expect(delivery.nextAttemptAt == retryAt)
        #expect(delivery.deliveredAt == nil)
        #expect(delivery.lastError == "HTTP 503")
        #expect(delivery.createdAt == Self.t0)
        #expect(attempts == [first])
        // Released, but not due before its next attempt.
        #expect(try catalogue.claimDue(now: retryAt.addingTimeInterval(-1), lease: 60, worker: "w2", limit: 1).isEmpty)

        // Second attempt, by another worker once due: delivered.
        let t2 = retryAt.addingTimeInterval(2)
        #expect(try catalogue.claimDue(now: retryAt, lease: 60, worker: "w2", limit: 1).map(\.id) == [id])
        let second = DeliveryAttempt(at: t2, outcome: .delivered, detail: "HTTP 200")
        #expect(try catalogue.recordAttempt(id: id, worker: "w2", attempt: second, status: .delivered, nextAttemptAt: t2))
        (delivery, attempts) = try stored(id, in: catalogue)
        #expect(delivery.status == .delivered)
        #expect(delivery.attempts == 2)
        #expect(delivery.nextAttemptAt == t2)
        #expect(delivery.deliveredAt == t2)
        #expect(delivery.lastError == nil)
        #expect(delivery.request.body == "hello")
        #expect(attempts == [first, second])

        // Delivered is never claimed again, nor recorded again.
        #expect(try catalogue.claimDue(now: t2.addingTimeInterval(10_000), lease: 60, worker: "w3", limit: 5).isEmpty)
        let extra = DeliveryAttempt(at: t2, outcome: .retry, detail: "again")
        #expect(try !catalogue.recordAttempt(id: id, worker: "w2", attempt: extra, status: .pending, nextAttemptAt: t2))
        #expect(try stored(id, in: catalogue).1 == [first, second])
    }

    @Test func aDeadDeliveryIsNoLongerClaimed() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        try catalogue.queue([request("d")], at: Self.t0)
        let id = try id(of: "d", in: catalogue)
        #expect(try catalogue.claimDue(now: Self.t0, lease: 60, worker: "w", limit: 1).map(\.id) == [id])
        let at = Self.t0.addingTimeInterval(5)
        let attempt = DeliveryAttempt(at: at, outcome: .dead, detail: "HTTP 410 Gone")
        #expect(try catalogue.recordAttempt(id: id, worker: "w", attempt: attempt, status: .dead, nextAttemptAt: at))
        let (delivery, attempts) = try stored(id, in: catalogue)
        #expect(delivery.status == .dead)
        #expect(delivery.attempts == 1)
        #expect(delivery.deliveredAt == nil)
        #expect(delivery.lastError == "HTTP 410 Gone")
        #expect(attempts == [attempt])
        #expect(try catalogue.claimDue(now: at.addingTimeInterval(86_400), lease: 60, worker: "w", limit: 5).isEmpty)
    }

    @Test func aWorkerThatLostItsLeaseWritesNothing() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        try catalogue.queue([request("d")], at: Self.t0)
        let id = try id(of: "d", in: catalogue)
        let attempt = DeliveryAttempt(at: Self.t0, outcome: .delivered, detail: "HTTP 200")

        // A worker that never claimed it.
        #expect(try !catalogue.recordAttempt(id: id, worker: "stranger", attempt: attempt, status: .delivered, nextAttemptAt: Self.t0))
        // An unknown delivery.
        #expect(try !catalogue.recordAttempt(id: id + 1, worker: "w1", attempt: attempt, status: .delivered, nextAttemptAt: Self.t0))

        // w1's lease ends and w2 takes the delivery over.
        #expect(try catalogue.claimDue(now: Self.t0, lease: 60, worker: "w1", limit: 1).map(\.id) == [id])
        let takeover = Self.t0.addingTimeInterval(61)
        #expect(try catalogue.claimDue(now: takeover, lease: 60, worker: "w2", limit: 1).map(\.id) == [id])
        let late = DeliveryAttempt(at: takeover.addingTimeInterval(1), outcome: .delivered, detail: "HTTP 200")
        #expect(try !catalogue.recordAttempt(id: id, worker: "w1", attempt: late, status: .delivered, nextAttemptAt: takeover))
        let (untouched, noAttempts) = try stored(id, in: catalogue)
        #expect(untouched.status == .pending)
        #expect(untouched.attempts == 0)
        #expect(untouched.nextAttemptAt == Self.t0)
        #expect(untouched.deliveredAt == nil && untouched.lastError == nil)
        #expect(noAttempts.isEmpty)
        // w2 still holds it: nobody else claims it, and its record goes through.
        #expect(try catalogue.claimDue(now: takeover.addingTimeInterval(30), lease: 60, worker: "w3", limit: 1).isEmpty)
        #expect(try catalogue.recordAttempt(id: id, worker: "w2", attempt: late, status: .delivered, nextAttemptAt: takeover))
        #expect(try stored(id, in: catalogue).1 == [late])
    }

    // MARK: - Retry and purge

    @Test func retryRevivesADeadDelivery() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        try catalogue.queue([request("d")], at: Self.t0)
        let id = try id(of: "d", in: catalogue)
        _ = try catalogue.claimDue(now: Self.t0, lease: 60, worker: "w", limit: 1)
        let failure = DeliveryAttempt(at: Self.t0, outcome: .dead, detail: "exit status 75")
        #expect(try catalogue.recordAttempt(id: id, worker: "w", attempt: failure, status: .dead, nextAttemptAt: Self.t0))

        let now = Self.t0.addingTimeInterval(3_600)
        #expect(try catalogue.retry(id: id, now: now))
        let revived = try stored(id, in: catalogue).0
        #expect(revived.status == .pending)
        #expect(revived.nextAttemptAt == now)
        #expect(try catalogue.claimDue(now: now.addingTimeInterval(-1), lease: 60, worker: "w", limit: 1).isEmpty)
        #expect(try catalogue.claimDue(now: now, lease: 60, worker: "w", limit: 1).map(\.id) == [id])

        #expect(try !catalogue.retry(id: id + 1_000, now: now))
        #expect(try allDeliveries(catalogue).count == 1)
        // Revived, it gets the whole retry schedule again.
        #expect(revived.attempts == 0)
    }

    @Test func retryLeavesDeliveredAndLeasedDeliveriesAlone() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        try catalogue.queue([request("sent"), request("sending")], at: Self.t0)
        let sent = try id(of: "sent", in: catalogue)
        let sending = try id(of: "sending", in: catalogue)
        #expect(try catalogue.claimDue(now: Self.t0, lease: 60, worker: "w", limit: 2).count == 2)
        let done = DeliveryAttempt(at: Self.t0, outcome: .delivered, detail: "HTTP 200")
        #expect(try catalogue.recordAttempt(id: sent, worker: "w", attempt: done, status: .delivered, nextAttemptAt: Self.t0))

        // Delivered stays delivered: sending it again is not what retry is for.
        #expect(try !catalogue.retry(id: sent, now: Self.t0.addingTimeInterval(10)))
        #expect(try stored(sent, in: catalogue).0.status == .delivered)
        // A delivery a worker is sending is not handed to another one meanwhile.
        #expect(try !catalogue.retry(id: sending, now: Self.t0.addingTimeInterval(10)))
        #expect(try catalogue.claimDue(now: Self.t0.addingTimeInterval(10), lease: 60, worker: "other", limit: 2).isEmpty)
        // Once the lease has ended, retry makes it due again.
        #expect(try catalogue.retry(id: sending, now: Self.t0.addingTimeInterval(61)))
        #expect(try catalogue.claimDue(now: Self.t0.addingTimeInterval(61), lease: 60, worker: "other", limit: 2).map(\.id) == [sending])
    }

    @Test func purgeDeletesOnlyOldDeliveredDeliveriesAndTheirAttempts() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        let keys = ["old-1", "old-2", "recent", "dead", "pending"]
        try catalogue.queue(keys.map { request($0) }, at: Self.t0)
        var ids: [String: Int64] = [:]
        for key in keys { ids[key] = try id(of: key, in: catalogue) }
        let claimed = try catalogue.claimDue(now: Self.t0, lease: 60, worker: "w", limit: 10)
        #expect(claimed.count == keys.count)

        func settle(_ key: String, at offset: TimeInterval, _ outcome: DeliveryAttempt.Outcome, _ status: DeliveryStatus)
            throws
        {
            let id = try #require(ids[key])
            let at = Self.t0.addingTimeInterval(offset)
            let recorded = try catalogue.recordAttempt(
                id: id, worker: "w", attempt: DeliveryAttempt(at: at, outcome: outcome, detail: "\(key) \(outcome)"),
                status: status, nextAttemptAt: at)
            try #require(recorded)
        }
        try settle("old-1", at: 10, .delivered, .delivered)
        try settle("old-2", at: 20, .delivered, .delivered)
        try settle("recent", at: 100, .delivered, .delivered)
        try settle("dead", at: 5, .dead, .dead)
        try settle("pending", at: 5, .retry, .pending)

        let cutoff = Self.t0.addingTimeInterval(50)
        #expect(try catalogue.purgeDelivered(before: cutoff) == 2)
        #expect(Set(try allDeliveries(catalogue).map(\.request.key)) == ["recent", "dead", "pending"])
        for key in ["old-1", "old-2"] {
            #expect(try catalogue.delivery(id: try #require(ids[key])) == nil)
        }
        for key in ["recent", "dead", "pending"] {
            #expect(try stored(try #require(ids[key]), in: catalogue).1.count == 1, "\(key)")
        }
        // The purged deliveries' attempts are gone from the file, not just hidden.
        let purgedIDs = [ids["old-1"], ids["old-2"]].compactMap { $0 }
        let orphans = try DatabaseQueue(path: path).read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM outbox_attempts WHERE delivery_id IN (?, ?)",
                arguments: StatementArguments(purgedIDs))
        }
        #expect(orphans == 0)
        #expect(try catalogue.purgeDelivered(before: cutoff) == 0)
        #expect(try catalogue.purgeDelivered(before: Self.t0.addingTimeInterval(1_000)) == 1)
        #expect(Set(try allDeliveries(catalogue).map(\.request.key)) == ["dead", "pending"])
    }

    // MARK: - Listing

    @Test func deliveriesFilterByStatusNewestFirstWithinTheLimit() throws {
        let folder = try ScratchFolder()
        let catalogue = try openCatalogue(folder)
        let keys = (1...6).map { "k\($0)" }
        try catalogue.queue(keys.map { request($0) }, at: Self.t0)
        // k2 and k5 delivered, k3 dead; the rest pending.
        _ = try catalogue.claimDue(now: Self.t0, lease: 60, worker: "w", limit: 10)
        for (key, status) in [("k2", DeliveryStatus.delivered), ("k5", .delivered), ("k3", .dead)] {
            let outcome: DeliveryAttempt.Outcome = status == .delivered ? .delivered : .dead
            let recorded = try catalogue.recordAttempt(
                id: try id(of: key, in: catalogue), worker: "w",
                attempt: DeliveryAttempt(at: Self.t0, outcome: outcome, detail: "done"), status: status,
                nextAttemptAt: Self.t0)
            try #require(recorded)
        }

        #expect(try catalogue.deliveries(status: nil, limit: 100).map(\.request.key) == keys.reversed())
        #expect(try catalogue.deliveries(status: nil, limit: 2).map(\.request.key) == ["k6", "k5"])
        #expect(try catalogue.deliveries(status: .pending, limit: 100).map(\.request.key) == ["k6", "k4", "k1"])
        #expect(try catalogue.deliveries(status: .pending, limit: 2).map(\.request.key) == ["k6", "k4"])
        #expect(try catalogue.deliveries(status: .delivered, limit: 100).map(\.request.key) == ["k5", "k2"])
        #expect(try catalogue.deliveries(status: .dead, limit: 100).map(\.request.key) == ["k3"])
        #expect(try catalogue.deliveries(status: .delivered, limit: 100).allSatisfy { $0.status == .delivered })
        #expect(try catalogue.deliveries(status: nil, limit: 0).isEmpty)
        #expect(try catalogue.deliveries(status: nil, limit: -1).isEmpty)
    }

    // MARK: - Files

    @Test func aCatalogueOfAnOlderBuildGainsTheOutbox() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let events = try syntheticEvents(7)
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            try importEvents(events, into: catalogue)
        }
        // Make it a file of a build that knew only `v1`.
        try makeIndexKeepItsContent(path: path)
        try makeFileOfBuildBeforeV6(path: path)
        let outboxTables = ["handler_cursors", "outbox", "outbox_attempts"]
        func tables(_ queue: DatabaseQueue) throws -> [String] {
            try queue.read { db in
                try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?, ?) ORDER BY name",
                    arguments: StatementArguments(outboxTables))
            }
        }
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(
                    sql: """
                        DROP TABLE outbox; DROP TABLE outbox_attempts; DROP TABLE handler_cursors;
                        DROP INDEX imports_finished; DROP INDEX changes_import;
                        DROP TABLE saved_queries; DROP INDEX changes_event;
                        DELETE FROM grdb_migrations WHERE identifier IN ('v2', 'v3', 'v4');
                        """)
            }
            #expect(try tables(queue).isEmpty)
            #expect(try queue.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") } == ["v1"])
        }

        do {
            let catalogue = try SQLiteCatalogue(path: path)
            #expect(try catalogue.count(matching: EventQuery()) == events.count)
            #expect(try catalogue.lastChangeSequence() == Int64(events.count))
            #expect(try catalogue.queue([request("after-upgrade", subject: "Objet")], at: Self.t0) == 1)
            #expect(try catalogue.handlerPosition(plugin: "alerte").sequence == Int64(events.count))
            try catalogue.recordHandlerFailure(plugin: "alerte", sequence: 8, message: "boom", at: Self.t0)
        }
        #expect(try tables(try DatabaseQueue(path: path)) == outboxTables)

        // Reopening keeps the outbox and the cursors.
        let reopened = try SQLiteCatalogue(path: path)
        let deliveries = try allDeliveries(reopened)
        #expect(deliveries.map(\.request) == [request("after-upgrade", subject: "Objet")])
        #expect(deliveries.map(\.status) == [.pending])
        #expect(
            try reopened.handlerPositions()
                == [
                    HandlerPosition(
                        plugin: "alerte", sequence: Int64(events.count), failedSequence: 8, failure: "boom",
                        failedAt: Self.t0)
                ])
        #expect(try reopened.queue([request("after-upgrade")], at: Self.t0) == 0)
    }

    @Test func reopeningKeepsTheOutbox() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        var expected: [Delivery] = []
        var attemptsOfFirst: [DeliveryAttempt] = []
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            try importEvents(try syntheticEvents(3), into: catalogue)
            try catalogue.commitHandled(
                plugin: "alerte", through: 3,
                deliveries: [request("one", subject: "Sujet", headers: [.init(name: "X-A", value: "\"b\"")])])
            try catalogue.queue([request("two", html: "<b>deux</b>", changeSequence: 2)], at: Self.t0)
            let id = try id(of: "one", in: catalogue)
            // "one" was queued now by `commitHandled`, "two" earlier: claim both.
            _ = try catalogue.claimDue(now: Date().addingTimeInterval(1), lease: 60, worker: "w", limit: 10)
            let attempt = DeliveryAttempt(at: Self.t0, outcome: .retry, detail: "timeout")
            let recorded = try catalogue.recordAttempt(
                id: id, worker: "w", attempt: attempt, status: .pending, nextAttemptAt: Self.t0.addingTimeInterval(60))
            try #require(recorded)
            expected = try allDeliveries(catalogue)
            attemptsOfFirst = try stored(id, in: catalogue).1
        }
        try #require(expected.count == 2)
        try #require(attemptsOfFirst.count == 1)

        let reopened = try SQLiteCatalogue(path: path)
        #expect(try allDeliveries(reopened) == expected)
        let first = try #require(expected.last)
        #expect(try stored(first.id, in: reopened).1 == attemptsOfFirst)
        #expect(try reopened.handlerPosition(plugin: "alerte").sequence == 3)
        #expect(try reopened.queue([request("one"), request("two"), request("three")], at: Self.t0) == 1)
    }
}
