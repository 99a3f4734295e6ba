import GRDB
import GRDBSQLite

/// A prepared GRDB statement bound and stepped through SQLite's C API, for the import's
/// per-event writes and the listings' per-event reads: GRDB's `StatementArguments` box
/// every value in an existential and convert it again, and even an array of values per
/// execution costs allocations the writing thread of a large import cannot spare.
/// Callers bind each parameter, then ``run()``.
///
/// Text is bound SQLITE_TRANSIENT (SQLite copies it), so nothing needs to outlive the
/// bind call, except through ``bind(_:inPlace:)``, which the import uses for the texts it
/// laid out ahead (``RowTexts``). GRDB finalizes the statement once nothing holds it: this
/// holds it, because GRDB drops its cached statements when the schema changes (an import
/// that drops and rebuilds an index), which would otherwise leave a dangling pointer.
struct DirectStatement {
    private let statement: Statement
    private let raw: OpaquePointer
    private let db: Database

    /// SQLite's SQLITE_TRANSIENT, a macro Swift does not import.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    /// SQLite's SQLITE_STATIC (no destructor: the caller keeps the bytes alive).
    private static let inPlace: sqlite3_destructor_type? = nil

    init(_ statement: Statement, in db: Database) {
        self.statement = statement
        raw = statement.sqliteStatement
        self.db = db
    }

    /// Binds parameter `index` (from 1).
    func bind(_ index: Int32, _ number: Int64) throws {
        try check(sqlite3_bind_int64(raw, index, number))
    }

    func bind(_ index: Int32, _ number: Double) throws {
        try check(sqlite3_bind_double(raw, index, number))
    }

    /// Binds `text`, or NULL when it is nil.
    func bind(_ index: Int32, _ text: String?) throws {
        guard var text else { return try check(sqlite3_bind_null(raw, index)) }
        if text.isEmpty {
            // A non-null pointer: SQLite binds a null pointer as NULL, not as "".
            return try check(sqlite3_bind_text(raw, index, "", 0, Self.transient))
        }
        guard text.utf8.count <= Int(Int32.max) else { return try check(SQLITE_TOOBIG) }
        let code = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text(raw, index, chars.baseAddress, Int32(chars.count), Self.transient)
            }
        }
        try check(code)
    }

    /// Binds `text` where it lies, without SQLite copying it (SQLITE_STATIC), or NULL when
    /// it is nil. Its bytes must stay as they are until the statement has run and its
    /// bindings are cleared (``clearBindings()``): bind and clear inside the closure that
    /// lends them.
    func bind(_ index: Int32, inPlace text: UnsafeRawBufferPointer?) throws {
        guard let text else { return try check(sqlite3_bind_null(raw, index)) }
        guard text.count <= Int(Int32.max) else { return try check(SQLITE_TOOBIG) }
        guard let start = text.baseAddress else {
            // A non-null pointer: SQLite binds a null pointer as NULL, not as "".
            return try check(sqlite3_bind_text(raw, index, "", 0, Self.transient))
        }
        // The bytes are bound as UInt8, which CChar (Int8) may alias: same width, other sign.
        try check(
            sqlite3_bind_text(raw, index, start.assumingMemoryBound(to: CChar.self), Int32(text.count), Self.inPlace))
    }

    /// Sets parameter `index` back to NULL, so that it points to nothing bound in place.
    func unbind(_ index: Int32) {
        sqlite3_bind_null(raw, index)
    }

    /// Sets every parameter back to NULL: nothing bound in place is pointed to any more.
    func clearBindings() {
        sqlite3_clear_bindings(raw)
    }

    /// Runs the statement with the values bound to its end, and resets it. Throws a
    /// `DatabaseError` with SQLite's message on failure.
    func run() throws {
        let code = sqlite3_step(raw)
        // Reset before throwing, so that the statement holds no lock or half-done step.
        let resetCode = sqlite3_reset(raw)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw failure(resetCode == SQLITE_OK ? code : resetCode) }
    }

    /// Runs the statement with the values bound to its end and calls `body` with its first
    /// row, if it has one (nil otherwise); resets it either way.
    func withFirstRow<Result>(_ body: (SQLiteStatement) throws -> Result) throws -> Result? {
        let code = sqlite3_step(raw)
        guard code == SQLITE_ROW else {
            let resetCode = sqlite3_reset(raw)
            guard code == SQLITE_DONE else { throw failure(resetCode == SQLITE_OK ? code : resetCode) }
            return nil
        }
        defer { sqlite3_reset(raw) }
        return try body(raw)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw failure(code) }
    }

    private func failure(_ code: Int32) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
            sql: sqlite3_sql(raw).map { String(cString: $0) })
    }
}
