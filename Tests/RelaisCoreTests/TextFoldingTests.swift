import RelaisCore
import Testing

@Suite("Text folding")
struct TextFoldingTests {
    @Test(arguments: [
        ("Innovation", "innovation"), ("ÉVÉNEMENT", "evenement"), ("Événement", "evenement"),
        ("é è ê ë", "e e e e"), ("à â ä", "a a a"), ("ç Ç", "c c"), ("ô ö Ô", "o o o"), ("î ï Î", "i i i"),
        ("ù û ü Ù", "u u u u"), ("ÿ", "y"), ("Noël", "noel"), ("cœur", "coeur"), ("CŒUR", "coeur"),
        ("Œuvre", "oeuvre"), ("ex æquo", "ex aequo"), ("Æ", "ae"), ("Straße", "strasse"),
        ("l’innovation", "l'innovation"), ("l‘innovation", "l'innovation"), ("lʼinnovation", "l'innovation"),
        ("l'innovation", "l'innovation"), ("10\u{00A0}novembre", "10 novembre"), ("10\u{202F}h", "10 h"),
        ("a\u{2009}b", "a b"), ("ASCII only 123", "ascii only 123"), ("", ""),
        // Already decomposed input folds the same as composed input.
        ("e\u{0301}ve\u{0300}nement", "evenement"),
    ])
    func fold(input: String, expected: String) {
        #expect(TextFolding.fold(input) == expected)
    }

    @Test func foldWorksOnSubstrings() {
        let text = "Le Cœur du Numérique"
        let slice = text[text.index(text.startIndex, offsetBy: 3)...]
        #expect(TextFolding.fold(slice) == "coeur du numerique")
    }

    @Test(arguments: [
        ("L’innovation publique", ["l", "innovation", "publique"]),
        ("Semaine de l'innovation : 17–27 novembre 2020!", ["semaine", "de", "l", "innovation", "17", "27", "novembre", "2020"]),
        ("  multiple\u{00A0}\u{00A0}spaces\n\tand-hyphens ", ["multiple", "spaces", "and", "hyphens"]),
        ("Œuvres numériques", ["oeuvres", "numeriques"]),
        ("", []),
        ("— ... !!", []),
    ])
    func words(input: String, expected: [String]) {
        #expect(TextFolding.words(input) == expected)
    }

    @Test(arguments: [
        ("Île-de-France", "iledefrance"), ("ile de france", "iledefrance"), ("Provence-Alpes-Côte d’Azur", "provencealpescotedazur"),
        ("Provence Alpes Cote d'Azur", "provencealpescotedazur"), ("La Réunion", "lareunion"),
    ])
    func nameKey(input: String, expected: String) {
        #expect(TextFolding.nameKey(input) == expected)
    }

    @Test(arguments: [
        ("numerique", "Les services numériques de l’État", true),
        ("coeur", "Au cœur des territoires", true),
        ("cœur", "au coeur des territoires", true),
        ("evenement", "Un Événement exceptionnel", true),
        ("EVENEMENT", "un événement", true),
        ("etat", "Les services numériques de l’État", true),
        ("innovation numerique", "L’innovation numérique au service des usagers", true),
        ("numerique innovation", "L’innovation numérique au service des usagers", true),
        ("innov num", "L’innovation numérique", true),
        ("innovation paris", "L’innovation numérique", false),
        ("merique", "Les services numériques", false),
        ("numeriques", "numérique", false),
        ("atelier", "Ateliers, hackathons", true),
        ("hackathon", "Ateliers, hackathons", true),
        ("2020", "Mois de l'innovation publique 2020", true),
        ("aequo", "ex æquo", true),
        ("l'etat", "de l’État", true),
        ("", "anything", true),
    ])
    func prefixMatching(query: String, text: String, matches: Bool) {
        #expect(TextFolding.matches(query: TextFolding.words(query), in: text) == matches)
    }

    @Test func everyQueryWordMustMatch() {
        let text = "Atelier de co-construction à Bordeaux"
        #expect(TextFolding.matches(query: ["atelier", "bordeaux"], in: text))
        #expect(TextFolding.matches(query: ["co", "construction"], in: text))
        #expect(!TextFolding.matches(query: ["atelier", "rennes"], in: text))
        #expect(!TextFolding.matches(query: ["rennes"], in: text))
        #expect(TextFolding.matches(query: [], in: ""))
        #expect(!TextFolding.matches(query: ["a"], in: ""))
    }
}
