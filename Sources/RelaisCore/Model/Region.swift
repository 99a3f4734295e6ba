import Foundation

/// One of the 18 French regions, identified by its INSEE code.
///
/// Events with no region are national (or online-only). Lookup accepts the code or the
/// name, ignoring case, accents, hyphens and spaces (`ile-de-france`, `Île de France`).
public struct Region: Hashable, Sendable, CustomStringConvertible {
    /// The INSEE code, two digits: `"75"` for Nouvelle-Aquitaine.
    public let code: String
    /// The official French name: `"Nouvelle-Aquitaine"`.
    public let name: String

    private init(_ code: String, _ name: String) {
        self.code = code
        self.name = name
    }

    /// The 18 regions, metropolitan first, in INSEE code order within each group.
    public static let all: [Region] = [
        Region("11", "Île-de-France"),
        Region("24", "Centre-Val de Loire"),
        Region("27", "Bourgogne-Franche-Comté"),
        Region("28", "Normandie"),
        Region("32", "Hauts-de-France"),
        Region("44", "Grand Est"),
        Region("52", "Pays de la Loire"),
        Region("53", "Bretagne"),
        Region("75", "Nouvelle-Aquitaine"),
        Region("76", "Occitanie"),
        Region("84", "Auvergne-Rhône-Alpes"),
        Region("93", "Provence-Alpes-Côte d’Azur"),
        Region("94", "Corse"),
        Region("01", "Guadeloupe"),
        Region("02", "Martinique"),
        Region("03", "Guyane"),
        Region("04", "La Réunion"),
        Region("06", "Mayotte"),
    ]

    private static let byCode: [String: Region] = Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0) })

    private static let byNameKey: [String: Region] = {
        var table: [String: Region] = [:]
        for region in all { table[TextFolding.nameKey(region.name)] = region }
        // Names people commonly write instead of the official one.
        let aliases = [
            "paca": "93", "reunion": "04", "idf": "11", "centre": "24", "bfc": "27",
            "provencealpescotedazur": "93", "auvergnerhonealpes": "84", "aura": "84",
        ]
        for (alias, code) in aliases { table[alias] = byCode[code] }
        return table
    }()

    /// The region with this exact INSEE code (`"75"`), or nil.
    public init?(code: String) {
        guard let region = Self.byCode[code] else { return nil }
        self = region
    }

    /// The region named by `text`, which may be a code or a name in any case, with or
    /// without accents, hyphens or spaces. Nil when nothing matches.
    public static func lookup(_ text: String) -> Region? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let region = byCode[trimmed] { return region }
        if trimmed.count == 1, let region = byCode["0" + trimmed] { return region }
        return byNameKey[TextFolding.nameKey(trimmed)]
    }

    public var description: String { "\(name) (\(code))" }
}
