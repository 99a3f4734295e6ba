import Foundation
import GRDB
import RelaisCore
import RelaisStorage
import Testing

// An added event's change keeps no JSON of its own: its event is the `before` of the
// event's next change, or the event's row when there is none. Whatever happens to the
// event later, every change reads back as it was recorded.
@Suite("Implicit JSON of added events in the change log")
struct ImplicitChangeJSONTests {
    @Test func everyChangeReadsBackAsItWasRecordedAfterLaterChanges() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        let original = try makeEvent("e1", title: "Atelier d'origine", tags: ["a"])
        let other = try makeEvent("e2", title: "Un autre")
        try importEvents([original, other], into: catalogue, origin: "first.jsonl")
        var renamed = original
        renamed.title = "Atelier renommé"
        try importEvents([renamed, other], into: catalogue, origin: "second.jsonl")
        var cancelled = renamed
        cancelled.status = .cancelled
        try importEvents([cancelled, other], into: catalogue, origin: "third.jsonl")

        let changes = try catalogue.changes(after: 0, limit: 10)
        #expect(changes.map(\.kind) == [.added, .added, .updated, .cancelled])
        #expect(changes.map(\.eventID) == ["e1", "e2", "e1", "e1"])
        #expect(changes[0].before == nil && changes[0].after == original, "as added, not as it is now")
        #expect(changes[1].after == other, "never changed: read from its row")
        #expect(changes[2].before == original && changes[2].after == renamed)
        #expect(changes[3].before == renamed && changes[3].after == cancelled)
        #expect(try catalogue.changes(ofEvent: "e1").map(\.after) == [original, renamed, cancelled])

        // The added events' rows in the log hold no JSON; the others do.
        let stored = try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT kind, after_json FROM changes ORDER BY sequence").map {
                ($0[0] as String, ($0[1] as String).isEmpty)
            }
        }
        #expect(stored.map(\.1) == [true, true, false, false])
    }

    @Test func aLogWithTheJSONOfAddedEventsStillReads() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let event = try makeEvent("e1", title: "Écrit par une version antérieure")
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            try importEvents([event], into: catalogue)
        }
        // As an earlier Relais wrote it: the added event's JSON in full, and the row since
        // changed behind the log's back (which Relais never does), to tell them apart.
        let json = try DatabaseQueue(path: path).write { db -> String in
            let json = #"{"id":"e1","title":"Écrit par une version antérieure","kind":"workshop","status":"scheduled","slots":[{"start":"2020-11-10T09:30:00+01:00"}],"online":false}"#
            try db.execute(sql: "UPDATE changes SET after_json = ?", arguments: [json])
            try db.execute(sql: "UPDATE events SET title = 'Changé en douce' WHERE id = 'e1'")
            return json
        }
        #expect(!json.isEmpty)
        let catalogue = try SQLiteCatalogue(path: path)
        let changes = try catalogue.changes(after: 0, limit: 10)
        #expect(changes.count == 1)
        #expect(changes.first?.after.title == "Écrit par une version antérieure")
    }
}
