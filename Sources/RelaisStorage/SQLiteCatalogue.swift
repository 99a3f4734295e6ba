import CSQLiteSetup
import Foundation
import GRDB
import GRDBSQLite
import RelaisCore

/// The catalogue in one SQLite file: events, their slots, a full-text index and the change
/// log of every import.
///
/// ```swift
/// let catalogue = try SQLiteCatalogue(path: "relais.sqlite")
/// let report = try catalogue.importBatch(origin: "mip2020.jsonl", dryRun: false) { session in
///     for event in events { try session.put(event) }
/// }
/// var query = EventQuery()
/// query.text = "innovation numerique"
/// try catalogue.forEachEvent(matching: query) { event in print(event.title); return true }
/// ```
///
/// The file uses SQLite's WAL journal, so reads never wait for an import, except the first
/// one (into a catalogue without events), which writes through a rollback journal when no
/// other connection has the file open: reads wait for it to commit, and this instance's own
/// reads inside it are refused (``importBatch(origin:dryRun:_:)``). Writers wait for
/// each other up to ``busyTimeout``: two `relais` processes importing into one catalogue
/// run one after the other instead of failing. Imports are IMMEDIATE transactions, which
/// take the write lock when they begin: a transaction that only asked for it at its first
/// write could be refused at once, without waiting, under WAL.
///
/// Like every ``CatalogueStore``, an instance is used from one thread at a time; open one
/// instance per thread to work from several. Methods may be called again from inside the
/// closures they take (an import from inside ``forEachEvent(matching:_:)``, say), except
/// that imports do not nest.
///
/// Failures of the store itself are ``CatalogueError``s that name the file; errors thrown
/// by the closures you pass go through unchanged.
public final class SQLiteCatalogue: CatalogueStore {
    /// The catalogue file.
    public let path: String
    /// Where each committed import's changes are published, in change-log order.
    public let bus: EventBus

    /// The time imports record as their commit time: the real clock, unless pinned
    /// (`--now`, `$RELAIS_NOW`) to replay a past programme.
    public var clock: @Sendable () -> Date = { Date() }

    /// How long a writer waits for another process's import before giving up.
    public static let busyTimeout: TimeInterval = 30

    /// How many changes are read back and published at a time after a commit, so that
    /// publishing a million changes does not hold them all in memory.
    static let publicationPageSize = 500

    /// Two connections, as a DatabasePool would give: imports write through `writer`,
    /// listings read through `reader`, so a listing may run inside an import's closures and
    /// the reverse (a reader sees the last committed state). The reader is closed while a
    /// first import writes without the WAL (``importBatch(origin:dryRun:_:)``), and opened
    /// again when it is next needed.
    let writer: DatabaseQueue
    private var readerConnection: DatabaseQueue?
    /// Whether an import is writing through SQLite's rollback journal rather than the WAL:
    /// reads wait for it then, so this instance refuses them rather than wait for itself.
    private var writesWithoutWAL = false
    /// Whether a first import's switch back to WAL failed (other processes still reading
    /// when the busy timeout ran out, say): the next import tries again.
    private var awaitsWAL = false
    /// The read transaction of a ``forEachEvent(matching:_:)`` in progress on this thread:
    /// calls made from its body read through it, because GRDB forbids nested reads.
    private var currentReadDatabase: Database?
    private var importInProgress = false
    /// How text searches find their first matches; tests force each plan.
    var textPlan = EventQuerySQL.TextPlan.automatic
    /// How many additions make an import drop the listing index until it finishes (when it
    /// also adds as many events as the catalogue held): see `SQLiteImportSession`. Tests
    /// lower it.
    var smallestBatchDeferringTheListingIndex = 50_000
    /// The lender's statement and buffers on the reader connection, made on first use: a
    /// filter that reads a field the listing did not lend costs one row read per event,
    /// and a million such reads must not prepare a million statements.
    private var rowByKey: Statement?
    private let lentRow = StoredRowFields()
    /// How many rows the lender read since the last listing began.
    private var rowsLent = 0
    /// Whether a filtered listing reads ahead on a second thread (see `listReadingAhead`);
    /// tests turn it off to compare.
    var readsAhead = true
    /// How many listings read ahead (the second connection saw the same commit), for tests.
    private(set) var listingsReadAhead = 0
    /// The connection a filtered listing reads ahead on, opened on first use. Only the
    /// read-ahead thread uses it, while the listing that started that thread waits.
    private var readAheadConnection: DatabaseQueue?

    /// Orders publications across every catalogue of the process: taken just before a
    /// commit and released once its changes are published, so that subscribers of a shared
    /// bus see commits whole and in commit order even when they are published page by page.
    private static let publicationLock = NSRecursiveLock()

    /// Sets SQLite up for the whole process: its memory statistics off, so that SQLite's
    /// allocations do not all take one global mutex (an import of a million events spends
    /// about a tenth of its SQLite time less). Call it first thing in a process, before any
    /// thread opens a catalogue; later, SQLite is in use and it changes nothing. Returns
    /// whether it took effect.
    @discardableResult
    public static func prepareProcess() -> Bool {
        relais_sqlite_disable_memory_statistics() == 1
    }

    /// Opens the catalogue at `path`, creating the file and its tables on first use.
    ///
    /// Throws a ``CatalogueError`` naming the path when the folder does not exist, when the
    /// file cannot be read or written, when it is not a SQLite database or is one of another
    /// application, or when it was written by a newer version of Relais. A file that is
    /// refused is left untouched, except that a transaction a crashed writer left in it (a
    /// hot rollback journal) is rolled back, as any SQLite connection opening it would.
    public init(path: String, bus: EventBus = EventBus()) throws {
        self.path = path
        self.bus = bus
        try Self.checkLocation(path)
        try Self.inspectExistingFile(path)
        do {
            (writer, readerConnection) = try Self.openConnections(path)
        } catch {
            throw Self.openingError(path, error)
        }
    }

    deinit {
        // Finalized before the reader's connection closes, which it would otherwise keep open.
        rowByKey = nil
    }

    // MARK: - Reading

    /// Calls `body` with each event that passes the built-in filters of `query`, in order
    /// of first slot start, then id. Rows are decoded one at a time from a database cursor,
    /// so memory stays flat whatever the size of the catalogue. Every event comes from one
    /// snapshot: an import committed meanwhile is not seen half-way.
    public func forEachEvent(matching query: EventQuery, _ body: (consuming Event) throws -> Bool) throws {
        guard (query.limit ?? 1) > 0 else { return }
        try reading { db in
            let sql = EventQuerySQL(query, in: db, textPlan: textPlan)
            guard !sql.isEmpty else { return }
            // A fresh statement, not a cached one: `body` may run another query meanwhile.
            let statement = try db.makeStatement(
                sql: "SELECT \(StoredEvent.columns) FROM \(sql.table)\(sql.whereClause) ORDER BY e.first_start, e.id\(sql.limitClause)")
            let rows = try Row.fetchCursor(statement, arguments: sql.arguments)
            while try rows.next() != nil {
                if try !body(StoredEvent.decode(statement.sqliteStatement, at: 0)) { return }
            }
        }
    }

    /// Calls `body` with each event that passes the built-in filters of `query` and then
    /// `prefilter`, in listing order. The listing walks the `events_listing` index alone
    /// and lends the prefilter the fields that index holds (id, kind, status, region,
    /// online, lab) where SQLite keeps them; a prefilter that reads another field gets the
    /// row through ``withAllFields(reference:id:_:)``. Only the events that pass are read
    /// in full and built. A prefilter that reads other fields of most events is better
    /// served by reading every row in the listing itself: after a first stretch, the
    /// listing switches to that when it sees so. `query.limit` counts the events given to
    /// `body`.
    public func forEachEvent(
        matching query: EventQuery, passing prefilter: any EventPrefilter, _ body: (Event) throws -> Bool
    ) throws {
        guard (query.limit ?? 1) > 0 else { return }
        var storeQuery = query
        storeQuery.limit = nil
        try reading { db in
            var given = 0
            let give: (Event) throws -> Bool = { event in
                given += 1
                guard try body(event) else { return false }
                return query.limit.map { given < $0 } ?? true
            }
            var mayReadAhead = readsAhead
            while true {
                switch try listLendingIndexedFields(
                    db, storeQuery, prefilter, limit: query.limit, mayReadAhead: mayReadAhead, give)
                {
                case .done:
                    return
                case .lendRows(let position):
                    storeQuery.after = position
                    try listLendingRows(db, storeQuery, prefilter, give)
                    return
                case .readAhead(let position):
                    storeQuery.after = position
                    guard try !listReadingAhead(db, storeQuery, prefilter, give) else { return }
                    // The other connection saw another commit: go on here, on this one.
                    mayReadAhead = false
                }
            }
        }
    }

    /// How many rows the index listing tests before judging whether the prefilter reads
    /// the rows anyway, and the share of them that makes it switch to reading rows.
    private static let lendingTrialRows = 512
    private static let rowReadsThatSwitch = 0.5
    /// The most rows a prefilter tests at a time (one call into Lua for them all).
    private static let batchRows = 256

    /// How a listing of index fields goes on after the rows it tested.
    private enum ListingContinuation {
        case done
        /// The prefilter reads rows anyway: read them in the listing, after this position.
        case lendRows(EventQuery.Position)
        /// Read the rest of the listing on another thread (``listReadingAhead``).
        case readAhead(EventQuery.Position)
    }

    /// Lists `query` from the index, lending its fields. Once it has tested a first
    /// stretch of rows, returns where to go on: row by row when the prefilter read most
    /// rows, or on another thread when `mayReadAhead`; `.done` when the listing is done.
    private func listLendingIndexedFields(
        _ db: Database, _ query: EventQuery, _ prefilter: any EventPrefilter, limit: Int?, mayReadAhead: Bool,
        _ give: (Event) throws -> Bool
    ) throws -> ListingContinuation {
        let sql = EventQuerySQL(query, in: db, textPlan: textPlan)
        guard !sql.isEmpty else { return .done }
        let listing = try db.makeStatement(
            sql: """
                SELECT e.event_key, e.first_start, \(StoredEvent.indexedColumns)
                FROM events e\(sql.whereClause) ORDER BY e.first_start, e.id
                """)
        // A fresh statement, not a cached one: `give` may read events meanwhile.
        let full = DirectStatement(
            try db.makeStatement(sql: "SELECT \(StoredEvent.columns) FROM events WHERE event_key = ?"), in: db)
        let keys = try Int64.fetchCursor(listing, arguments: sql.arguments)
        let fields = StoredRowFields()
        let batch = StoredFieldBatch()
        // Batches grow from a few rows, so that a listing that wants few events (a limit)
        // runs the prefilter on few more than it needs.
        var batchSize = limit.map { max(1, min(8, $0)) } ?? 8
        var tested = 0
        var judged = false
        rowsLent = 0
        var passes: [Bool] = []
        var given = 0
        /// Tests the batch and gives the events that pass; false when `give` wants no more.
        func testBatch() throws -> Bool {
            tested += batch.count
            guard let count = try testAndGive(batch, prefilter, full: full, passes: &passes, give) else { return false }
            given += count
            batch.removeAll()
            // 8, 8, 16, 32…: batches end on powers of two (512 among them, the trial).
            batchSize = min(tested, Self.batchRows)
            if let limit { batchSize = max(1, min(batchSize, limit - given)) }
            return true
        }
        while let key = try keys.next() {
            try fields.load(listing.sqliteStatement, columns: StoredEvent.indexedFields, firstColumn: 2)
            batch.append(fields.texts(lender: nil, reference: key), unlent: fields.unlentFields, reference: key)
            guard batch.count >= batchSize else { continue }
            // Where this batch ends, should the rest be read row by row.
            let raw = listing.sqliteStatement
            let firstStart = Date(timeIntervalSince1970: sqlite3_column_double(raw, 1))
            let lastID = fields.texts(lender: nil, reference: key)[.id].map { String(decoding: $0, as: UTF8.self) }
            guard try testBatch() else { return .done }
            if !judged, tested >= Self.lendingTrialRows {
                judged = true
                guard let lastID else { return .done }
                let position = EventQuery.Position(firstStart: firstStart, id: lastID)
                if Double(rowsLent) >= Double(tested) * Self.rowReadsThatSwitch { return .lendRows(position) }
                if mayReadAhead { return .readAhead(position) }
            }
        }
        if batch.count > 0 { _ = try testBatch() }
        return .done
    }

    /// Lists the rest of `query` as ``listLendingIndexedFields`` does, but steps through
    /// the index on a thread of its own, over a second connection, while this thread runs
    /// the prefilter (a Lua filter spends as long in Lua as the listing in SQLite) and
    /// reads the rows that pass. The fields cross in batches through a bounded queue, so
    /// memory stays flat. Returns false, having given nothing, when the second connection
    /// does not see the same commit as `db`: its snapshot cannot be chosen, but it is the
    /// same as long as the change log ends at the same change (every write to an event
    /// records one).
    private func listReadingAhead(
        _ db: Database, _ query: EventQuery, _ prefilter: any EventPrefilter, _ give: (Event) throws -> Bool
    ) throws -> Bool {
        let connection = try opened(&readAheadConnection)
        let lastChange = try ChangeLog.lastSequence(db)
        let queue = ReadAheadQueue<StoredFieldBatch.Handle>(batchSize: 1, capacity: 4)
        let textPlan = self.textPlan
        // Only the fields the prefilter read in the stretch it has tested (and the id, which
        // names an event): each column costs the reading thread, the busier of the two, on
        // every row. Another field it reads later comes from the lender, as an unlent one.
        let read = prefilter.fieldsRead
        let lentFields = StoredEvent.indexedFields.filter { $0 == .id || read & (1 << UInt32($0.rawValue)) != 0 }
        let lentColumns = StoredEvent.indexedColumns(lentFields)
        let stopReading = queue.startReading(threadName: "relais-listing-reader") {
            try connection.read { ahead in
                guard try ChangeLog.lastSequence(ahead) == lastChange else { throw AnotherSnapshot() }
                let sql = EventQuerySQL(query, in: ahead, textPlan: textPlan)
                guard !sql.isEmpty else { return }
                let listing = try ahead.makeStatement(
                    sql: """
                        SELECT e.event_key, \(lentColumns)
                        FROM events e\(sql.whereClause) ORDER BY e.first_start, e.id
                        """)
                let keys = try Int64.fetchCursor(listing, arguments: sql.arguments)
                var batch = StoredFieldBatch()
                while let key = try keys.next() {
                    try batch.appendRow(listing.sqliteStatement, columns: lentFields, firstColumn: 1, reference: key)
                    guard batch.count >= Self.batchRows else { continue }
                    guard queue.push(StoredFieldBatch.Handle(batch)) else { throw ReadAheadQueue<StoredFieldBatch.Handle>.WriterStopped() }
                    batch = StoredFieldBatch()
                }
                if batch.count > 0, !queue.push(StoredFieldBatch.Handle(batch)) {
                    throw ReadAheadQueue<StoredFieldBatch.Handle>.WriterStopped()
                }
            }
        }
        defer { stopReading() }
        let full = DirectStatement(
            try db.makeStatement(sql: "SELECT \(StoredEvent.columns) FROM events WHERE event_key = ?"), in: db)
        var passes: [Bool] = []
        var spent: [StoredFieldBatch.Handle] = []
        var counted = false
        do {
            while let handles = try queue.nextBatch(returning: &spent) {
                if !counted {
                    counted = true
                    listingsReadAhead += 1
                }
                for handle in handles {
                    guard try testAndGive(handle.batch, prefilter, full: full, passes: &passes, give) != nil else {
                        return true
                    }
                }
                spent = handles
            }
        } catch is AnotherSnapshot {
            return false
        }
        if !counted { listingsReadAhead += 1 }
        return true
    }

    /// Tests `batch` with `prefilter` and gives the events that pass, read with `full`;
    /// returns how many it gave, or nil when `give` wants no more. A prefilter that fails
    /// gets the events before the failing one given first, as when testing one by one.
    private func testAndGive(
        _ batch: StoredFieldBatch, _ prefilter: any EventPrefilter, full: DirectStatement, passes: inout [Bool],
        _ give: (Event) throws -> Bool
    ) throws -> Int? {
        passes.removeAll(keepingCapacity: true)
        var failure: (any Error)?
        do {
            try batch.withBatch(lender: self) { try prefilter.matches(batch: $0, into: &passes) }
        } catch {
            failure = error
        }
        var given = 0
        for (index, passed) in passes.enumerated() where passed {
            try full.bind(1, batch.reference(index))
            guard let event = try full.withFirstRow({ try StoredEvent.decode($0, at: 0) }) else { continue }
            given += 1
            guard try give(event) else { return nil }
        }
        if let failure { throw failure }
        return given
    }

    /// What the read-ahead thread throws when its connection sees another commit.
    private struct AnotherSnapshot: Error {}

    /// Lists `query` reading every row, lending the prefilter all its fields.
    private func listLendingRows(
        _ db: Database, _ query: EventQuery, _ prefilter: any EventPrefilter, _ give: (Event) throws -> Bool
    ) throws {
        let sql = EventQuerySQL(query, in: db, textPlan: textPlan)
        guard !sql.isEmpty else { return }
        let statement = try db.makeStatement(
            sql: "SELECT \(StoredEvent.columns) FROM events e\(sql.whereClause) ORDER BY e.first_start, e.id")
        let rows = try Row.fetchCursor(statement, arguments: sql.arguments)
        let fields = StoredRowFields()
        while try rows.next() != nil {
            try fields.load(statement.sqliteStatement, columns: StoredEvent.columnFields, firstColumn: 0)
            guard try prefilter.matches(fields: fields.texts(lender: nil, reference: 0)) else { continue }
            guard try give(try StoredEvent.decode(statement.sqliteStatement, at: 0)) else { return }
        }
    }

    /// How many events ``forEachEvent(matching:_:)`` would give for `query` (so at most
    /// `query.limit`).
    public func count(matching query: EventQuery) throws -> Int {
        guard (query.limit ?? 1) > 0 else { return 0 }
        return try reading { db in
            let sql = EventQuerySQL(query, in: db, textPlan: textPlan)
            guard !sql.isEmpty else { return 0 }
            let inner = "SELECT 1 FROM events e\(sql.whereClause)\(sql.limitClause)"
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (\(inner))", arguments: sql.arguments) ?? 0
        }
    }

    /// The event with this id, or nil.
    public func event(id: String) throws -> Event? {
        try reading { db in
            let statement = try db.makeStatement(sql: "SELECT \(StoredEvent.columns) FROM events WHERE id = ?")
            guard let row = try Row.fetchOne(statement, arguments: [id]) else { return nil }
            return try StoredEvent.decode(row, at: 0)
        }
    }

    /// Changes recorded after `sequence`, oldest first, at most `limit` (none when `limit`
    /// is zero or less).
    public func changes(after sequence: Int64, limit: Int) throws -> [EventChange] {
        guard limit > 0 else { return [] }
        return try reading { db in
            try ChangeLog.changes(db, after: sequence, through: nil, limit: limit)
        }
    }

    /// Changes with a sequence above `sequence` and at most `last`, of one of `kinds`,
    /// oldest first, at most `limit`; the kind is tested before anything is decoded.
    public func changes(after sequence: Int64, through last: Int64, kinds: Set<ChangeKind>, limit: Int) throws
        -> [EventChange]
    {
        try reading { db in
            try ChangeLog.changes(db, after: sequence, through: last, kinds: kinds, limit: limit)
        }
    }

    /// The lowest sequence above `sequence` that may hold a change of one of `kinds`, from
    /// the counts each import keeps of its changes by kind (ChangeLog.firstPossibleChange).
    public func firstPossibleChange(after sequence: Int64, kinds: Set<ChangeKind>) throws -> Int64 {
        try reading { db in try ChangeLog.firstPossibleChange(db, after: sequence, kinds: kinds) }
    }

    /// Changes of the imports committed from `start` (included) to `end` (excluded), with a
    /// sequence above `sequence`, oldest first, at most `limit`.
    public func changes(recordedFrom start: Date, before end: Date, after sequence: Int64, limit: Int) throws
        -> [EventChange]
    {
        guard limit > 0, start < end else { return [] }
        return try reading { db in
            try ChangeLog.changes(db, recordedFrom: start, before: end, after: sequence, limit: limit)
        }
    }

    // MARK: - Writing

    /// Runs `work` inside one IMMEDIATE write transaction: everything it puts is committed
    /// together when it returns, or nothing if it throws, not even a change-log row. With
    /// `dryRun` the transaction is rolled back and the report (``ImportReport/dryRun`` set)
    /// says what would have changed.
    ///
    /// After a commit, the batch's changes are read back from the change log in pages and
    /// published on ``bus`` in log order; nothing is published for a rollback or a dry run.
    /// Subscribers may read the catalogue; they may not start another import of this
    /// instance before the publication ends, which keeps publications in commit order.
    /// `origin` (the imported file's name) is recorded with every change.
    ///
    /// A first import (the catalogue holds no events, not a dry run) writes through SQLite's
    /// rollback journal when no other connection has the file open (`leaveWALForFirstImport`):
    /// a listing of this instance inside `work` then throws a ``CatalogueError`` instead of
    /// seeing the empty catalogue.
    ///
    /// The session is valid only while `work` runs, on the thread that runs it. Throws what
    /// `work` throws, or a ``CatalogueError`` (the catalogue stayed busy for more than
    /// ``busyTimeout``, the disk is full, another import of this instance is running, …).
    public func importBatch(
        origin: String, dryRun: Bool, _ work: (any ImportSession) throws -> Void
    ) throws -> ImportReport {
        try claimImport()
        defer { importInProgress = false }

        var holdsPublicationLock = false
        defer { if holdsPublicationLock { Self.publicationLock.unlock() } }
        var committed: ClosedRange<Int64>?
        var report = ImportReport()
        if awaitsWAL { returnToWAL() }
        writesWithoutWAL = !dryRun && leaveWALForFirstImport()
        do {
            defer { if writesWithoutWAL { returnToWAL() } }
            try writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    let session = try Self.runSession(
                        db, origin: origin, clock: clock, smallestBatch: smallestBatchDeferringTheListingIndex, work)
                    report = session.report
                    report.dryRun = dryRun
                    if dryRun { return .rollback }
                    Self.publicationLock.lock()
                    holdsPublicationLock = true
                    committed = session.sequences
                    return .commit
                }
            }
        } catch {
            throw mapped(error)
        }
        if let committed { try publish(committed) }
        return report
    }

    /// Switches the file to SQLite's rollback journal for a first import (the catalogue
    /// holds no events), and says whether it did.
    ///
    /// Under WAL every page an import writes is written twice, to the WAL and then by the
    /// checkpoint into the file; with a rollback journal, the pages a file gains are written
    /// once and journaled not at all (a million events: 19–21 s → 15–17 s, two thirds of
    /// the kernel's time gone). What WAL gives in exchange is reading during the import,
    /// and an empty catalogue has nothing to read. SQLite changes the journal only when no
    /// other connection has the file open, so another process that has it open (a REPL,
    /// say) keeps the WAL, and so does a listing of this instance in progress. Once it is
    /// changed, other processes wait for the import as they wait for another import.
    private func leaveWALForFirstImport() -> Bool {
        guard currentReadDatabase == nil else { return false }
        do {
            return try writer.writeWithoutTransaction { db in
                guard try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM events)") == true else { return false }
                // An idle connection keeps a WAL file open for good: this instance's own
                // readers are closed (and opened again when next needed).
                rowByKey = nil
                try readerConnection?.close()
                readerConnection = nil
                try readAheadConnection?.close()
                readAheadConnection = nil
                return try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") == "delete"
            }
        } catch {
            // The file is still in WAL mode (another process has it open): the import
            // runs as any other.
            return false
        }
    }

    /// Puts the file back in WAL mode after a first import, committed or not. Should that
    /// fail (the disk full, or readers of other processes outlasting the busy timeout), the
    /// file stays a valid catalogue in rollback mode: this instance tries again at its next
    /// import, and the next process to open the file switches it back
    /// (`configuration(forWriter:)`).
    private func returnToWAL() {
        writesWithoutWAL = false
        let mode = try? writer.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        awaitsWAL = mode != "wal"
    }

    /// Runs `work` in a new session on `db`, which must be inside a write transaction, and
    /// finishes it: the session's report and sequences are then final.
    fileprivate static func runSession(
        _ db: Database, origin: String, clock: @escaping @Sendable () -> Date, smallestBatch: Int,
        _ work: (any ImportSession) throws -> Void
    ) throws -> SQLiteImportSession {
        let session = try SQLiteImportSession(
            db, origin: origin, clock: clock, smallestBatchDeferringTheListingIndex: smallestBatch)
        defer { session.close() }
        try work(session)
        try session.finish()
        return session
    }

    /// Marks an import as running; throws when one already is (imports cannot be nested).
    private func claimImport() throws {
        guard !importInProgress else {
            throw CatalogueError(
                "\(path): an import is already running in this catalogue (or publishing its changes); "
                    + "imports cannot be nested")
        }
        importInProgress = true
    }

    /// Runs `body` with a target whose batches all go into one transaction that is rolled
    /// back at the end: a dry run over several files checks each against the catalogue as
    /// the files before it would leave it, and writes nothing.
    public func dryRun(_ body: (any ImportTarget) throws -> Void) throws {
        try claimImport()
        defer { importInProgress = false }
        do {
            try writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    let target = DryRunTarget(db: db, clock: clock, smallestBatch: smallestBatchDeferringTheListingIndex)
                    defer { target.db = nil }
                    try body(target)
                    return .rollback
                }
            }
        } catch {
            throw mapped(error)
        }
    }

    /// The batches of ``dryRun(_:)``: sessions one after the other in its transaction.
    private final class DryRunTarget: ImportTarget {
        var db: Database?
        let clock: @Sendable () -> Date
        let smallestBatch: Int

        init(db: Database, clock: @escaping @Sendable () -> Date, smallestBatch: Int) {
            self.db = db
            self.clock = clock
            self.smallestBatch = smallestBatch
        }

        func importBatch(origin: String, dryRun: Bool, _ work: (any ImportSession) throws -> Void) throws -> ImportReport {
            guard let db else { throw CatalogueError("a dry run's batch was used after the dry run ended") }
            var report = try SQLiteCatalogue.runSession(db, origin: origin, clock: clock, smallestBatch: smallestBatch, work)
                .report
            report.dryRun = true
            return report
        }
    }

    /// Copies everything committed into the catalogue file itself and empties the WAL
    /// journal beside it (`<path>-wal`), so that the one file holds the whole catalogue:
    /// before copying it, say. SQLite also does this on its own as the journal grows, and
    /// when the last connection to the file closes.
    ///
    /// Waits up to ``busyTimeout`` for other processes' reads and writes to finish. Throws
    /// a ``CatalogueError`` when called from inside an import or a listing of this instance,
    /// which would wait for themselves.
    public func checkpoint() throws {
        guard !importInProgress, currentReadDatabase == nil else {
            throw CatalogueError("\(path): cannot checkpoint the catalogue from inside an import or a listing")
        }
        do {
            try writer.writeWithoutTransaction { db in
                _ = try db.checkpoint(.truncate)
            }
        } catch {
            throw mapped(error)
        }
    }

    /// Reads the committed changes back in pages and publishes each page on the bus.
    private func publish(_ sequences: ClosedRange<Int64>) throws {
        // Reading back and decoding every change costs about a tenth of an import: skip it
        // when nobody listens.
        guard bus.hasSubscribers else { return }
        var after = sequences.lowerBound - 1
        while after < sequences.upperBound {
            let page = try reading { db in
                try ChangeLog.changes(db, after: after, through: sequences.upperBound, limit: Self.publicationPageSize)
            }
            guard let last = page.last else { return }
            bus.publish(page)
            after = last.sequence
        }
    }

    // MARK: - Database access

    /// The read connection `connection` holds, opened first if it is closed (a first import
    /// closes this instance's readers).
    private func opened(_ connection: inout DatabaseQueue?) throws -> DatabaseQueue {
        if let open = connection { return open }
        let new = try DatabaseQueue(path: path, configuration: Self.configuration(forWriter: false))
        connection = new
        return new
    }

    /// Runs `body` in a read transaction, or in the one already open on this thread.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        if let db = currentReadDatabase { return try body(db) }
        guard !writesWithoutWAL else {
            throw CatalogueError(
                "\(path): the catalogue cannot be read while its first import is written (it is read once the import ends)")
        }
        do {
            let reader = try opened(&readerConnection)
            return try reader.read { db in
                currentReadDatabase = db
                defer { currentReadDatabase = nil }
                return try body(db)
            }
        } catch {
            throw mapped(error)
        }
    }

    /// Turns database failures into ``CatalogueError``s naming the file; other errors,
    /// including the callers' own, go through unchanged.
    func mapped(_ error: any Error) -> any Error {
        switch error {
        case let error as DatabaseError:
            return Self.catalogueError(path, error)
        case let problem as StoredDataProblem:
            return CatalogueError("\(path): the catalogue is damaged: \(problem.message)")
        default:
            return error
        }
    }

    private static func catalogueError(_ path: String, _ error: DatabaseError) -> CatalogueError {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return CatalogueError(
                "\(path): the catalogue stayed locked by another process for more than \(Int(busyTimeout)) seconds")
        case .SQLITE_FULL:
            return CatalogueError("\(path): the disk is full")
        case .SQLITE_READONLY:
            return CatalogueError("\(path): the catalogue cannot be written (read-only file or folder)")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return CatalogueError("\(path): the catalogue file is damaged (\(error.message ?? "corrupt"))")
        default:
            return CatalogueError("\(path): \(error.message ?? "\(error.resultCode)")")
        }
    }

    // MARK: - Opening

    /// The writer gets a larger page cache than SQLite's default 2 MB, so that the index
    /// pages a large import keeps touching stay in memory; the reader streams and keeps
    /// the default, which bounds the memory a listing of any size takes.
    private static func configuration(forWriter: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "relais.catalogue"
        configuration.prepareDatabase { db in
            if !db.configuration.readonly {
                // WAL, set here rather than by opening a DatabasePool: GRDB's pool creates
                // and drops a table at every open to make sure the WAL file exists, which
                // would change the catalogue's bytes on every run, even a rejected import's.
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                // After a large import SQLite truncates the WAL back to this size instead
                // of leaving a file as large as the import on disk.
                try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
                if forWriter {
                    try db.execute(sql: "PRAGMA cache_size = \(writerCacheSize)")
                    // Lets SQLite's sorter use helper threads: a large import builds its
                    // listing index at the end (SQLiteImportSession.dropListingIndex), one
                    // thread alone sorting a million entries (1.5 s → 1.25 s on two cores).
                    try db.execute(sql: "PRAGMA threads = \(sorterThreads)")
                }
                // The index's vocabulary, for text searches (EventQuerySQL.ftsQuery): in the
                // connection's temp schema, so the catalogue file does not change.
                try db.execute(
                    sql: "CREATE VIRTUAL TABLE IF NOT EXISTS temp.events_fts_terms USING fts5vocab(main, 'events_fts', 'row')")
            }
        }
        return configuration
    }

    /// The writer's page cache, in SQLite's units (negative: KiB): 16 MB.
    static let writerCacheSize = -16384
    /// The writer's page cache while it builds the listing index again: SQLite's sorter
    /// gives each of its threads a buffer as large as the cache, so a smaller cache keeps
    /// the build's memory flat (a million entries, two helpers: 70 MB with 16 MB, 21 MB
    /// with 4 MB, no slower).
    static let indexBuildCacheSize = -4096
    /// Helper threads for the writer's sorts: as many as cores, at most four (on two cores
    /// two helpers sort as fast as one or faster, and the main thread mostly merges).
    private static let sorterThreads = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// Fails with a clear message when the file cannot be created where asked.
    private static func checkLocation(_ path: String) throws {
        guard !path.isEmpty else { throw CatalogueError("the catalogue path is empty") }
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw CatalogueError("\(path): is a folder, not a catalogue file") }
            return
        }
        let parent = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CatalogueError("cannot create the catalogue \(path): the folder \(parent) does not exist")
        }
    }

    /// Looks at an existing file read-only before anything writes to it: opening a pool
    /// switches the file to WAL, which must not happen to another application's database.
    private static func inspectExistingFile(_ path: String) throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? NSNumber, size.intValue > 0
        else { return }  // absent or empty: SQLite creates the database
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CatalogueError("\(path): cannot read the catalogue file (permission denied)")
        }
        do {
            do {
                try inspect(path, readOnly: true)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_READONLY_ROLLBACK {
                // An import was cut off (a first import, written with a rollback journal):
                // a read-only connection cannot roll it back; any other does on its first read.
                try inspect(path, readOnly: false)
            }
        } catch let error as CatalogueError {
            throw error
        } catch {
            throw openingError(path, error)
        }
    }

    /// The checks of ``inspectExistingFile(_:)`` on a connection of their own.
    private static func inspect(_ path: String, readOnly: Bool) throws {
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(busyTimeout)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.read { db in
            // GRDB creates its `grdb_migrations` table before the first migration's
            // transaction, which marks the file as ours: a catalogue that another
            // process is creating right now may hold that table alone.
            let objectCount =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name <> 'grdb_migrations'") ?? 0
            let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            if applicationID == CatalogueSchema.applicationID {
                if try CatalogueSchema.migrator.hasBeenSuperseded(db) {
                    let applied = try CatalogueSchema.migrator.appliedIdentifiers(db).sorted()
                    throw CatalogueError(
                        "\(path): the catalogue was written by a newer version of Relais (schema "
                            + "\(applied.joined(separator: ", "))); this version reads schema "
                            + "\(CatalogueSchema.knownVersions.joined(separator: ", ")). Upgrade relais.")
                }
            } else if try applicationID != 0 || (objectCount > 0 && !Self.isBeingCreated(db)) {
                throw CatalogueError("\(path): not a Relais catalogue (a SQLite database of another application)")
            }
        }
        try queue.close()
    }

    /// Whether a file without our application id is a catalogue another `relais` process is
    /// creating right now (GRDB records its migrations table before the first migration).
    private static func isBeingCreated(_ db: Database) throws -> Bool {
        let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        return names.contains("grdb_migrations") && names.allSatisfy { $0 == "grdb_migrations" || $0.hasPrefix("sqlite_") }
    }

    /// Opens the writer, applies the migrations this build knows, then opens the reader.
    ///
    /// Processes that open one catalogue as it is being created race, and SQLite does not
    /// always make the loser wait: switching a new file to WAL and upgrading a read to a
    /// write can fail at once with SQLITE_BUSY (where waiting could deadlock), and GRDB
    /// reads the applied migrations before the transaction that applies the next one, so a
    /// migration another process has just applied fails on a table that already exists.
    /// Every step is idempotent and each migration is one transaction, so the loser starts
    /// again, for up to ``busyTimeout``; an error while the schema stays as it was is a
    /// real one and is thrown.
    private static func openConnections(_ path: String) throws -> (writer: DatabaseQueue, reader: DatabaseQueue) {
        let deadline = Date().addingTimeInterval(busyTimeout)
        var pause: TimeInterval = 0.002
        var unexplainedFailures = 0
        while true {
            let schemaBefore = schemaVersion(path)
            do {
                let writer = try DatabaseQueue(path: path, configuration: configuration(forWriter: true))
                try CatalogueSchema.migrator.migrate(writer)
                let reader = try DatabaseQueue(path: path, configuration: configuration(forWriter: false))
                return (writer, reader)
            } catch let error as DatabaseError where Date() < deadline {
                switch error.resultCode {
                case .SQLITE_BUSY, .SQLITE_LOCKED:
                    break
                default:
                    let schemaAfter = schemaVersion(path)
                    if schemaBefore == nil || schemaAfter == nil {
                        unexplainedFailures += 1
                        guard unexplainedFailures <= 5 else { throw error }
                    } else if schemaAfter == schemaBefore {
                        throw error
                    }
                }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 0.1)
            }
        }
    }

    /// The file's schema counter, which every CREATE and DROP increments, read on a
    /// connection of its own; nil when the file cannot be read right now.
    private static func schemaVersion(_ path: String) -> Int? {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(1)
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        defer { try? queue.close() }
        return try? queue.read { try Int.fetchOne($0, sql: "PRAGMA schema_version") }
    }

    private static func openingError(_ path: String, _ error: any Error) -> CatalogueError {
        if let error = error as? CatalogueError { return error }
        guard let error = error as? DatabaseError else { return CatalogueError("\(path): \(error)") }
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return CatalogueError("\(path): not a Relais catalogue (not a SQLite database)")
        case .SQLITE_CANTOPEN:
            return CatalogueError("\(path): cannot open the catalogue file (\(error.message ?? "unable to open"))")
        case .SQLITE_CORRUPT:
            return CatalogueError("\(path): not a Relais catalogue (the SQLite file is damaged)")
        default:
            return catalogueError(path, error)
        }
    }
}

extension SQLiteCatalogue: EventFieldLender {
    /// Calls `body` with every field of the event with row key `reference` and id `id`, as
    /// of the listing in progress if any, else of the last commit. Returns nil when there
    /// is no such event any more. Without an id the key is enough: rows are never deleted,
    /// so a key names one event for good.
    public func withAllFields<Result>(
        reference: Int64, id: String?, _ body: (EventFieldTexts) throws -> Result
    ) throws -> Result? {
        try reading { db in
            let statement: Statement
            if let prepared = rowByKey {
                statement = prepared
            } else {
                statement = try db.makeStatement(sql: "SELECT \(StoredEvent.columns) FROM events WHERE event_key = ?")
                rowByKey = statement
            }
            // Stepped directly: this runs once per event of a listing whose filter reads a
            // field the index does not hold, where GRDB's cursor and row objects would cost
            // more than the read itself.
            let raw = statement.sqliteStatement
            sqlite3_reset(raw)
            defer { sqlite3_reset(raw) }
            sqlite3_bind_int64(raw, 1, reference)
            let code = sqlite3_step(raw)
            guard code == SQLITE_ROW else {
                if code == SQLITE_DONE { return nil }
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            try lentRow.load(raw, columns: StoredEvent.columnFields, firstColumn: 0)
            rowsLent += 1
            let fields = lentRow.texts(lender: nil, reference: reference)
            // Rows are never deleted, so a key names one event for good; a caller that knows
            // the id has it checked all the same.
            if let id {
                guard let storedID = fields[.id], storedID.elementsEqual(id.utf8) else { return nil }
            }
            return try body(fields)
        }
    }
}
