import Foundation
import RelaisCore
import RelaisFormats
import Testing

private typealias F = ICalendarFixtures

/// Events that exercise every field and every kind of slot.
enum ICalendarSamples {
    static func varied() throws -> [Event] {
        func t(_ text: String) throws -> EventTime { try F.time(text) }
        return [
            Event(
                id: "mip2020-bretagne-atelier", title: "Atelier « design des services », 2ᵉ édition; suite \\ fin",
                kind: .workshop,
                slots: [Slot(start: try t("2020-11-10T09:30"), end: try t("2020-11-10T11:30"))],
                region: Region(code: "53"), online: false, lab: "ti-lab", organizer: "Ti Lab, \"Bretagne\" ^ Rennes",
                place: "Rennes; salle 3, étage 2", url: "https://example.fr/atelier?a=1,2;b=3",
                contact: "ti-lab@bretagne.bzh", audience: ["agents", "public"],
                tags: ["design", "a,b", "c:d", "e\\f", "numérique"],
                description: "Première ligne\nDeuxième ligne, avec ; et \\ et des émojis 🎉🇫🇷\n\nFin."),
            Event(
                id: "mip2020-national-mois", title: "Mois de l’innovation publique", kind: .other,
                slots: [Slot(start: try t("2020-11-02"), end: try t("2020-11-30"))], online: true,
                organizer: "DITP", place: "En ligne", audience: ["agents"], tags: ["innovation publique"]),
            Event(
                id: "mip2020-tour", title: "Tour des labs", kind: .forum, status: .postponed,
                slots: [
                    Slot(start: try t("2020-11-17")),
                    Slot(start: try t("2020-11-18"), end: try t("2020-11-18")),
                    Slot(start: try t("2020-11-19"), end: try t("2020-11-21")),
                    Slot(start: try t("2020-11-24T14:00"), end: try t("2020-11-24T17:30")),
                    Slot(start: try t("2020-11-25T10:00")),
                    Slot(start: try t("2020-11-26T10:00"), end: try t("2020-11-26T10:00")),
                ],
                region: Region(code: "75"), organizer: "Région Nouvelle-Aquitaine", contact: "+33 5 00 00 00 00"),
            Event(
                id: "mip2020-annule", title: "Webinaire annulé", kind: .webinar, status: .cancelled,
                slots: [
                    Slot(start: try t("2020-11-12T18:00:00+01:00"), end: try t("2020-11-12T19:00:00+01:00")),
                    Slot(start: try t("2020-11-19T18:00:00+01:00"), end: try t("2020-11-19T19:00:00+01:00")),
                ],
                region: Region(code: "04"), online: true, contact: "webinaire@example.re"),
            Event(
                id: "dst.nuits_d-automne@relais", title: "Nuits des changements d’heure", kind: .hackathon,
                slots: [
                    Slot(start: try t("2020-10-25T00:30:00Z"), end: try t("2020-10-25T01:30:00Z")),
                    Slot(start: try t("2020-10-25T01:30:00Z"), end: try t("2020-10-25T03:00:00Z")),
                    Slot(start: try t("2021-03-28T00:30:00Z"), end: try t("2021-03-28T01:30:00Z")),
                    Slot(start: try t("1989-06-01T08:00:00Z"), end: try t("1989-10-01T08:00:00Z")),
                    Slot(start: try t("2020-12-31T23:00:00Z"), end: try t("2021-01-01T01:00:00Z")),
                ],
                description: "Deux lignes\net une tabulation\tici"),
            Event(
                id: "mip2020-podcast", title: "Podcast", kind: .podcast,
                slots: [Slot(start: try t("2020-11-20T12:00:00+01:00"))], url: "https://example.fr/\u{1F399}",
                contact: "Écrire à l’équipe", tags: []),
            Event(
                id: "mip2020-long", title: String(repeating: "Titre très long à replier ", count: 19).trimmingCharacters(in: .whitespaces),
                kind: .conference, slots: [Slot(start: try t("2020-11-05"))],
                organizer: String(repeating: "Organisme public à nom interminable ", count: 6).trimmingCharacters(in: .whitespaces),
                place: String(repeating: "🏛️ Hôtel de région ", count: 12).trimmingCharacters(in: .whitespaces),
                contact: "a@b.fr", description: String(repeating: "Texte avec accents éèêàç et ligatures œæ, ", count: 300)
                    .trimmingCharacters(in: .whitespaces)),
        ]
    }
}

@Suite("iCalendar round trip")
struct ICalendarRoundTripTests {
    @Test func variedEventsComeBackEqual() throws {
        let events = try ICalendarSamples.varied()
        for event in events { #expect(event.validationProblem() == nil, "\(event.id)") }
        let text = try F.export(events)
        let back = try F.read(text)
        #expect(back.map(\.id) == events.map(\.id))
        for (original, read) in zip(events, back) {
            #expect(read == original, "\(original.id)")
        }
        // And the export of what was read is the same file.
        #expect(try F.export(back) == text)
    }

    @Test func eachEventAloneComesBackEqual() throws {
        for event in try ICalendarSamples.varied() {
            #expect(try F.read(try F.export([event])) == [event], "\(event.id)")
        }
    }

    @Test func carriageReturnsBecomeLineFeeds() throws {
        // TEXT has no escape for CR: a CRLF or a lone CR is written as a line break.
        let event = Event(
            id: "cr", title: "Titre", kind: .other, slots: [Slot(start: try F.time("2020-11-17"))],
            description: "a\r\nb\rc\nd\u{7}e")
        let back = try F.readOne(try F.export([event]))
        #expect(back.description == "a\nb\nc\nde")
    }

    @Test func exampleProgrammeComesBackEqual() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/mip2020.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        var events: [Event] = []
        for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))
            guard case .object(let record) = value.interchange else {
                Issue.record("not an object: \(line.prefix(60))")
                continue
            }
            events.append(try EventRecordDecoding.event(from: record))
        }
        #expect(events.count > 10)
        let back = try F.read(try F.export(events))
        #expect(back.count == events.count)
        for (original, read) in zip(events, back) { #expect(read == original, "\(original.id)") }
    }
}

/// Any JSON value, decoded into the interchange form.
private struct JSONValue: Decodable {
    var interchange: InterchangeValue

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            interchange = .null
        } else if let value = try? container.decode(Bool.self) {
            interchange = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            interchange = .number(value)
        } else if let value = try? container.decode(String.self) {
            interchange = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            interchange = .array(value.map(\.interchange))
        } else {
            interchange = .object(try container.decode([String: JSONValue].self).mapValues(\.interchange))
        }
    }
}
