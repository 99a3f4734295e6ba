import Foundation
import GRDB
import RelaisCore
@testable import RelaisStorage
import Testing

/// The full-text index keeps no copy of the words (schema `v5`, `content = ''`): an event
/// that changes leaves its old words by the words made again from its stored row. These
/// tests change events' text again and again and check the index against the reference
/// semantics (`EventQuery.matches`) and FTS5's own integrity check, and upgrade a file
/// whose index still had its content.
@Suite struct ContentlessIndexTests {
    static let words = ["numerique", "donnees", "coeur", "usagers", "innovation", "atelier", "agents", "evenement"]

    @Test func changedTextsLeaveNoOldWords() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        var events = try syntheticEvents(60)
        try importEvents(events, into: catalogue)
        try expectIndexMatchesReference(catalogue, path: path, events: events)

        for round in 1...3 {
            // Titles, descriptions, organizers, places and tags change; some events keep
            // their text and change their slots only.
            for index in events.indices where (index + round) % 3 != 0 {
                events[index].title = "Atelier \(round) \(Self.words[(index + round) % Self.words.count])"
                events[index].description = index % 2 == 0 ? nil : "Cœur de l’événement \(round)"
                events[index].organizer = index % 5 == 0 ? nil : "Préfecture \(index % 4)"
                events[index].place = index % 4 == 0 ? "Salle \(round)" : nil
                events[index].tags = index % 3 == 0 ? [] : ["données", "usagers \(round)"]
            }
            for index in events.indices where (index + round) % 3 == 0 {
                events[index].slots = [try slot("2020-12-0\(round)T10:00", "2020-12-0\(round)T11:00")]
            }
            let report = try importEvents(events, into: catalogue)
            #expect(report.added == 0)
            #expect(report.updated + report.rescheduled + report.cancelled == events.count)
            try expectIndexMatchesReference(catalogue, path: path, events: events)
        }
    }

    @Test func aCatalogueWhoseIndexKeptItsContentIsUpgraded() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        var events = try syntheticEvents(40)
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            try importEvents(events, into: catalogue)
        }
        try makeIndexKeepItsContent(path: path)
        try makeFileOfBuildBeforeV6(path: path)
        do {
            let queue = try DatabaseQueue(path: path)
            let definition = try queue.read {
                try String.fetchOne($0, sql: "SELECT sql FROM sqlite_master WHERE name = 'events_fts'")
            }
            #expect(definition?.contains("content") == false)
        }

        let catalogue = try SQLiteCatalogue(path: path)
        let queue = try DatabaseQueue(path: path)
        let definition = try queue.read {
            try String.fetchOne($0, sql: "SELECT sql FROM sqlite_master WHERE name = 'events_fts'")
        }
        #expect(definition?.contains("content = ''") == true)
        #expect(
            try queue.read {
                try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'events_fts_content'")
            } == 0)
        try expectIndexMatchesReference(catalogue, path: path, events: events)

        // The words the upgrade copied are those a later change removes.
        for index in events.indices where index % 2 == 0 {
            events[index].title = "Forum \(index)"
            events[index].description = "Un forum."
            events[index].tags = []
        }
        try importEvents(events, into: catalogue)
        try expectIndexMatchesReference(catalogue, path: path, events: events)
    }

    /// Every word of the reference list, as a query, lists what `EventQuery.matches`
    /// selects; FTS5 finds its index consistent.
    private func expectIndexMatchesReference(
        _ catalogue: SQLiteCatalogue, path: String, events: [Event],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var queries = Self.words + ["forum", "prefecture", "salle", "un"]
        queries += (1...3).map { "usagers \($0)" }
        for text in queries {
            var query = EventQuery()
            query.text = text
            #expect(
                try listedIDs(catalogue, query) == referenceIDs(events, query), "\(text)",
                sourceLocation: sourceLocation)
        }
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
        }
    }
}

/// Turns the file into one of a build before `v5`: the index with its content, filled
/// with the words each stored event gives.
func makeIndexKeepItsContent(path: String) throws {
    let catalogue = try SQLiteCatalogue(path: path)
    var stored: [String: Event] = [:]
    try catalogue.forEachEvent(matching: EventQuery()) { event in
        stored[event.id] = event
        return true
    }
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
        let keys = try Row.fetchAll(db, sql: "SELECT event_key, id FROM events")
        try db.execute(
            sql: """
                DROP TABLE events_fts;
                CREATE VIRTUAL TABLE events_fts
                    USING fts5(words, tokenize = 'ascii', detail = 'none', columnsize = 0);
                DELETE FROM grdb_migrations WHERE identifier = 'v5';
                """)
        var searchWords = SearchWords()
        for row in keys {
            let id: String = row["id"]
            guard let event = stored[id] else {
                Issue.record("no stored event \(id)")
                continue
            }
            try db.execute(
                sql: "INSERT INTO events_fts (rowid, words) VALUES (?, ?)",
                arguments: [row["event_key"] as Int64, searchWords.joinedWords(of: event)])
        }
    }
}
