import RelaisCore
import Testing

@Suite("Regions")
struct RegionTests {
    /// The 18 regions of France with their INSEE codes (architecture.md, "Domain facts").
    static let official: [(code: String, name: String)] = [
        ("75", "Nouvelle-Aquitaine"), ("53", "Bretagne"), ("32", "Hauts-de-France"), ("11", "Île-de-France"),
        ("76", "Occitanie"), ("52", "Pays de la Loire"), ("84", "Auvergne-Rhône-Alpes"),
        ("27", "Bourgogne-Franche-Comté"), ("93", "Provence-Alpes-Côte d'Azur"), ("24", "Centre-Val de Loire"),
        ("28", "Normandie"), ("44", "Grand Est"), ("94", "Corse"), ("01", "Guadeloupe"), ("02", "Martinique"),
        ("03", "Guyane"), ("04", "La Réunion"), ("06", "Mayotte"),
    ]

    /// Region names may use the typographic apostrophe (`Côte d’Azur`); compare either way.
    static func plainApostrophes(_ text: String) -> String {
        text.replacingOccurrences(of: "’", with: "'")
    }

    @Test func thereAreExactlyEighteenDistinctRegions() {
        #expect(Region.all.count == 18)
        #expect(Set(Region.all.map(\.code)).count == 18)
        #expect(Set(Region.all.map(\.name)).count == 18)
        #expect(Set(Region.all.map(\.code)) == Set(Self.official.map(\.code)))
    }

    @Test(arguments: official)
    func codeGivesTheOfficialName(code: String, name: String) throws {
        let found = try #require(Region(code: code))
        #expect(found.code == code)
        #expect(Self.plainApostrophes(found.name) == name)
        #expect(found.description == "\(found.name) (\(code))")
    }

    @Test(arguments: official)
    func lookupFindsEveryRegionByCodeAndName(code: String, name: String) {
        let expected = Region(code: code)
        #expect(expected != nil)
        #expect(Region.lookup(code) == expected)
        #expect(Region.lookup(name) == expected)
        #expect(Region.lookup(name.uppercased()) == expected)
        #expect(Region.lookup(name.lowercased()) == expected)
        #expect(Region.lookup(TextFolding.fold(name)) == expected)
        #expect(Region.lookup(name.replacingOccurrences(of: "-", with: " ")) == expected)
        #expect(Region.lookup("  \(name)  ") == expected)
    }

    @Test(arguments: [
        ("ile-de-france", "11"), ("ILE DE FRANCE", "11"), ("Île de France", "11"), ("iledefrance", "11"),
        ("provence alpes cote d'azur", "93"), ("Provence-Alpes-Côte d’Azur", "93"), ("PROVENCE-ALPES-CÔTE D'AZUR", "93"),
        ("provence-alpes-cote-d-azur", "93"), ("la reunion", "04"), ("reunion", "04"), ("Réunion", "04"),
        ("LA RÉUNION", "04"), ("nouvelle-aquitaine", "75"), ("nouvelle aquitaine", "75"), ("bretagne", "53"),
        ("hauts de france", "32"), ("auvergne rhone alpes", "84"), ("bourgogne franche comte", "27"),
        ("centre val de loire", "24"), ("pays de la loire", "52"), ("grand-est", "44"), ("corse", "94"),
    ])
    func lookupIgnoresCaseAccentsHyphensSpacesAndApostrophes(text: String, code: String) {
        #expect(Region.lookup(text)?.code == code)
    }

    @Test(arguments: [
        "", "   ", "99", "00", "7", "750", "national", "Aquitaine", "Alsace", "Bretagne Sud", "France", "ile de",
        "Île-de-France-Est", "nouvelle",
    ])
    func unknownNamesAndCodesGiveNil(text: String) {
        #expect(Region.lookup(text) == nil)
    }

    @Test func exactCodeInitializerDoesNotAcceptNames() {
        #expect(Region(code: "Bretagne") == nil)
        #expect(Region(code: "5") == nil)
        #expect(Region(code: " 53") == nil)
        #expect(Region(code: "53")?.name == "Bretagne")
    }

    @Test func regionsAreValuesComparedByCode() {
        #expect(Region(code: "75") == Region.lookup("Nouvelle-Aquitaine"))
        #expect(Region(code: "75") != Region(code: "53"))
    }
}
