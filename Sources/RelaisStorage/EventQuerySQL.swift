import GRDB
import RelaisCore

/// The built-in filters of an ``EventQuery`` as the WHERE clause of a query over
/// `events e`, with its arguments. Every value is bound as an argument, never spliced
/// into the SQL text.
///
/// It must select exactly the events ``EventQuery/matches(_:)`` accepts:
/// - values within one filter are ORed (`IN`), filters are ANDed;
/// - the date window keeps an event when one of its slots' covered range overlaps the
///   window. `first_start <= end AND last_end >= start` is necessary for that and is
///   tested on the listing index; it is also sufficient for a one-slot event, so only
///   events with several slots look at the `slots` table;
/// - text: each folded query word is a quoted prefix term of FTS5, all of them ANDed.
struct EventQuerySQL {
    private(set) var whereClause = ""
    private(set) var arguments = StatementArguments()
    /// ` LIMIT ?` with its argument already in ``arguments``, or empty.
    private(set) var limitClause = ""
    /// True when the query cannot match anything (`limit` zero or less).
    let isEmpty: Bool
    /// `events e`, with the listing index imposed for the first few matches of a text
    /// search: SQLite would otherwise sort every match (tens of thousands in a national
    /// catalogue) to return the first fifty, where walking the listing index in order and
    /// testing each entry against the set of matches stops at the fiftieth. A search with
    /// few matches then walks the whole index (30 ms at a million events) instead of
    /// sorting a handful: worth it for the pages of an interactive search.
    private(set) var table = "events e"
    /// The largest limit that gets the listing index imposed (a REPL table and one more).
    static let orderedTextSearchLimit = 1_001

    /// With `db`, each word's prefix is expanded into the few terms of the index that
    /// start with it (see ``ftsQuery(_:expandedIn:)``).
    init(_ query: EventQuery, in db: Database? = nil) {
        var conditions: [String] = []
        var values: [any DatabaseValueConvertible] = []

        func list(_ column: String, _ items: [String]) {
            var unique: [String] = []
            for item in items where !unique.contains(item) { unique.append(item) }
            conditions.append("e.\(column) IN (\(Array(repeating: "?", count: unique.count).joined(separator: ", ")))")
            values.append(contentsOf: unique as [any DatabaseValueConvertible])
        }

        if !query.regions.isEmpty {
            var codes: [String] = []
            var national = false
            for filter in query.regions {
                switch filter {
                case .national: national = true
                case .region(let region): if !codes.contains(region.code) { codes.append(region.code) }
                }
            }
            var alternatives: [String] = []
            if !codes.isEmpty {
                alternatives.append("e.region IN (\(Array(repeating: "?", count: codes.count).joined(separator: ", ")))")
                values.append(contentsOf: codes as [any DatabaseValueConvertible])
            }
            if national { alternatives.append("e.region IS NULL") }
            conditions.append("(" + alternatives.joined(separator: " OR ") + ")")
        }
        if !query.kinds.isEmpty { list("kind", query.kinds.map(\.rawValue)) }
        if !query.labs.isEmpty { list("lab", query.labs) }
        if !query.statuses.isEmpty { list("status", query.statuses.map(\.rawValue)) }
        if let online = query.online {
            conditions.append("e.online = ?")
            values.append(online ? 1 : 0)
        }
        if query.from != nil || query.to != nil {
            let window = query.window
            var slotConditions: [String] = []
            var slotValues: [any DatabaseValueConvertible] = []
            if let end = window.to?.timeIntervalSince1970 {
                conditions.append("e.first_start <= ?")
                values.append(end)
                slotConditions.append("s.covered_start <= ?")
                slotValues.append(end)
            }
            if let start = window.from?.timeIntervalSince1970 {
                conditions.append("e.last_end >= ?")
                values.append(start)
                if query.startingInWindow {
                    // A range of the listing index, not a scan from the first event.
                    conditions.append("e.first_start >= ?")
                    values.append(start)
                }
                slotConditions.append("s.covered_end >= ?")
                slotValues.append(start)
            }
            if !slotConditions.isEmpty {
                conditions.append(
                    "(e.slot_count = 1 OR EXISTS (SELECT 1 FROM slots s WHERE s.event_key = e.event_key AND "
                        + slotConditions.joined(separator: " AND ") + "))")
                values.append(contentsOf: slotValues)
            }
        }
        if let after = query.after {
            // Keyset paging in the listing order (first_start, id).
            conditions.append("(e.first_start > ? OR (e.first_start = ? AND e.id > ?))")
            values.append(after.firstStart.timeIntervalSince1970)
            values.append(after.firstStart.timeIntervalSince1970)
            values.append(after.id)
        }
        let words = query.textWords
        if !words.isEmpty {
            conditions.append("e.event_key IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)")
            values.append(db.map { Self.ftsQuery(words, expandedIn: $0) } ?? Self.ftsQuery(words))
        }
        if let limit = query.limit, !words.isEmpty, limit <= Self.orderedTextSearchLimit {
            table = "events e INDEXED BY events_listing"
        }
        if let limit = query.limit {
            limitClause = " LIMIT ?"
            values.append(max(limit, 0))
        }
        isEmpty = (query.limit ?? 1) <= 0
        if !conditions.isEmpty { whereClause = " WHERE " + conditions.joined(separator: " AND ") }
        arguments = StatementArguments(values)
    }

    /// `"word1"* "word2"*`: every word a prefix term, implicitly ANDed. Quoting makes
    /// each word a string whatever it holds (`OR`, `NEAR`, `-`, `*`, parentheses); a quote
    /// inside is doubled, FTS5's own escape.
    static func ftsQuery(_ words: [String]) -> String {
        words.map { quoted($0) + "*" }.joined(separator: " ")
    }

    /// The most terms a word's prefix is replaced by; a shorter prefix stays a prefix term.
    static let prefixExpansionLimit = 32

    /// The same query with each word's prefix spelled out as the terms of the index that
    /// start with it: `("numerique" OR "numeriques") AND ("innovation")`. FTS5 answers a
    /// prefix term by merging the whole posting list of every term it covers before the
    /// first row (270 ms for two common words over a million events); an OR of the same
    /// terms is read lazily (46 ms). The terms come from `temp.events_fts_terms`, an
    /// `fts5vocab` table every connection creates; a word with too many terms, or no
    /// vocabulary table, keeps its prefix form.
    static func ftsQuery(_ words: [String], expandedIn db: Database) -> String {
        words.map { word -> String in
            let terms = try? String.fetchAll(
                db, sql: "SELECT term FROM temp.events_fts_terms WHERE term >= ? AND term < ? LIMIT ?",
                arguments: [word, word + "\u{10FFFF}", prefixExpansionLimit + 1])
            guard let terms, terms.count <= prefixExpansionLimit else { return quoted(word) + "*" }
            // No term starts with the word: an exact term that is not in the index matches nothing.
            if terms.isEmpty { return quoted(word) }
            return "(" + terms.map(quoted).joined(separator: " OR ") + ")"
        }.joined(separator: " AND ")
    }

    private static func quoted(_ word: String) -> String {
        "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
