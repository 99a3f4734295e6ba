import Foundation
import RelaisCore
import RelaisFormats
import Testing

/// A directory of its own for one test, removed when the value goes away.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("relais-formats-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` to `name` and returns its path.
    @discardableResult
    func file(_ name: String, bytes: [UInt8]) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `text` as UTF-8 to `name` and returns its path.
    @discardableResult
    func file(_ name: String, _ text: String) throws -> String {
        try file(name, bytes: Array(text.utf8))
    }

    /// The files in the directory, sorted.
    func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// Reads every event of `path` with `reader`.
func readEvents(_ reader: some EventReader, _ path: String) throws -> [Event] {
    var events: [Event] = []
    try reader.read(ImportInput(url: URL(fileURLWithPath: path), displayName: "input")) { events.append($0) }
    return events
}

/// Reads `text` (written to a temporary file named `name`) with `reader`.
func readEvents(_ reader: some EventReader, name: String, _ text: String) throws -> [Event] {
    let directory = try TemporaryDirectory()
    return try readEvents(reader, directory.file(name, text))
}

/// The ``ImportError`` reading `bytes` throws, or nil (and a test failure) if none.
func importError(
    _ reader: some EventReader, name: String, bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
) -> ImportError? {
    do {
        let directory = try TemporaryDirectory()
        let path = try directory.file(name, bytes: bytes)
        _ = try readEvents(reader, path)
        Issue.record("expected an ImportError, read without error", sourceLocation: sourceLocation)
    } catch let error as ImportError {
        #expect(error.file == "input", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected an ImportError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Checks that reading `text` fails at `location`, on `field`, with a message containing
/// `message`.
func expectImportError(
    _ reader: some EventReader, name: String, _ text: String, location: RecordLocation?, field: String?,
    message: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    expectImportError(
        reader, name: name, bytes: Array(text.utf8), location: location, field: field, message: message,
        sourceLocation: sourceLocation)
}

func expectImportError(
    _ reader: some EventReader, name: String, bytes: [UInt8], location: RecordLocation?, field: String?,
    message: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error = importError(reader, name: name, bytes: bytes, sourceLocation: sourceLocation) else { return }
    #expect(error.location == location, "\(error)", sourceLocation: sourceLocation)
    #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
}

/// Sample events covering every field, all-day and timed slots, several slots, escapes.
enum Samples {
    static func time(_ text: String) -> EventTime {
        guard let time = EventTime(parsing: text) else {
            Issue.record("bad sample time \(text)")
            return .allDay(CivilDate(year: 2020, month: 11, day: 1))
        }
        return time
    }

    /// The small event the golden strings describe.
    static var workshop: Event {
        Event(
            id: "mip2020-test", title: "Atelier « design », 1", kind: .workshop,
            slots: [Slot(start: time("2020-11-10T09:30:00+01:00"), end: time("2020-11-10T11:30:00+01:00"))],
            region: Region(code: "75"), online: true, lab: "la-base", organizer: "La Base",
            place: "Bordeaux; salle \"A\"", audience: ["agents"], tags: ["design", "numérique"],
            description: "Ligne 1\nLigne 2")
    }

    static var national: Event {
        Event(
            id: "mip2020-national", title: "Mois de l’innovation publique", kind: .other, status: .postponed,
            slots: [Slot(start: time("2020-11-02"), end: time("2020-11-30"))])
    }

    static var multiSlot: Event {
        Event(
            id: "ti-lab:webinaires@2020", title: "Cycle de webinaires\tdu Ti-Lab", kind: .webinar, status: .cancelled,
            slots: [
                Slot(start: time("2020-11-17T14:00:00+01:00"), end: time("2020-11-17T15:30:00+01:00")),
                Slot(start: time("2020-11-24T14:00:00+01:00")),
                Slot(start: time("2020-11-26")),
            ],
            region: Region(code: "53"), lab: "ti-lab", url: "https://example.org/?a=1,b=2", contact: "contact@example.org",
            audience: ["agents", "elected"], tags: ["a \"quoted\" tag", "données"],
            description: "Texte avec, virgules; points-virgules\net \"guillemets\" \\ barre \u{1F600}")
    }

    static var all: [Event] { [workshop, national, multiSlot] }

    /// A valid JSON Lines record for `id`, with `extra` fields merged in (`"key": value`).
    static func jsonRecord(id: String = "e1", _ extra: String = "") -> String {
        var text = #"{"id": "\#(id)", "title": "Atelier", "kind": "workshop", "slots": [{"start": "2020-11-10T09:30", "end": "2020-11-10T11:30"}]"#
        if !extra.isEmpty { text += ", " + extra }
        return text + "}"
    }
}
