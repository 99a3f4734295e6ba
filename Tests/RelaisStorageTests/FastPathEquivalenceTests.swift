import Foundation
import Testing

@testable import RelaisCore

@testable import RelaisStorage

/// The import's fast paths must give exactly what the core's own functions give; these
/// tests fail when the core changes and the copies here do not follow.
@Suite struct FastPathEquivalenceTests {
    /// Texts with accents, ligatures, apostrophes, odd spaces, digits, other scripts.
    static let texts = [
        "", "   ", "Événement", "Les innovations NUMÉRIQUES", "Le cœur de l’action publique", "ŒUVRE Æsir Straße",
        "l'innovation, l’État et l‘usager", "9h30–11h30 : atelier n°3 (½ journée)", "ﬁnances ﬂux", "İstanbul",
        "東京都 ソウル 서울", "Ελληνικά Ωμέγα", "Кириллица ЁЖ", "עִבְרִית", "हिन्दी", "العربية", "emoji 😀 👩‍💻 ok",
        "a\u{0301}e\u{0300}\u{0323}", "x\u{200B}y\u{00A0}z\u{202F}w\u{2009}v", "tab\tline\nret\r", "`quote´ ′prime",
        "Ⓐ Ⅻ ① ²", "e\u{20DD}", "ǅemal ǈ", "ﬀ ﬃ ﬅ",
    ]

    @Test func searchWordsAgreeWithTextFolding() {
        var builder = SearchWords()
        for text in Self.texts {
            #expect(builder.joinedWords(text) == TextFolding.words(text).joined(separator: " "), "\(text)")
        }
    }

    @Test func searchWordsOfAnEventAgreeWithItsSearchableText() throws {
        var builder = SearchWords()
        var events = try Self.tricky()
        for (index, text) in Self.texts.enumerated() {
            events.append(
                try makeEvent(
                    "t\(index)", title: text + "x", organizer: text, place: index % 2 == 0 ? nil : text,
                    tags: [text, "\u{0301}tag"], description: "\u{0308}" + text))
        }
        for event in events {
            #expect(
                builder.joinedWords(of: event) == TextFolding.words(event.searchableText).joined(separator: " "),
                "\(event.id)")
        }
    }

    @Test func searchWordsAgreeOnEveryScalarOfTheBasicPlane() {
        var builder = SearchWords()
        var disagreements: [String] = []
        for value in UInt32(0x80)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            // The scalar alone, between letters, and after a space: word edges included.
            let text = "a\(scalar)b \(scalar) c\(scalar)"
            if builder.joinedWords(text) != TextFolding.words(text).joined(separator: " ") {
                disagreements.append(String(value, radix: 16))
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(20))")
    }

    /// Long texts of letters whose folding is longer than they are, with and without
    /// spaces: the folded words' buffer grows as the text goes.
    @Test func searchWordsOfLongExpandingTextsAgree() {
        var builder = SearchWords()
        // A Hangul syllable (3 bytes) folds to its three jamo (9 bytes): past the room
        // the buffer starts with.
        for piece in ["ŒÆßﬃ", "œ ß ﬃ ", "Ǆİ", "a’ﬁ ", "한", "한국 "] {
            let text = String(repeating: piece, count: 4_000)
            #expect(builder.joinedWords(text) == TextFolding.words(text).joined(separator: " "), "\(piece)")
        }
    }

    /// Lists are packed as the core writes JSON arrays of strings, escapes or not.
    @Test func packedListsAreTheCoresJSON() {
        let lists: [[String]] = [
            ["agents"], ["données publiques", "santé"], ["", "x"], ["with \"quote\"", "back\\slash"],
            ["tab\there", "line\nbreak", "nul\u{0}"], Self.texts, [String(repeating: "é", count: 300)],
        ]
        for items in lists {
            // The core's own array text, itself checked against `appendString` in
            // RelaisCoreTests (EventJSONWritingTests).
            #expect(StoredEvent.packList(items) == EventJSONWriting.arrayText(items), "\(items)")
        }
        #expect(StoredEvent.packList([]) == nil)
    }

    @Test func searchWordsAgreeOnTheSampleProgramme() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/mip2020.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        var builder = SearchWords()
        for line in text.split(separator: "\n") {
            let line = String(line)
            #expect(builder.joinedWords(line) == TextFolding.words(line).joined(separator: " "))
        }
    }

    static func tricky() throws -> [Event] {
        var controls = ""
        for value in 0..<0x20 { controls.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        let full = try makeEvent(
            "full.id:1@x-y_z", title: "Quotes \" and \\ back\\slash / slash \u{7F} del \u{2028} ls", kind: .callForIdeas,
            status: .postponed,
            slots: [
                slot("2020-11-10T09:30", "2020-11-10T11:30"), slot("2020-11-17", "2020-11-27"), slot("2020-12-01"),
                slot("2020-11-05T10:00:00.5Z"),
            ],
            region: "01", online: true, lab: "la-base", organizer: "Ctrl \(controls) end", place: "Café 😀",
            tags: ["a", "b\"c", "ŒUVRE"], description: String(repeating: "Long texte é ", count: 300) + controls)
        var withAll = full
        withAll.url = "https://example.org/a?b=c&d=\"e\""
        withAll.contact = "Contact <c@example.org>"
        withAll.audience = ["agents", "élus"]
        let bare = try makeEvent("bare", slots: [slot("2020-11-10T09:30")])
        return [full, withAll, bare] + (try syntheticEvents(50))
    }

    @Test func canonicalJSONIsByteForByteTheCoresJSON() throws {
        for event in try Self.tricky() {
            #expect(CanonicalEventJSON.json(event) == EventJSONWriting.json(event), "\(event.id)")
            let stored = StoredEvent(event)
            #expect(CanonicalEventJSON.json(event, times: stored.slotDescriptions) == EventJSONWriting.json(event))
        }
    }

    /// An import into an empty catalogue lays out its rows' texts straight from each
    /// event: the same bytes as from the stored encoding that other imports compare.
    @Test func rowTextsFromTheEventAreThoseOfItsEncoding() throws {
        var events = try Self.tricky()
        var odd = try makeEvent("odd", slots: [slot("2020-11-10T09:30:00.25Z", "2020-11-10T10:00"), slot("2020-11-11")])
        odd.tags = ["", "tab\t", "nul\u{0}", "é"]
        odd.audience = []
        odd.region = nil
        events.append(odd)
        // Times only the exact stored forms keep: a fraction of a second, a year past 9999.
        var exact = odd
        exact.slots = [
            Slot(start: .instant(Date(timeIntervalSinceReferenceDate: 1.25)), end: nil),
            Slot(start: .allDay(CivilDate(year: 10_000, month: 1, day: 1)), end: .allDay(CivilDate(year: 10_000, month: 1, day: 2))),
        ]
        events.append(exact)
        var times = TimeTextCache()
        for event in events {
            for words in [nil, "mots indexes", ""] {
                let direct = RowTexts(event, times: &times, words: words)
                let encoded = RowTexts(StoredEvent(event), words: words)
                #expect(direct.hasSameBytes(as: encoded), "\(event.id), words \(words ?? "nil")")
                #expect(direct.hasWords == (words != nil))
            }
        }
    }

    @Test func canonicalJSONReadsBackWhatItWrites() throws {
        for event in try Self.tricky() {
            let json = EventJSONWriting.json(event)
            let read = try #require(CanonicalEventJSON.event(json), "\(event.id)")
            // The interchange text has whole seconds: compare with what it says.
            #expect(EventJSONWriting.json(read) == json)
            #expect(EventJSONWriting.json(try ChangeLog.event(fromJSON: json, sequence: 1)) == json)
        }
    }

    @Test func otherShapesFallBackToTheInterchangeRules() throws {
        let event = try makeEvent("e1", title: "Titre", tags: ["x"])
        let spaced = #"{ "id": "e1", "title": "Titre", "kind": "workshop", "slots": [{"start": "2020-11-10T09:30"}], "tags": ["x"] }"#
        #expect(CanonicalEventJSON.event(spaced) == nil)
        let read = try ChangeLog.event(fromJSON: spaced, sequence: 1)
        #expect(read.title == event.title && read.tags == ["x"] && read.status == .scheduled)
        for broken in [
            "", "{}", "[]", #"{"id":"e1"}"#, EventJSONWriting.json(event) + " ", #"{"id":"e1","title":"x","kind":"nope"}"#,
        ] {
            #expect(CanonicalEventJSON.event(broken) == nil, "\(broken)")
        }
        #expect(throws: (any Error).self) { try ChangeLog.event(fromJSON: #"{"id":"e1"}"#, sequence: 7) }
    }

    @Test func normalizationShortcutAgreesWithTheCore() throws {
        var events = try Self.tricky()
        for padding in [" ", "\n", "\t", "\u{00A0}", "\u{200B}", "\u{3000}", "\u{2028}", "\u{FEFF}", "\u{180E}"] {
            var event = try makeEvent("p", organizer: "Org")
            event.title = padding + "Titre"
            events.append(event)
            event.title = "Titre"
            event.organizer = "Org" + padding
            events.append(event)
            event.organizer = padding
            events.append(event)
            event.organizer = nil
            event.tags = ["ok", padding]
            events.append(event)
            event.tags = []
            event.lab = ""
            events.append(event)
        }
        for text in ["Titre é", "é", "Atelier\r\nsuite", "\r", "a\u{00A0}", "\u{00A0}a", "日本", "x\u{1F600}"] {
            var event = try makeEvent("q", organizer: "Org")
            event.description = text
            events.append(event)
            event.description = nil
            event.title = text
            events.append(event)
        }
        for event in events {
            #expect(event.isNormalized == (event.normalizedByTrimming() == event), "\(event)")
            #expect(event.normalized() == event.normalizedByTrimming(), "\(event)")
        }
    }

    /// A direct-mapped cache gives every time its own text, whatever times share a place
    /// and in whatever order they come back.
    @Test func timeTextsFromTheCacheAreTheTimesOwn() {
        var cache = TimeTextCache()
        var times: [EventTime] = []
        for index in 0..<6_000 {
            let quarterHours = Double((index * 7_919) % 40_000) * 900
            times.append(.instant(Date(timeIntervalSince1970: 1_600_000_000 + quarterHours)))
            times.append(.allDay(CivilDate(year: 1990 + index % 40, month: 1 + index % 12, day: 1 + index % 28)))
        }
        times.append(.instant(Date(timeIntervalSince1970: 1_604_997_000.5)))
        times.append(.allDay(CivilDate(year: 12_000, month: 2, day: 30)))
        var mismatches = 0
        for round in 0..<3 {
            for time in round == 1 ? times.reversed() : times where cache.description(time) != time.description {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }
}
