import GRDB
import GRDBSQLite

/// A prepared GRDB statement bound and stepped through SQLite's C API, for the import's
/// per-event inserts: GRDB's `StatementArguments` box every value in an existential and
/// convert it again, which cost about a tenth of an import, where binding a Swift
/// string's UTF-8 bytes directly costs a copy.
///
/// Values are bound SQLITE_TRANSIENT (SQLite copies them), so nothing needs to outlive
/// the bind call. The statement stays owned by GRDB, which finalizes it.
struct DirectStatement {
    private let raw: OpaquePointer
    private let db: Database

    /// SQLite's SQLITE_TRANSIENT, a macro Swift does not import.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: Statement, in db: Database) {
        raw = statement.sqliteStatement
        self.db = db
    }

    /// Binds `values` to the parameters from 1 in order, runs the statement to its end,
    /// and resets it. Throws a `DatabaseError` with SQLite's message on failure.
    func execute(_ values: [DirectValue]) throws {
        sqlite3_reset(raw)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null:
                code = sqlite3_bind_null(raw, index)
            case .integer(let number):
                code = sqlite3_bind_int64(raw, index, number)
            case .real(let number):
                code = sqlite3_bind_double(raw, index, number)
            case .text(var text):
                if text.isEmpty {
                    // A non-null pointer: SQLite binds a null pointer as NULL, not as "".
                    code = sqlite3_bind_text(raw, index, "", 0, Self.transient)
                } else if text.utf8.count > Int(Int32.max) {
                    code = SQLITE_TOOBIG
                } else {
                    code = text.withUTF8 { bytes in
                        bytes.withMemoryRebound(to: CChar.self) { chars in
                            sqlite3_bind_text(raw, index, chars.baseAddress, Int32(chars.count), Self.transient)
                        }
                    }
                }
            }
            guard code == SQLITE_OK else { throw failure(code) }
        }
        let code = sqlite3_step(raw)
        // Reset before throwing, so that the statement holds no lock or half-done step.
        let resetCode = sqlite3_reset(raw)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw failure(resetCode == SQLITE_OK ? code : resetCode) }
    }

    private func failure(_ code: Int32) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
            sql: sqlite3_sql(raw).map { String(cString: $0) })
    }
}

/// A value to bind with ``DirectStatement``.
enum DirectValue {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    init(_ text: String?) { self = text.map { .text($0) } ?? .null }
}
