import Foundation
import GRDB
import RelaisCore

/// Saved queries live in the catalogue (`saved_queries`, schema v4).
extension SQLiteCatalogue: SavedQueryStore {
    public func savedQueries() throws -> [SavedQuery] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT name, text, saved_at FROM saved_queries ORDER BY name").map(Self.savedQuery)
        }
    }

    public func savedQuery(named name: String) throws -> SavedQuery? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT name, text, saved_at FROM saved_queries WHERE name = ?", arguments: [name])
                .map(Self.savedQuery)
        }
    }

    public func save(_ query: SavedQuery) throws {
        guard SavedQuery.isValidName(query.name) else {
            throw CatalogueError("'\(query.name.prefix(80))' cannot name a saved query (letters, digits, - and _)")
        }
        try writing { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO saved_queries (name, text, saved_at) VALUES (?, ?, ?)",
                arguments: [query.name, query.text, query.savedAt.timeIntervalSince1970])
        }
    }

    @discardableResult
    public func deleteSavedQuery(named name: String) throws -> Bool {
        try writing { db in
            try db.execute(sql: "DELETE FROM saved_queries WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    /// The history of event `id`: its changes, oldest first.
    public func changes(ofEvent id: String) throws -> [EventChange] {
        try reading { db in try ChangeLog.changes(db, ofEvent: id) }
    }

    private static func savedQuery(_ row: Row) -> SavedQuery {
        SavedQuery(name: row[0], text: row[1], savedAt: Date(timeIntervalSince1970: row[2]))
    }
}

extension SQLiteCatalogue {
    /// Event ids starting with `prefix`, in order, at most `limit` (for completion).
    public func eventIDs(startingWith prefix: String, limit: Int) throws -> [String] {
        try reading { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM events WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT ?",
                arguments: [prefix.unicodeScalars.count, prefix, limit])
        }
    }
}
