import Foundation
import GRDB
import RelaisCore

/// The outbox and the handlers' cursors in the catalogue file (tables of schema `v2`).
extension SQLiteCatalogue: OutboxStore {
    public func lastChangeSequence() throws -> Int64 {
        try reading { db in try ChangeLog.lastSequence(db) }
    }

    public func handlerPosition(plugin: String) throws -> HandlerPosition {
        try writing { db in
            try Self.insertCursorIfMissing(db, plugin: plugin)
            return try Self.position(db, plugin: plugin) ?? HandlerPosition(plugin: plugin, sequence: 0)
        }
    }

    public func registerHandlers(plugins: [String]) throws {
        guard !plugins.isEmpty else { return }
        try writing { db in
            for plugin in plugins { try Self.insertCursorIfMissing(db, plugin: plugin) }
        }
    }

    @discardableResult
    public func commitHandled(plugin: String, through sequence: Int64, deliveries: [DeliveryRequest]) throws -> Int {
        try writing { db in
            let queued = try Self.insert(db, deliveries, at: Date())
            try db.execute(
                sql: """
                    INSERT INTO handler_cursors (plugin, sequence) VALUES (?, ?)
                    ON CONFLICT(plugin) DO UPDATE SET sequence = MAX(sequence, excluded.sequence),
                        failed_sequence = NULL, failure = NULL, failed_at = NULL
                    """, arguments: [plugin, sequence])
            return queued
        }
    }

    public func recordHandlerFailure(plugin: String, sequence: Int64, message: String, at: Date) throws {
        try writing { db in
            try Self.insertCursorIfMissing(db, plugin: plugin)
            try db.execute(
                sql: "UPDATE handler_cursors SET failed_sequence = ?, failure = ?, failed_at = ? WHERE plugin = ?",
                arguments: [sequence, message, at.timeIntervalSince1970, plugin])
        }
    }

    public func handlerPositions() throws -> [HandlerPosition] {
        try reading { db in
            try Row.fetchAll(
                db, sql: "SELECT plugin, sequence, failed_sequence, failure, failed_at FROM handler_cursors ORDER BY plugin"
            ).map(Self.position)
        }
    }

    @discardableResult
    public func queue(_ deliveries: [DeliveryRequest], at date: Date) throws -> Int {
        guard !deliveries.isEmpty else { return 0 }
        return try writing { db in try Self.insert(db, deliveries, at: date) }
    }

    public func claimDue(dueBy: Date, now: Date, lease: TimeInterval, worker: String, limit: Int) throws -> [Delivery] {
        guard limit > 0 else { return [] }
        return try writing { db in
            let due = dueBy.timeIntervalSince1970
            let time = now.timeIntervalSince1970
            // The IMMEDIATE transaction holds the write lock: no other process claims between
            // this read and the update below.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.columns) FROM outbox
                    WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
                    ORDER BY next_attempt_at, id LIMIT ?
                    """, arguments: [due, time, limit])
            let claimed = try rows.map(Self.delivery)
            for delivery in claimed {
                try db.execute(
                    sql: "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id = ?",
                    arguments: [worker, time + lease, delivery.id])
            }
            return claimed
        }
    }

    public func renewLeases(ids: [Int64], worker: String, until: Date) throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        return try writing { db in
            var held: Set<Int64> = []
            let statement = try db.cachedStatement(
                sql: "UPDATE outbox SET lease_until = ? WHERE id = ? AND status = 'pending' AND lease_owner = ?")
            for id in ids {
                try statement.execute(arguments: [until.timeIntervalSince1970, id, worker])
                if db.changesCount > 0 { held.insert(id) }
            }
            return held
        }
    }

    @discardableResult
    public func recordAttempt(
        id: Int64, worker: String, attempt: DeliveryAttempt, status: DeliveryStatus, nextAttemptAt: Date
    ) throws -> Bool {
        try recordAttempts(
            [AttemptRecord(id: id, attempt: attempt, status: status, nextAttemptAt: nextAttemptAt)], worker: worker
        ).first ?? false
    }

    @discardableResult
    public func recordAttempts(_ records: [AttemptRecord], worker: String) throws -> [Bool] {
        guard !records.isEmpty else { return [] }
        return try writing { db in
            try records.map { record in
                guard
                    let owner = try String.fetchOne(
                        db.cachedStatement(sql: "SELECT lease_owner FROM outbox WHERE id = ? AND status = 'pending'"),
                        arguments: [record.id]),
                    owner == worker
                else { return false }
                let at = record.attempt.at.timeIntervalSince1970
                try db.cachedStatement(
                    sql: """
                        UPDATE outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?,
                            delivered_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
                        WHERE id = ?
                        """
                ).execute(arguments: [
                    record.status.rawValue, record.nextAttemptAt.timeIntervalSince1970,
                    record.status == .delivered ? at : nil,
                    record.attempt.outcome == .delivered ? nil : record.attempt.detail, record.id,
                ])
                try db.cachedStatement(
                    sql: "INSERT INTO outbox_attempts (delivery_id, attempted_at, outcome, detail) VALUES (?, ?, ?, ?)"
                ).execute(arguments: [record.id, at, record.attempt.outcome.rawValue, record.attempt.detail])
                return true
            }
        }
    }

    public func deliveries(status: DeliveryStatus?, limit: Int) throws -> [Delivery] {
        try reading { db in
            var sql = "SELECT \(Self.columns) FROM outbox"
            var arguments: StatementArguments = []
            if let status {
                sql += " WHERE status = ?"
                arguments += [status.rawValue]
            }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments += [max(limit, 0)]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.delivery)
        }
    }

    public func delivery(id: Int64) throws -> (Delivery, [DeliveryAttempt])? {
        try reading { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM outbox WHERE id = ?", arguments: [id])
            else { return nil }
            let attempts = try Row.fetchAll(
                db,
                sql: "SELECT attempted_at, outcome, detail FROM outbox_attempts WHERE delivery_id = ? ORDER BY rowid",
                arguments: [id]
            ).map { row in
                DeliveryAttempt(
                    at: Date(timeIntervalSince1970: row[0]),
                    outcome: DeliveryAttempt.Outcome(rawValue: row[1] as String? ?? "") ?? .retry, detail: row[2] ?? "")
            }
            return (try Self.delivery(row), attempts)
        }
    }

    public func retry(id: Int64, now: Date) throws -> Bool {
        try writing { db in
            // A dead delivery starts the retry schedule again; a pending one is only moved
            // forward, and not while a worker holds it (it could be sent twice at once).
            // A delivered one stays delivered.
            let time = now.timeIntervalSince1970
            try db.execute(
                sql: """
                    UPDATE outbox SET
                        attempts = CASE status WHEN 'dead' THEN 0 ELSE attempts END,
                        status = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_until = NULL
                    WHERE id = ? AND (status = 'dead'
                        OR (status = 'pending' AND (lease_until IS NULL OR lease_until < ?)))
                    """, arguments: [time, id, time])
            return db.changesCount > 0
        }
    }

    @discardableResult
    public func purgeDelivered(before date: Date) throws -> Int {
        try writing { db in
            let cutoff = date.timeIntervalSince1970
            try db.execute(
                sql: """
                    DELETE FROM outbox_attempts WHERE delivery_id IN
                        (SELECT id FROM outbox WHERE status = 'delivered' AND delivered_at < ?)
                    """, arguments: [cutoff])
            try db.execute(sql: "DELETE FROM outbox WHERE status = 'delivered' AND delivered_at < ?", arguments: [cutoff])
            return db.changesCount
        }
    }

    // MARK: - Rows

    private static let columns = """
        id, key, origin, channel, recipient, subject, body, html, headers, change_sequence, status, attempts,
        created_at, next_attempt_at, delivered_at, last_error
        """

    private static func delivery(_ row: Row) throws -> Delivery {
        let id: Int64 = row[0]
        guard let key: String = row[1], let origin: String = row[2], let channel: String = row[3],
            let recipient: String = row[4], let body: String = row[6], let statusName: String = row[10],
            let status = DeliveryStatus(rawValue: statusName)
        else { throw StoredDataProblem("delivery \(id) of the outbox is incomplete") }
        let request = DeliveryRequest(
            channel: channel, recipient: recipient, subject: row[5], body: body, html: row[7],
            headers: try headers(fromJSON: row[8], id: id), key: key, origin: origin, changeSequence: row[9])
        let delivered: Double? = row[14]
        return Delivery(
            id: id, request: request, status: status, attempts: row[11], createdAt: Date(timeIntervalSince1970: row[12]),
            nextAttemptAt: Date(timeIntervalSince1970: row[13]), deliveredAt: delivered.map(Date.init(timeIntervalSince1970:)),
            lastError: row[15])
    }

    private static func position(_ row: Row) -> HandlerPosition {
        let failedAt: Double? = row[4]
        return HandlerPosition(
            plugin: row[0], sequence: row[1], failedSequence: row[2], failure: row[3],
            failedAt: failedAt.map(Date.init(timeIntervalSince1970:)))
    }

    private static func position(_ db: Database, plugin: String) throws -> HandlerPosition? {
        try Row.fetchOne(
            db, sql: "SELECT plugin, sequence, failed_sequence, failure, failed_at FROM handler_cursors WHERE plugin = ?",
            arguments: [plugin]
        ).map(position)
    }

    private static func insertCursorIfMissing(_ db: Database, plugin: String) throws {
        try db.execute(
            sql: """
                INSERT INTO handler_cursors (plugin, sequence)
                VALUES (?, (SELECT COALESCE(MAX(sequence), 0) FROM changes))
                ON CONFLICT(plugin) DO NOTHING
                """, arguments: [plugin])
    }

    private static func insert(_ db: Database, _ deliveries: [DeliveryRequest], at date: Date) throws -> Int {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO outbox (key, origin, channel, recipient, subject, body, html, headers, change_sequence,
                    status, created_at, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                ON CONFLICT(key) DO NOTHING
                """)
        var queued = 0
        let time = date.timeIntervalSince1970
        for request in deliveries {
            try statement.execute(arguments: [
                request.key, request.origin, request.channel, request.recipient, request.subject, request.body,
                request.html, headersJSON(request.headers), request.changeSequence, time, time,
            ])
            queued += db.changesCount
        }
        return queued
    }

    private static func headersJSON(_ headers: [DeliveryRequest.Header]) -> String? {
        guard !headers.isEmpty else { return nil }
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, header) in headers.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "["))
            EventJSONWriting.appendString(header.name, to: &bytes)
            bytes.append(UInt8(ascii: ","))
            EventJSONWriting.appendString(header.value, to: &bytes)
            bytes.append(UInt8(ascii: "]"))
        }
        bytes.append(UInt8(ascii: "]"))
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func headers(fromJSON json: String?, id: Int64) throws -> [DeliveryRequest.Header] {
        guard let json else { return [] }
        guard case .array(let pairs)? = try? JSONValueParser.parse(json) else {
            throw StoredDataProblem("delivery \(id) has unreadable headers")
        }
        return try pairs.map { pair in
            guard case .array(let parts) = pair, parts.count == 2, case .string(let name) = parts[0],
                case .string(let value) = parts[1]
            else { throw StoredDataProblem("delivery \(id) has unreadable headers") }
            return DeliveryRequest.Header(name: name, value: value)
        }
    }

    /// Runs `body` in one IMMEDIATE write transaction (waiting up to the busy timeout for
    /// another process's), mapping database failures to ``CatalogueError``s.
    func writing<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            var result: T?
            try writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
            }
            guard let result else { throw CatalogueError("\(path): a write did not complete") }
            return result
        } catch {
            throw mapped(error)
        }
    }
}
