import Foundation
import RelaisCore
import Testing

@Suite("Interchange record decoding")
struct EventRecordDecodingTests {
    typealias Record = [String: InterchangeValue]

    static let fullRecord: Record = [
        "id": .string("mip2020:na-042_atelier@la-base.fr"),
        "title": .string("  Atelier « design des politiques publiques »\n"),
        "kind": .string("round-table"),
        "status": .string("postponed"),
        "slots": .array([
            .object(["start": .string("2020-11-10T09:30"), "end": .string("2020-11-10T11:30")]),
            .object(["start": .string("2020-11-17"), "end": .string("2020-11-27")]),
            .object(["start": .string("2020-11-19T14:00:00+01:00")]),
            .object(["start": .string("2020-11-20T08:00:00Z"), "end": .null]),
            .object(["start": .string("2020-11-24"), "end": .string("")]),
        ]),
        "region": .string("75"),
        "online": .bool(true),
        "lab": .string("la-base"),
        "organizer": .string("La Base"),
        "place": .string("Bordeaux"),
        "url": .string("https://example.org/mip/42"),
        "contact": .string("contact@example.org"),
        "audience": .array([.string("agents"), .string("public")]),
        "tags": .array([.string("numérique"), .string("design")]),
        "description": .string("Une matinée pour « faire avec » les usagers."),
    ]

    static let minimalRecord: Record = [
        "id": .string("e1"),
        "title": .string("Webinaire"),
        "kind": .string("webinar"),
        "slots": .array([.object(["start": .string("2020-11-10")])]),
    ]

    /// Every field of the contract is recognised as itself: a value of the wrong type is
    /// refused under the field's own name, never as an unknown field.
    @Test(arguments: EventRecordDecoding.fieldNames)
    func everyContractFieldIsKnown(_ name: String) {
        var record = Self.fullRecord
        record[name] = name == "online" ? .string("oui") : .bool(true)
        do {
            let event = try EventRecordDecoding.event(from: record)
            Issue.record("\(name) of the wrong type was accepted: \(event)")
        } catch {
            #expect(error.field == name)
            #expect(!error.message.contains("unknown field"), "\(error.message)")
        }
    }

    @Test func decodesAFullRecord() throws {
        let event = try EventRecordDecoding.event(from: Self.fullRecord)
        let expected = Event(
            id: "mip2020:na-042_atelier@la-base.fr", title: "Atelier « design des politiques publiques »",
            kind: .roundTable, status: .postponed,
            slots: [
                Slot(start: .instant(utc(2020, 11, 10, 8, 30)), end: .instant(utc(2020, 11, 10, 10, 30))),
                Slot(
                    start: .allDay(CivilDate(year: 2020, month: 11, day: 17)),
                    end: .allDay(CivilDate(year: 2020, month: 11, day: 27))),
                Slot(start: .instant(utc(2020, 11, 19, 13))),
                Slot(start: .instant(utc(2020, 11, 20, 8))),
                Slot(start: .allDay(CivilDate(year: 2020, month: 11, day: 24))),
            ],
            region: Region(code: "75"), online: true, lab: "la-base", organizer: "La Base", place: "Bordeaux",
            url: "https://example.org/mip/42", contact: "contact@example.org", audience: ["agents", "public"],
            tags: ["numérique", "design"], description: "Une matinée pour « faire avec » les usagers.")
        #expect(event == expected)
        #expect(event.validationProblem() == nil)
    }

    @Test func defaultsOfAMinimalRecord() throws {
        let event = try EventRecordDecoding.event(from: Self.minimalRecord)
        #expect(event.id == "e1")
        #expect(event.kind == .webinar)
        #expect(event.status == .scheduled)
        #expect(event.region == nil)
        #expect(event.online == false)
        #expect(event.lab == nil && event.organizer == nil && event.place == nil && event.url == nil)
        #expect(event.contact == nil && event.description == nil)
        #expect(event.audience.isEmpty && event.tags.isEmpty)
        #expect(event.slots == [Slot(start: .allDay(CivilDate(year: 2020, month: 11, day: 10)))])
    }

    @Test func nullsMeanAbsent() throws {
        var record = Self.minimalRecord
        for field in ["status", "region", "online", "lab", "organizer", "place", "url", "contact", "audience", "tags", "description"] {
            record[field] = .null
        }
        let event = try EventRecordDecoding.event(from: record)
        #expect(event == (try EventRecordDecoding.event(from: Self.minimalRecord)))
    }

    @Test(arguments: ["  Webinaire  ", "\tWebinaire\n", "\u{00A0}Webinaire\u{2003}", "Webinaire"])
    func titlesAreTrimmed(title: String) throws {
        var record = Self.minimalRecord
        record["title"] = .string(title)
        #expect(try EventRecordDecoding.event(from: record).title == "Webinaire")
    }

    @Test func lineBreaksAreLineFeedsAndTabsStay() throws {
        var record = Self.minimalRecord
        record["title"] = .string("Atelier\r\nsuite")
        record["description"] = .string("un\r\ndeux\rtrois\nquatre\tcinq\r\n\r\nsix")
        record["place"] = .string("\rBordeaux\r")
        let event = try EventRecordDecoding.event(from: record)
        #expect(event.title == "Atelier\nsuite")
        #expect(event.description == "un\ndeux\ntrois\nquatre\tcinq\n\nsix")
        #expect(event.place == "Bordeaux")
    }

    @Test func theYearsKeptAreAccepted() throws {
        for (start, end) in [
            ("1970-01-01", "1970-01-01"), ("1970-01-01T00:00", nil), ("1969-12-31T23:00:00Z", nil),
            ("9998-12-31", "9998-12-31"), ("9998-12-31T23:59:59", nil), ("9998-12-31T22:59:59Z", nil),
        ] as [(String, String?)] {
            var record = Self.minimalRecord
            var slot: [String: InterchangeValue] = ["start": .string(start)]
            if let end { slot["end"] = .string(end) }
            record["slots"] = .array([.object(slot)])
            #expect(throws: Never.self, "\(start)") { try EventRecordDecoding.event(from: record) }
        }
    }

    @Test func optionalTextsAreTrimmedAndEmptyOnesDropped() throws {
        var record = Self.minimalRecord
        record["organizer"] = .string("  La Base ")
        record["place"] = .string("   ")
        record["tags"] = .array([.string(" design "), .string(""), .string("agents")])
        let event = try EventRecordDecoding.event(from: record)
        #expect(event.organizer == "La Base")
        #expect(event.place == nil)
        #expect(event.tags == ["design", "agents"])
    }

    @Test func everyKindAndStatusIsAccepted() throws {
        for kind in EventKind.allCases {
            for status in EventStatus.allCases {
                var record = Self.minimalRecord
                record["kind"] = .string(kind.rawValue)
                record["status"] = .string(status.rawValue)
                let event = try EventRecordDecoding.event(from: record)
                #expect(event.kind == kind)
                #expect(event.status == status)
            }
        }
        #expect(EventKind.allCases.map(\.rawValue) == [
            "webinar", "workshop", "hackathon", "training", "conference", "round-table", "forum", "call-for-ideas",
            "consultation", "meeting", "podcast", "other",
        ])
    }

    @Test func idLimits() throws {
        var record = Self.minimalRecord
        record["id"] = .string(String(repeating: "a", count: 200))
        #expect(try EventRecordDecoding.event(from: record).id.count == 200)
        record["id"] = .string("A-Z.a_z:0@9-")
        #expect(try EventRecordDecoding.event(from: record).id == "A-Z.a_z:0@9-")
    }

    @Test func titleAndDescriptionLimits() throws {
        var record = Self.minimalRecord
        record["title"] = .string(String(repeating: "é", count: 500))
        #expect(try EventRecordDecoding.event(from: record).title.count == 500)
        record["title"] = .string("  " + String(repeating: "t", count: 500) + "  ")
        #expect(try EventRecordDecoding.event(from: record).title.count == 500)
        record["description"] = .string(String(repeating: "d", count: 20_000))
        #expect(try EventRecordDecoding.event(from: record).description?.count == 20_000)
        // Characters, not bytes nor scalars: "é" as e + combining accent is one character
        // of three bytes.
        record["title"] = .string(String(repeating: "e\u{301}", count: 500))
        #expect(try EventRecordDecoding.event(from: record).title.count == 500)
        record["description"] = .string(String(repeating: "🇫🇷", count: 20_000))
        #expect(try EventRecordDecoding.event(from: record).description?.count == 20_000)
    }

    @Test func regionNamesAreAcceptedToo() throws {
        var record = Self.minimalRecord
        record["region"] = .string("Bretagne")
        #expect(try EventRecordDecoding.event(from: record).region == Region(code: "53"))
        record["region"] = .string("04")
        #expect(try EventRecordDecoding.event(from: record).region?.name == "La Réunion")
    }

    @Test func extensionFieldsAreAccepted() throws {
        var record = Self.minimalRecord
        record["x-ti-lab-room"] = .string("B12")
        record["x-priority"] = .number(3)
        record["_comment"] = .object(["any": .array([.null])])
        #expect(try EventRecordDecoding.event(from: record) == (try EventRecordDecoding.event(from: Self.minimalRecord)))
    }

    /// One broken rule of contract §1 and the field the problem must name.
    struct Violation: Sendable, CustomTestStringConvertible {
        var name: String
        var field: String
        var change: @Sendable (inout Record) -> Void
        var testDescription: String { name }

        init(_ name: String, _ field: String, _ change: @escaping @Sendable (inout Record) -> Void) {
            self.name = name
            self.field = field
            self.change = change
        }
    }

    static let violations: [Violation] = [
        Violation("id missing", "id") { $0["id"] = nil },
        Violation("id null", "id") { $0["id"] = .null },
        Violation("id not a string", "id") { $0["id"] = .number(42) },
        Violation("id empty", "id") { $0["id"] = .string("") },
        Violation("id of 201 characters", "id") { $0["id"] = .string(String(repeating: "a", count: 201)) },
        Violation("id with a space", "id") { $0["id"] = .string("mip 2020") },
        Violation("id with a slash", "id") { $0["id"] = .string("mip/2020") },
        Violation("id with an accent", "id") { $0["id"] = .string("événement") },
        Violation("id with a hash", "id") { $0["id"] = .string("e#1") },
        Violation("title missing", "title") { $0["title"] = nil },
        Violation("title not a string", "title") { $0["title"] = .bool(true) },
        Violation("title empty", "title") { $0["title"] = .string("") },
        Violation("title only whitespace", "title") { $0["title"] = .string(" \t\n ") },
        Violation("title of 501 characters", "title") { $0["title"] = .string(String(repeating: "t", count: 501)) },
        Violation("title of 501 characters of 3 bytes", "title") {
            $0["title"] = .string(String(repeating: "e\u{301}", count: 501))
        },
        Violation("kind missing", "kind") { $0["kind"] = nil },
        Violation("kind unknown", "kind") { $0["kind"] = .string("seminar") },
        Violation("kind in capitals", "kind") { $0["kind"] = .string("Webinar") },
        Violation("kind not a string", "kind") { $0["kind"] = .array([.string("webinar")]) },
        Violation("status unknown", "status") { $0["status"] = .string("canceled") },
        Violation("status not a string", "status") { $0["status"] = .bool(false) },
        Violation("slots missing", "slots") { $0["slots"] = nil },
        Violation("slots null", "slots") { $0["slots"] = .null },
        Violation("slots empty", "slots") { $0["slots"] = .array([]) },
        Violation("slots not an array", "slots") { $0["slots"] = .object(["start": .string("2020-11-10")]) },
        Violation("slots a string", "slots") { $0["slots"] = .string("2020-11-10") },
        Violation("slot not an object", "slots[0]") { $0["slots"] = .array([.string("2020-11-10")]) },
        Violation("second slot not an object", "slots[1]") {
            $0["slots"] = .array([.object(["start": .string("2020-11-10")]), .null])
        },
        Violation("slot without start", "slots[0].start") { $0["slots"] = .array([.object(["end": .string("2020-11-10")])]) },
        Violation("slot start not a string", "slots[0].start") { $0["slots"] = .array([.object(["start": .number(1)])]) },
        Violation("slot start impossible day", "slots[0].start") {
            $0["slots"] = .array([.object(["start": .string("2020-02-30")])])
        },
        Violation("slot start 24:00", "slots[0].start") {
            $0["slots"] = .array([.object(["start": .string("2020-11-10T24:00")])])
        },
        Violation("slot end garbage", "slots[0].end") {
            $0["slots"] = .array([.object(["start": .string("2020-11-10"), "end": .string("demain")])])
        },
        Violation("slot end not a string", "slots[0].end") {
            $0["slots"] = .array([.object(["start": .string("2020-11-10"), "end": .bool(true)])])
        },
        Violation("slot with an unknown field", "slots[0].stop") {
            $0["slots"] = .array([.object(["start": .string("2020-11-10"), "stop": .string("2020-11-11")])])
        },
        Violation("slot ending before it starts", "slots[0]") {
            $0["slots"] = .array([.object(["start": .string("2020-11-10T11:30"), "end": .string("2020-11-10T09:30")])])
        },
        Violation("days ending before they start", "slots[1]") {
            $0["slots"] = .array([
                .object(["start": .string("2020-11-10")]),
                .object(["start": .string("2020-11-27"), "end": .string("2020-11-17")]),
            ])
        },
        Violation("day start, date-time end", "slots[0]") {
            $0["slots"] = .array([.object(["start": .string("2020-11-10"), "end": .string("2020-11-10T18:00")])])
        },
        Violation("date-time start, day end", "slots[0]") {
            $0["slots"] = .array([.object(["start": .string("2020-11-10T09:00"), "end": .string("2020-11-11")])])
        },
        Violation("region unknown code", "region") { $0["region"] = .string("99") },
        Violation("region unknown name", "region") { $0["region"] = .string("Aquitaine") },
        Violation("region a number", "region") { $0["region"] = .number(75) },
        Violation("online a string", "online") { $0["online"] = .string("true") },
        Violation("online a number", "online") { $0["online"] = .number(1) },
        Violation("tags not an array", "tags") { $0["tags"] = .string("numérique;design") },
        Violation("tags with a number", "tags[1]") { $0["tags"] = .array([.string("design"), .number(2)]) },
        Violation("audience with null", "audience[0]") { $0["audience"] = .array([.null]) },
        Violation("organizer not a string", "organizer") { $0["organizer"] = .object([:]) },
        Violation("url not a string", "url") { $0["url"] = .array([]) },
        Violation("lab not an id", "lab") { $0["lab"] = .string("La Base") },
        Violation("description of 20001 characters", "description") {
            $0["description"] = .string(String(repeating: "d", count: 20_001))
        },
        Violation("description not a string", "description") { $0["description"] = .number(0) },
        Violation("title with a NUL", "title") { $0["title"] = .string("Atelier\u{0}") },
        Violation("description with a bell", "description") { $0["description"] = .string("Sonnez\u{7}!") },
        Violation("place with an escape", "place") { $0["place"] = .string("Paris\u{1B}[31m") },
        Violation("contact with a DEL", "contact") { $0["contact"] = .string("a\u{7F}b@example.org") },
        Violation("organizer with a form feed", "organizer") { $0["organizer"] = .string("La\u{0C}Base") },
        Violation("url with a vertical tab", "url") { $0["url"] = .string("https://x.org/\u{0B}a") },
        Violation("tag with a CSV separator", "tags[1]") { $0["tags"] = .array([.string("a"), .string("b;c")]) },
        Violation("audience with a CSV separator", "audience[0]") { $0["audience"] = .array([.string("agents;élus")]) },
        Violation("slot before 1970", "slots[0]") { $0["slots"] = .array([.object(["start": .string("1969-12-31")])]) },
        Violation("instant before 1970 in Paris", "slots[0]") {
            $0["slots"] = .array([.object(["start": .string("1969-12-31T22:59:59Z")])])
        },
        Violation("slot after 9998", "slots[0]") { $0["slots"] = .array([.object(["start": .string("9999-01-01")])]) },
        Violation("instant in 9999 in Paris", "slots[0]") {
            $0["slots"] = .array([.object(["start": .string("9998-12-31T23:30:00Z")])])
        },
        Violation("end after 9998", "slots[0]") {
            $0["slots"] = .array([.object(["start": .string("2020-11-10"), "end": .string("9999-12-31")])])
        },
        Violation("unknown field", "titre") { $0["titre"] = .string("Atelier") },
        Violation("misspelt field", "organiser") { $0["organiser"] = .string("La Base") },
        Violation("field named like an extension but not one", "x_note") { $0["x_note"] = .string("n") },
    ]

    @Test(arguments: violations)
    func violationNamesTheField(violation: Violation) {
        var record = Self.fullRecord
        violation.change(&record)
        do {
            let event = try EventRecordDecoding.event(from: record)
            Issue.record("accepted \(event.id)")
        } catch {
            #expect(error.field == violation.field, "\(error)")
            #expect(!error.message.isEmpty)
            #expect(error.description.contains("'\(violation.field)'"))
        }
    }

    @Test func timeHelperNamesTheField() throws {
        #expect(throws: EventFieldProblem(
            field: "slots[3].end",
            message: "'nope' is not a time (expected 2020-11-17, 2020-11-10T09:30 or 2020-11-10T09:30:00+01:00)")
        ) {
            _ = try EventRecordDecoding.time("nope", field: "slots[3].end")
        }
        #expect(try EventRecordDecoding.time("2020-11-10", field: "x") == .allDay(CivilDate(year: 2020, month: 11, day: 10)))
    }

    @Test func fieldNamesFollowTheContract() {
        #expect(EventRecordDecoding.fieldNames == [
            "id", "title", "kind", "status", "slots", "region", "online", "lab", "organizer", "place", "url",
            "contact", "audience", "tags", "description",
        ])
    }
}
