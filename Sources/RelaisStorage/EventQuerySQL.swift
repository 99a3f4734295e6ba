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
    /// True when the query cannot match anything: `limit` zero or less, or a text word
    /// that starts no term of the index.
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
    /// start with it (see ``search(_:expandedIn:)``).
    init(_ query: EventQuery, in db: Database? = nil, textPlan: TextPlan = .automatic) {
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
        let search = words.isEmpty ? nil : db.map { Self.search(words, expandedIn: $0) }
        let limit = query.limit ?? Int.max
        // Few matches expected: collecting and sorting them beats walking the whole index.
        let fewMatches = search.map { $0.density > 0 && $0.density * Double($0.catalogueSize) < 4 * Double(limit) } ?? false
        let walksListing = !words.isEmpty && limit <= Self.orderedTextSearchLimit && !fewMatches
        if walksListing { table = "events e INDEXED BY events_listing" }
        if !words.isEmpty {
            let probes: Bool
            switch textPlan {
            case .probe: probes = walksListing
            case .collect: probes = false
            case .automatic:
                probes = walksListing && Self.probingIsCheaper(density: search?.density ?? 0, of: search?.catalogueSize ?? 0, limit: query.limit ?? Int.max)
            }
            if probes {
                conditions.append("EXISTS (SELECT 1 FROM events_fts f WHERE events_fts MATCH ? AND f.rowid = e.event_key)")
            } else {
                conditions.append("e.event_key IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)")
            }
            values.append(search?.match ?? Self.ftsQuery(words))
        }
        if let limit = query.limit {
            limitClause = " LIMIT ?"
            values.append(max(limit, 0))
        }
        // A word that starts no term of the index: nothing can match.
        isEmpty = (query.limit ?? 1) <= 0 || search?.matchesNothing == true
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

    /// How the first matches of a text search are found while walking the listing index.
    enum TextPlan {
        /// By the estimated share of the catalogue that matches (``probingIsCheaper``).
        case automatic
        /// Each entry asks the full-text index whether it matches.
        case probe
        /// The set of matches is collected first, and each entry is looked up in it.
        case collect
    }

    /// What probing one entry costs, over what collecting one match costs: measured at a
    /// million events, 130 µs against 0.4 µs.
    static let probeCostRatio = 325.0

    /// Whether probing the listing's entries one by one finds the first `limit` matches
    /// sooner than collecting every match first. Probing costs `limit / density` probes;
    /// collecting costs one insertion per match, `density × size`. A search whose density
    /// is unknown (0) collects: probing a rare word would walk the whole catalogue.
    static func probingIsCheaper(density: Double, of size: Int, limit: Int) -> Bool {
        guard density > 0.05, size > 0, limit > 0 else { return false }
        return density * density * Double(size) > probeCostRatio * Double(limit)
    }

    /// The FTS5 query of `words` with each word's prefix spelled out as the terms of the
    /// index that start with it: `("numerique" OR "numeriques") AND ("innovation")`. FTS5
    /// answers a prefix term by merging the whole posting list of every term it covers
    /// before the first row (270 ms for two common words over a million events); an OR of
    /// the same terms is read lazily (46 ms). The terms come from `temp.events_fts_terms`,
    /// an `fts5vocab` table every connection creates; a word with too many terms, or no
    /// vocabulary table, keeps its prefix form.
    ///
    /// With it, the share of the catalogue the query should match: the product of each
    /// word's share of documents (as if the words were independent), 0 when a word's terms
    /// are not all known.
    static func search(_ words: [String], expandedIn db: Database)
        -> (match: String, density: Double, catalogueSize: Int, matchesNothing: Bool)
    {
        var matchesNothing = false
        let size = (try? Int.fetchOne(db, sql: "SELECT MAX(event_key) FROM events")) ?? 0
        var density = size > 0 ? 1.0 : 0
        var parts: [String] = []
        for word in words {
            let rows = try? Row.fetchAll(
                db, sql: "SELECT term, doc FROM temp.events_fts_terms WHERE term >= ? AND term < ? LIMIT ?",
                arguments: [word, word + "\u{10FFFF}", prefixExpansionLimit + 1])
            guard let rows, rows.count <= prefixExpansionLimit else {
                parts.append(quoted(word) + "*")
                density = 0
                continue
            }
            let terms: [String] = rows.compactMap { $0[0] }
            let documents = rows.reduce(0) { $0 + ((($1[1] as Int?) ?? 0)) }
            if size > 0 { density *= min(1, Double(documents) / Double(size)) }
            // No term starts with the word: an exact term that is not in the index matches nothing.
            if terms.isEmpty { matchesNothing = true }
            parts.append(terms.isEmpty ? quoted(word) : "(" + terms.map(quoted).joined(separator: " OR ") + ")")
        }
        return (parts.joined(separator: " AND "), density, size, matchesNothing)
    }

    private static func quoted(_ word: String) -> String {
        "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
