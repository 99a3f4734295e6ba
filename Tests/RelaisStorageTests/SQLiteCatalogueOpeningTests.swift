import Foundation
import GRDB
import RelaisCore
import RelaisStorage
import Testing

/// Opening: creation, reopening, and clear refusals of files that are not catalogues.
@Suite struct SQLiteCatalogueOpeningTests {
    /// The message of the `CatalogueError` that opening `path` throws, or nil.
    func openingMessage(_ path: String) -> String? {
        do {
            _ = try SQLiteCatalogue(path: path)
            return nil
        } catch let error as CatalogueError {
            return error.message
        } catch {
            return "not a CatalogueError: \(error)"
        }
    }

    @Test func reopeningKeepsTheData() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        let events = try syntheticEvents(30)
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            try importEvents(events, into: catalogue)
        }
        let catalogue = try SQLiteCatalogue(path: path)
        #expect(try catalogue.count(matching: EventQuery()) == 30)
        #expect(try catalogue.event(id: events[7].id) == events[7])
        #expect(try catalogue.changes(after: 0, limit: 100).count == 30)
        #expect(try importEvents(events, into: catalogue).unchanged == 30)
    }

    /// `relais` turns SQLite's memory statistics off before anything opens a database. Once
    /// SQLite is in use (as here, where a catalogue is open) the call is refused by SQLite
    /// and must change nothing: no error, no crash, the open catalogue unharmed.
    @Test func preparingTheProcessLateChangesNothing() throws {
        let folder = try ScratchFolder()
        let catalogue = try SQLiteCatalogue(path: folder.path("catalogue.sqlite"))
        let events = try syntheticEvents(5)
        try importEvents(events, into: catalogue)

        #expect(SQLiteCatalogue.prepareProcess() == false, "SQLite was already initialised")
        #expect(try catalogue.count(matching: EventQuery()) == 5)
        #expect(try importEvents(events, into: catalogue).unchanged == 5)
    }

    @Test func anEmptyFileBecomesACatalogue() throws {
        let folder = try ScratchFolder()
        let path = folder.path("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let catalogue = try SQLiteCatalogue(path: path)
        try importEvents([try makeEvent("e1")], into: catalogue)
        #expect(try catalogue.count(matching: EventQuery()) == 1)
    }

    @Test func aFileThatIsNotSQLiteIsRefusedUntouched() throws {
        let folder = try ScratchFolder()
        let path = folder.path("notes.sqlite")
        let text = Data(String(repeating: "Ceci n'est pas une base de données.\n", count: 200).utf8)
        try text.write(to: URL(fileURLWithPath: path))
        let message = openingMessage(path)
        #expect(message == "\(path): not a Relais catalogue (not a SQLite database)")
        #expect(try folder.contents("notes.sqlite") == text)
    }

    @Test func anotherApplicationsDatabaseIsRefusedUntouched() throws {
        let folder = try ScratchFolder()
        let path = folder.path("other.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE players (name TEXT); INSERT INTO players VALUES ('Arthur')")
            }
        }
        let before = try folder.contents("other.sqlite")
        #expect(openingMessage(path) == "\(path): not a Relais catalogue (a SQLite database of another application)")
        #expect(try folder.contents("other.sqlite") == before)
    }

    @Test func aCatalogueFromANewerRelaisIsRefused() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        do { _ = try SQLiteCatalogue(path: path) }
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')") }
        }
        let message = try #require(openingMessage(path))
        #expect(message.hasPrefix("\(path): the catalogue was written by a newer version of Relais"))
        #expect(message.contains("v99"))
    }

    @Test func aMissingFolderIsNamed() throws {
        let folder = try ScratchFolder()
        let path = folder.path("missing/catalogue.sqlite")
        #expect(
            openingMessage(path)
                == "cannot create the catalogue \(path): the folder \(folder.path("missing")) does not exist")
        #expect(!FileManager.default.fileExists(atPath: folder.path("missing")))
    }

    @Test func aFolderIsNotACatalogue() throws {
        let folder = try ScratchFolder()
        #expect(openingMessage(folder.url.path) == "\(folder.url.path): is a folder, not a catalogue file")
        #expect(openingMessage("") == "the catalogue path is empty")
    }

    @Test func anUnreadableFileIsNamed() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            try importEvents([try makeEvent("e1")], into: catalogue)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path) }
        // Root reads anything: only check the message when the file really is unreadable.
        guard !FileManager.default.isReadableFile(atPath: path) else { return }
        let message = try #require(openingMessage(path))
        #expect(message.hasPrefix("\(path): "))
    }

    @Test func damagedRowsGiveClearErrorsAndNeverCommit() throws {
        let folder = try ScratchFolder()
        let path = folder.path("catalogue.sqlite")
        do {
            let catalogue = try SQLiteCatalogue(path: path)
            try importEvents([try makeEvent("good"), try makeEvent("bad")], into: catalogue)
        }
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in try db.execute(sql: "UPDATE events SET kind = 'nope' WHERE id = 'bad'") }
        }
        let catalogue = try SQLiteCatalogue(path: path)
        #expect(try catalogue.event(id: "good") != nil)
        var message: String?
        do {
            _ = try catalogue.event(id: "bad")
        } catch let error as CatalogueError {
            message = error.message
        }
        #expect(message == "\(path): the catalogue is damaged: event 'bad' has the unknown kind 'nope'")
        #expect(throws: CatalogueError.self) { try listedIDs(catalogue) }

        // A put that fails half-way poisons its batch, even when `work` goes on.
        var caught = 0
        #expect(throws: CatalogueError.self) {
            _ = try catalogue.importBatch(origin: "retry", dryRun: false) { session in
                try session.put(try makeEvent("new"))
                do { try session.put(try makeEvent("bad", title: "Réparé")) } catch { caught += 1 }
                do { try session.put(try makeEvent("other")) } catch { caught += 1 }
            }
        }
        #expect(caught == 2)
        #expect(try catalogue.event(id: "new") == nil)
        let changeRows = try DatabaseQueue(path: path).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes")
        }
        #expect(changeRows == 2, "nothing of the failed batch was committed")
        // An added event's change reads the event's row (its JSON is implicit in the log):
        // the good one reads back, the damaged one says so.
        #expect(try catalogue.changes(after: 0, limit: 1).map(\.after.id) == ["good"])
        #expect(throws: CatalogueError.self) { try catalogue.changes(after: 0, limit: 10) }
    }

    /// Values of a type the column never holds (a blob title, a text where `online` is an
    /// integer), whichever way a listing reads them: built events, or fields lent to a filter.
    @Test func valuesOfAnotherTypeAreNamedWithTheirEventAndColumn() throws {
        let twoEvents = try GoodAndBadCatalogue()
        let path = twoEvents.path
        let damage = twoEvents.damage
        func listingMessage(passing prefilter: (any EventPrefilter)?) throws -> String? {
            let catalogue = try SQLiteCatalogue(path: path)
            do {
                if let prefilter {
                    try catalogue.forEachEvent(matching: EventQuery(), passing: prefilter) { _ in true }
                } else {
                    try catalogue.forEachEvent(matching: EventQuery()) { _ in true }
                }
            } catch let error as CatalogueError {
                return error.message
            }
            return nil
        }
        try damage("title = X'00ff'")
        #expect(
            try listingMessage(passing: nil)
                == "\(path): the catalogue is damaged: event 'bad' has a value of an unexpected type in column 'title'")
        try damage("title = 'Réparé', online = 'oui'")
        let lending = try #require(try listingMessage(passing: PassEverything()))
        #expect(lending.hasSuffix("event 'bad' has a value of an unexpected type in column 'online'"), "\(lending)")
    }
}

extension SQLiteCatalogueOpeningTests {
    @Test func listsWrittenOtherwiseAreReadAndDamagedValuesAreNamed() throws {
        let twoEvents = try GoodAndBadCatalogue()
        let path = twoEvents.path
        let damage = twoEvents.damage
        /// The event as a listing builds it and as a lookup by id builds it.
        func bothReadings() throws -> (listed: Event?, found: Event?) {
            let catalogue = try SQLiteCatalogue(path: path)
            var listed: Event?
            try catalogue.forEachEvent(matching: EventQuery()) { event in
                if event.id == "bad" { listed = event }
                return true
            }
            return (listed, try catalogue.event(id: "bad"))
        }
        func messages() throws -> [String] {
            let catalogue = try SQLiteCatalogue(path: path)
            var messages: [String] = []
            do { try catalogue.forEachEvent(matching: EventQuery()) { _ in true } } catch let error as CatalogueError {
                messages.append(error.message)
            }
            do { _ = try catalogue.event(id: "bad") } catch let error as CatalogueError { messages.append(error.message) }
            return messages
        }
        // JSON that another program wrote: spaces, escapes, an empty list.
        try damage(#"tags = '[ "a" , "b\"c", "\u00e9t\u00e9" ]', audience = '[]'"#)
        let (listed, found) = try bothReadings()
        #expect(listed?.tags == ["a", "b\"c", "été"])
        #expect(found?.tags == ["a", "b\"c", "été"])
        #expect(listed?.audience == [] && found?.audience == [])
        let damaged: [(String, String)] = [
            (#"tags = '["a",]'"#, #"event 'bad' has unreadable tags '["a",]'"#),
            (#"tags = NULL, audience = '["a" "b"]'"#, #"event 'bad' has unreadable audience '["a" "b"]'"#),
            ("audience = '[1]'", "event 'bad' has unreadable audience '[1]'"),
            ("audience = NULL, status = 'later'", "event 'bad' has the unknown status 'later'"),
            ("status = 'scheduled', region = 'ZZ'", "event 'bad' has the unknown region code 'ZZ'"),
            ("region = NULL, kind = 'workshopp'", "event 'bad' has the unknown kind 'workshopp'"),
            ("kind = 'workshop', slots = '2020-11-10/nope'", "event 'bad' has unreadable slots '2020-11-10/nope'"),
        ]
        for (assignment, problem) in damaged {
            try damage(assignment)
            let expected = "\(path): the catalogue is damaged: \(problem)"
            #expect(try messages() == [expected, expected], "\(assignment)")
        }
    }
}

/// A catalogue file of two events, `good` and `bad`, whose `bad` row another program
/// changes by hand.
private struct GoodAndBadCatalogue {
    let folder: ScratchFolder
    let path: String

    init() throws {
        folder = try ScratchFolder()
        path = folder.path("catalogue.sqlite")
        let catalogue = try SQLiteCatalogue(path: path)
        try importEvents([try makeEvent("good"), try makeEvent("bad")], into: catalogue)
    }

    /// Runs `UPDATE events SET <assignment>` on the `bad` row, outside Relais.
    func damage(_ assignment: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "UPDATE events SET \(assignment) WHERE id = 'bad'") }
    }
}

/// A prefilter that passes every event, reading the fields the listing lends.
private final class PassEverything: EventPrefilter {
    func matches(_ event: Event) throws -> Bool { true }
    func matches(fields: EventFieldTexts) throws -> Bool { fields[.id] != nil }
}
