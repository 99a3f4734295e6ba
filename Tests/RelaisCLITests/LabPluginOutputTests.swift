import Foundation
import RelaisTesting
import Testing

// The labs' Lua filters and `bilan.lua` scripts, end to end through the built `relais`
// binary on the sample programme. What each filter should keep is computed here, in Swift,
// from `Examples/mip2020.jsonl` and from the rule written in `Plugins/<lab>/init.lua` (on
// top of the shipped `relais.filtres` module), then compared with what `relais` prints.

// MARK: - The programme, read without relais

/// One event of the interchange format, from the sample file or from relais's JSON Lines.
struct LabEvent: Sendable {
    struct Slot: Sendable {
        var start: String
        var end: String?
    }

    var id: String
    var title: String
    var kind: String
    var status: String
    var region: String?
    var online: Bool
    var lab: String?
    var organizer: String?
    var place: String?
    var contact: String?
    var description: String?
    var audience: [String]
    var tags: [String]
    var slots: [Slot]

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    init(json object: [String: Any]) throws {
        guard let id = object["id"] as? String, let title = object["title"] as? String,
            let kind = object["kind"] as? String, let slots = object["slots"] as? [[String: Any]]
        else { throw Malformed(description: "not an event: \(object)") }
        self.id = id
        self.title = title
        self.kind = kind
        status = object["status"] as? String ?? "scheduled"
        region = object["region"] as? String
        online = object["online"] as? Bool ?? false
        lab = object["lab"] as? String
        organizer = object["organizer"] as? String
        place = object["place"] as? String
        contact = object["contact"] as? String
        description = object["description"] as? String
        audience = object["audience"] as? [String] ?? []
        tags = object["tags"] as? [String] ?? []
        self.slots = try slots.map { slot in
            guard let start = slot["start"] as? String else { throw Malformed(description: "slot without start in \(id)") }
            return Slot(start: start, end: slot["end"] as? String)
        }
    }

    /// Every line of a JSON Lines text (blank lines skipped).
    static func parse(jsonLines text: String) throws -> [LabEvent] {
        try text.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw Malformed(description: "not a JSON object: \(line)")
            }
            return try LabEvent(json: object)
        }
    }

    /// The 31 events of `Examples/mip2020.jsonl`.
    static func sample() throws -> [LabEvent] {
        try parse(jsonLines: String(contentsOfFile: ProjectFiles.sampleJSONLines, encoding: .utf8))
    }

    /// Whether a slot overlaps the days `from`…`to` (`YYYY-MM-DD`, Paris). The first ten
    /// characters of any time, in the sample and in relais's output, are its Paris day.
    func overlaps(from: String, to: String) -> Bool {
        slots.contains { slot in
            let first = String(slot.start.prefix(10))
            let last = String((slot.end ?? slot.start).prefix(10))
            return first <= to && last >= from
        }
    }
}

// MARK: - The rules of relais.filtres, again in Swift

/// Folded words, as `relais.filtres.mots` sees them: `relais.text.fold` (case, accents,
/// œ/æ/ß) then Lua's `%w+`, i.e. runs of ASCII letters and digits.
enum FoldedWords {
    static func fold(_ text: String) -> String {
        var text = text
        for (from, to) in [("œ", "oe"), ("Œ", "oe"), ("æ", "ae"), ("Æ", "ae"), ("ß", "ss")] {
            text = text.replacingOccurrences(of: from, with: to)
        }
        return text.folding(options: .diacriticInsensitive, locale: nil).lowercased()
    }

    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for scalar in fold(text).unicodeScalars {
            if (0x61...0x7A).contains(scalar.value) || (0x30...0x39).contains(scalar.value) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}

/// `filtres.mots_cles(liste, exact)`: each keyword a run of folded words; a keyword is found
/// in a text when its words appear in a row, each the start of the text's word (or equal
/// to it, when `exact`).
struct Keywords: Sendable {
    let phrases: [[String]]
    let exact: Bool

    init(_ list: [String], exact: Bool = false) {
        phrases = list.map(FoldedWords.words)
        self.exact = exact
    }

    func found(in text: String?) -> Bool {
        guard let text, !text.isEmpty else { return false }
        let words = FoldedWords.words(text)
        return phrases.contains { phrase in
            guard !phrase.isEmpty, phrase.count <= words.count else { return false }
            return (0...(words.count - phrase.count)).contains { start in
                phrase.indices.allSatisfy { j in
                    exact ? words[start + j] == phrase[j] : words[start + j].hasPrefix(phrase[j])
                }
            }
        }
    }
}

extension LabEvent {
    /// `filtres.a_un_tag`
    func hasTag(_ keywords: Keywords) -> Bool { tags.contains { keywords.found(in: $0) } }

    /// `filtres.tag_est`: a whole tag, folded, equals one of the names.
    func hasTagNamed(_ names: [String]) -> Bool {
        let folded = Set(names.map(FoldedWords.fold))
        return tags.contains { folded.contains(FoldedWords.fold($0)) }
    }

    /// `filtres.parle_de`: tags, title or description.
    func talksAbout(_ keywords: Keywords) -> Bool {
        hasTag(keywords) || keywords.found(in: title) || keywords.found(in: description)
    }

    /// `filtres.public_vise`: "agents" and "public" stand for their synonyms.
    func addresses(_ group: String) -> Bool {
        let synonyms: [String: Set<String>] = [
            "agents": ["agents", "agent", "agents publics", "fonctionnaires", "managers"],
            "public": ["public", "grand public", "citoyens", "usagers", "habitants"],
        ]
        let names = synonyms[group] ?? [FoldedWords.fold(group)]
        return audience.contains { names.contains(FoldedWords.fold($0)) }
    }

    /// `filtres.pour_agents`: agents in the audience, or no audience given.
    var isForAgents: Bool { audience.isEmpty || addresses("agents") }

    /// `filtres.pour_public`
    var isForThePublic: Bool { addresses("public") }
}

// MARK: - What is checked

/// A lab and what its `bilan.lua` prints about it.
struct Lab: Sendable, CustomTestStringConvertible {
    var id: String
    var name: String
    var region: String
    /// « de Bretagne », « d’Île-de-France »… as `relais.agenda` writes it.
    var ofRegion: String
    var testDescription: String { id }
}

/// A filter `plugin.name` and its rule, with events it must keep or drop on the sample
/// (so that a Swift rule copied wrongly cannot agree with a wrong Lua one by accident).
struct LabFilter: Sendable, CustomTestStringConvertible {
    var name: String
    var keeps: [String] = []
    var drops: [String] = []
    var rule: @Sendable (LabEvent) -> Bool
    var testDescription: String { name }
}

/// One `relais export` command line with Lua filters, and the rule its events obey.
struct FilteredExport: Sendable, CustomTestStringConvertible {
    var options: [String]
    var rule: @Sendable (LabEvent) -> Bool
    var testDescription: String { options.joined(separator: " ") }
}

/// A `--filter` that names no filter, and how relais refuses it.
struct UnknownFilter: Sendable, CustomTestStringConvertible {
    var filter: String
    var status: Int32
    var message: String
    var testDescription: String { filter }
}

@Suite struct LabPluginOutputTests {
    static let labs: [Lab] = [
        Lab(id: "la-base", name: "La Base", region: "75", ofRegion: "de Nouvelle-Aquitaine"),
        Lab(id: "ti-lab", name: "Ti-Lab", region: "53", ofRegion: "de Bretagne"),
        Lab(id: "siilab", name: "SIILAB", region: "32", ofRegion: "des Hauts-de-France"),
        Lab(id: "fabrique-rh", name: "La Fabrique RH", region: "11", ofRegion: "d’Île-de-France"),
        Lab(id: "labo-occitanie", name: "Le LabO", region: "76", ofRegion: "d’Occitanie"),
        Lab(id: "insolab83", name: "InSo Lab 83", region: "93", ofRegion: "de Provence-Alpes-Côte d’Azur"),
        Lab(id: "etatlin", name: "ETAT'LIN", region: "52", ofRegion: "des Pays de la Loire"),
        Lab(id: "archipel", name: "Archipel", region: "84", ofRegion: "d’Auvergne-Rhône-Alpes"),
        Lab(id: "lab-bfc", name: "Le Labo BFC", region: "27", ofRegion: "de Bourgogne-Franche-Comté"),
    ]

    // Sample ids used as spot checks.
    static let simplificathon = "mip2020-hauts-de-france-simplificathon-nord"
    static let dinumOpenData = "mip2020-ile-de-france-dinum-appel-donnees-publiques"
    static let numeriqueEnCommuns = "mip2020-auvergne-rhone-alpes-numerique-en-communs"
    static let ateliersDuLab = "mip2020-occitanie-ateliers-du-lab"
    static let retex = "mip2020-ditp-mardi-innovation-crise-retex"
    static let poleEmploi = "mip2020-ile-de-france-pole-emploi-innovation"
    static let laBaseLaunch = "mip2020-la-base-webinaire-ditp-lancement"
    static let tablesRondes = "mip2020-pays-de-la-loire-tables-rondes-design"
    static let siilabWebinar = "mip2020-siilab-webinaire-relance-inclusion-numerique"
    static let gouvernementOuvert = "mip2020-ditp-mardi-gouvernement-ouvert"
    static let documentsClairs = "mip2020-ditp-sciences-comportementales-documents-clairs"
    static let forumCulture = "mip2020-nouvelle-aquitaine-forum-entreprendre-culture"
    static let rennes = "mip2020-ti-lab-rencontre-ditp-rennes"
    static let testerDemain = "mip2020-nouvelle-aquitaine-testerdemain"
    static let transitionEcologique = "mip2020-ditp-mardi-transition-ecologique"
    static let microFolies = "mip2020-nouvelle-aquitaine-microfolies-la-souterraine"
    static let discordDrac = "mip2020-nouvelle-aquitaine-discord-drac"
    static let bfcTraining = "mip2020-bfc-formation-design-de-services-module-2"
    static let anct = "mip2020-ile-de-france-anct-incubateur-territoires"
    static let hackathonCaf = "mip2020-nouvelle-aquitaine-hackathon-caf-87"
    static let renouveler = "mip2020-ditp-mardi-renouveler-innovation"
    static let bfcConference = "mip2020-bfc-e-conference-design-collectivites"
    static let bfcNetwork = "mip2020-bfc-reseau-innovation-publique-episode-2"
    static let crashTest = "mip2020-bfc-atelier-crash-test-besancon"
    static let facilitation = "mip2020-bfc-atelier-facilitation-graphique"
    static let pitchToi = "mip2020-nouvelle-aquitaine-pitch-toi"

    /// Every lab's own filters but `insolab83.var` (no event of the sample is in the Var:
    /// see `theVarFilterKeepsEventsHeldOrNamedInTheVar`). Rules copied from each init.lua.
    static let topicalFilters: [LabFilter] = [
        // la-base
        LabFilter(name: "la-base.design", keeps: [documentsClairs, poleEmploi, simplificathon]) {
            $0.hasTag(Keywords([
                "design", "sciences comportementales", "methode agile", "methodes agiles", "agilite",
                "experience utilisateur", "ux", "co-design", "codesign",
            ]))
        },
        LabFilter(name: "la-base.passage-a-l-echelle", keeps: [rennes, laBaseLaunch]) {
            $0.hasTag(Keywords(["passage à l'échelle", "laboratoire d'innovation"]))
        },
        LabFilter(name: "la-base.culture", keeps: [forumCulture, discordDrac, microFolies]) {
            $0.hasTagNamed(["culture", "patrimoine", "création artistique"])
                || Keywords(["DRAC", "ministère de la Culture"]).found(in: $0.organizer)
        },
        LabFilter(name: "la-base.entrepreneuriat", keeps: [pitchToi, testerDemain, dinumOpenData]) {
            $0.hasTag(Keywords(["entrepreneuriat", "creation d'entreprise", "artisanat", "pitch"]))
                || $0.addresses("entrepreneurs")
        },
        // ti-lab
        LabFilter(name: "ti-lab.presse", keeps: [rennes, laBaseLaunch]) {
            $0.addresses("press") || $0.hasTagNamed(["presse"])
        },
        LabFilter(name: "ti-lab.passage-a-l-echelle", keeps: [rennes]) {
            $0.hasTag(Keywords(["passage à l'échelle", "essaimage", "laboratoire d'innovation"]))
        },
        LabFilter(name: "ti-lab.participation", keeps: [gouvernementOuvert, tablesRondes, retex]) {
            $0.talksAbout(Keywords([
                "participation citoyenne", "gouvernement ouvert", "democratie", "concertation", "convention citoyenne",
            ]))
        },
        LabFilter(name: "ti-lab.design", keeps: [tablesRondes, poleEmploi]) {
            $0.hasTag(Keywords(["design", "co-design", "codesign", "experience utilisateur"]))
        },
        // siilab
        LabFilter(name: "siilab.simplification", keeps: [simplificathon, documentsClairs]) {
            $0.hasTag(Keywords([
                "simplification", "simplifier", "documents administratifs", "e-administration", "dematerialisation",
                "relation usagers", "relations aux usagers", "demarches",
            ]))
        },
        LabFilter(name: "siilab.inclusion-numerique", keeps: [siilabWebinar, numeriqueEnCommuns]) {
            $0.talksAbout(Keywords(["inclusion numerique", "numerique inclusif", "mediation numerique"]))
        },
        LabFilter(name: "siilab.ess", keeps: [siilabWebinar], drops: [microFolies]) {
            $0.hasTag(Keywords(["economie sociale et solidaire", "ess", "solidarite"], exact: true))
        },
        LabFilter(name: "siilab.partenaires", keeps: [siilabWebinar, dinumOpenData]) {
            $0.addresses("partners") || $0.addresses("associations")
        },
        // fabrique-rh
        LabFilter(name: "fabrique-rh.rh", keeps: [renouveler, retex], drops: [numeriqueEnCommuns]) {
            $0.talksAbout(Keywords([
                "fonction publique", "ressources humaines", "recrutement", "diversite", "management", "managers",
                "culture de l'innovation", "jeunes agents", "modes de travail", "pouvoir d'agir", "competences",
            ])) || $0.talksAbout(Keywords(["RH", "GRH"], exact: true))
        },
        LabFilter(name: "fabrique-rh.formation", keeps: [numeriqueEnCommuns, bfcTraining, ateliersDuLab]) {
            $0.kind == "training" || $0.hasTag(Keywords(["formation", "parcours didactique", "acculturation"]))
        },
        LabFilter(name: "fabrique-rh.travail-a-distance", keeps: [discordDrac, ateliersDuLab]) {
            $0.hasTag(Keywords(["travail à distance", "réunions à distance", "teletravail", "confinement"]))
        },
        LabFilter(name: "fabrique-rh.donnees", keeps: [dinumOpenData]) {
            $0.hasTag(Keywords(["donnees publiques", "open data", "donnees"]))
        },
        // labo-occitanie
        LabFilter(name: "labo-occitanie.acculturation", keeps: [ateliersDuLab, numeriqueEnCommuns, bfcTraining]) {
            $0.kind == "training" || $0.hasTag(Keywords(["acculturation", "formation", "reunions", "animation"]))
        },
        LabFilter(name: "labo-occitanie.participation", keeps: [gouvernementOuvert, tablesRondes]) {
            $0.talksAbout(Keywords([
                "participation citoyenne", "gouvernement ouvert", "convention citoyenne", "democratie", "concertation",
            ]))
        },
        LabFilter(name: "labo-occitanie.transition-ecologique", keeps: [transitionEcologique, testerDemain]) {
            $0.hasTag(Keywords(["transition ecologique", "ecologie", "environnement", "climat", "low tech"]))
        },
        // insolab83
        LabFilter(name: "insolab83.innovation-sociale", keeps: [poleEmploi, microFolies, siilabWebinar, tablesRondes]) {
            $0.hasTag(Keywords([
                "innovation sociale", "inclusion", "solidarite", "insertion", "emploi", "sante",
                "economie sociale et solidaire", "handicap", "precarite",
            ]))
        },
        // etatlin
        LabFilter(name: "etatlin.design", keeps: [tablesRondes, poleEmploi, simplificathon]) {
            let design = Keywords(["design", "co-design", "codesign", "experience utilisateur"])
            return $0.hasTag(design) || design.found(in: $0.organizer)
        },
        LabFilter(name: "etatlin.sante", keeps: [tablesRondes], drops: [retex]) {
            $0.talksAbout(Keywords(["sante", "hopital", "medico-social", "soin"]))
        },
        LabFilter(name: "etatlin.participation", keeps: [gouvernementOuvert, tablesRondes]) {
            $0.talksAbout(Keywords([
                "participation citoyenne", "gouvernement ouvert", "concertation", "democratie", "avec les citoyens",
            ]))
        },
        // archipel
        LabFilter(name: "archipel.inclusion-numerique", keeps: [numeriqueEnCommuns, siilabWebinar]) {
            $0.talksAbout(Keywords([
                "inclusion numerique", "numerique inclusif", "mediation numerique", "numerique en commun",
            ]))
        },
        LabFilter(name: "archipel.numerique", keeps: [anct, dinumOpenData, hackathonCaf]) {
            let numerique = Keywords(["numerique", "digital", "dematerialisation", "donnees", "open data", "e-administration"])
            return $0.hasTag(numerique) || numerique.found(in: $0.title)
        },
        LabFilter(name: "archipel.formation", keeps: [numeriqueEnCommuns, bfcTraining], drops: [ateliersDuLab]) {
            $0.kind == "training" || $0.hasTag(Keywords(["formation", "parcours didactique", "parcours didactiques"]))
        },
        // lab-bfc
        LabFilter(name: "lab-bfc.numerique", keeps: [hackathonCaf, anct]) {
            let numerique = Keywords([
                "numerique", "digital", "dematerialisation", "donnees", "open data", "e-administration",
                "plateforme numerique",
            ])
            return $0.hasTag(numerique) || numerique.found(in: $0.title)
        },
        LabFilter(name: "lab-bfc.design", keeps: [bfcTraining, bfcConference]) {
            $0.hasTag(Keywords(["design", "design de services", "co-design", "prototypage"]))
        },
        LabFilter(name: "lab-bfc.intelligence-collective", keeps: [bfcNetwork, crashTest, facilitation]) {
            $0.hasTag(Keywords(["intelligence collective", "facilitation", "crash test", "cooperation", "communaute"]))
        },
        LabFilter(name: "lab-bfc.cnfpt", keeps: [bfcTraining, bfcConference, bfcNetwork], drops: [crashTest]) {
            let cnfpt = Keywords(["CNFPT"], exact: true)
            return cnfpt.found(in: $0.organizer) || cnfpt.found(in: $0.contact)
        },
        LabFilter(name: "lab-bfc.ruralite", keeps: [microFolies]) {
            $0.talksAbout(Keywords([
                "ruralite", "ruralites", "rural", "village du futur", "villages du futur", "petites communes",
            ]))
        },
    ]

    /// Built-in options and Lua filters together (AND), for `relais export`.
    static let filteredExports: [FilteredExport] = [
        FilteredExport(options: ["--filter", "la-base.agents"]) { $0.isForAgents },
        FilteredExport(options: ["--filter", "la-base.agents", "--kind", "webinar"]) {
            $0.isForAgents && $0.kind == "webinar"
        },
        FilteredExport(options: ["--region", "national", "--filter", "ti-lab.participation"]) {
            $0.region == nil && $0.talksAbout(Keywords([
                "participation citoyenne", "gouvernement ouvert", "democratie", "concertation", "convention citoyenne",
            ]))
        },
        FilteredExport(options: ["--week", "2020-W46", "--filter", "la-base.public"]) {
            $0.overlaps(from: "2020-11-09", to: "2020-11-15") && $0.isForThePublic
        },
        FilteredExport(options: ["--filter", "archipel.numerique", "--region", "nouvelle-aquitaine", "--filter", "la-base.agents"]) {
            let numerique = Keywords(["numerique", "digital", "dematerialisation", "donnees", "open data", "e-administration"])
            return $0.region == "75" && ($0.hasTag(numerique) || numerique.found(in: $0.title)) && $0.isForAgents
        },
        FilteredExport(options: ["--filter", "siilab.partenaires", "--online", "--from", "2020-11-01", "--to", "2020-11-15"]) {
            ($0.addresses("partners") || $0.addresses("associations")) && $0.online
                && $0.overlaps(from: "2020-11-01", to: "2020-11-15")
        },
    ]

    let directory: TemporaryDirectory
    let catalogue: String
    let plugins = ProjectFiles.root.appendingPathComponent("Plugins").path

    init() throws {
        directory = try TemporaryDirectory()
        catalogue = directory.path("catalogue.sqlite")
        let imported = try RelaisProcess.run(["--catalogue", catalogue, "import", ProjectFiles.sampleJSONLines])
        #expect(imported.status == 0, "\(imported)")
    }

    func relais(_ arguments: [String], pluginFolders: [String] = []) throws -> ProcessResult {
        let folders = (pluginFolders + [plugins]).flatMap { ["--plugins", $0] }
        return try RelaisProcess.run(["--catalogue", catalogue] + folders + arguments, in: directory.path)
    }

    /// The events `relais query ARGUMENTS` prints (JSON Lines, since standard output is a pipe).
    func queriedEvents(_ arguments: [String]) throws -> [LabEvent] {
        let result = try relais(["query"] + arguments)
        #expect(result.status == 0, "\(result)")
        return try LabEvent.parse(jsonLines: result.standardOutput)
    }

    /// The files of the temporary folder, but the catalogue and its SQLite companions.
    func filesBesideTheCatalogue() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { !$0.hasPrefix("catalogue.sqlite") }.sorted()
    }

    // MARK: 1. relais export --filter

    @Test(arguments: filteredExports)
    func exportWithLuaFiltersGivesTheQueryEventsAndObeysTheRule(_ export: FilteredExport) throws {
        let sample = try LabEvent.sample()
        let expected = Set(sample.filter(export.rule).map(\.id))
        #expect(!expected.isEmpty, "the sample has no event for \(export.options): a useless case")

        let exported = try relais(["export", "--format", "jsonl"] + export.options)
        #expect(exported.status == 0, "\(exported)")
        let events = try LabEvent.parse(jsonLines: exported.standardOutput)
        let ids = events.map(\.id)
        #expect(Set(ids).count == ids.count, "an event exported twice: \(ids)")
        #expect(Set(ids) == expected, "exported \(ids.sorted()), expected \(expected.sorted())")
        let disobeying = events.filter { !export.rule($0) }.map(\.id)
        #expect(disobeying.isEmpty, "exported events that do not obey \(export.options): \(disobeying)")

        // The same filters through `relais query`: the same events, in the same order.
        let queried = try relais(["query"] + export.options)
        #expect(queried.status == 0, "\(queried)")
        #expect(try LabEvent.parse(jsonLines: queried.standardOutput).map(\.id) == ids)
        #expect(queried.standardOutput == exported.standardOutput)

        // To a file, the format found from the extension; and as a JSON array.
        let toFile = try relais(["export", "-o", "filtre.jsonl"] + export.options)
        #expect(toFile.status == 0, "\(toFile)")
        #expect(try String(contentsOfFile: directory.path("filtre.jsonl"), encoding: .utf8) == exported.standardOutput)
        let json = try relais(["export", "--format", "json"] + export.options)
        #expect(json.status == 0, "\(json)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
        #expect(try array.map { try LabEvent(json: $0).id } == ids)

        // --limit counts the events that passed the Lua filters, not the ones read.
        let limited = try relais(["export", "--format", "jsonl", "--limit", "2"] + export.options)
        #expect(try LabEvent.parse(jsonLines: limited.standardOutput).map(\.id) == Array(ids.prefix(2)))

        // Lua exporters see the same filtered events: csv-lua writes the bytes of csv, and
        // the Markdown agenda counts them in French.
        let csvLua = try relais(["export", "--format", "csv-lua"] + export.options)
        let csv = try relais(["export", "--format", "csv"] + export.options)
        #expect(csvLua.status == 0 && csv.status == 0, "\(csvLua)\n\(csv)")
        #expect(csvLua.standardOutput == csv.standardOutput)
        // A header, then one CRLF-ended row a slot (no field of the sample holds a line break).
        let slots = sample.filter(export.rule).reduce(0) { $0 + $1.slots.count }
        #expect(csv.standardOutput.components(separatedBy: "\r\n").count - 1 == 1 + slots)
        let markdown = try relais(["export", "--format", "markdown"] + export.options)
        #expect(markdown.status == 0, "\(markdown)")
        let count = ids.count == 1 ? "1 événement." : "\(ids.count) événements."
        #expect(markdown.standardOutput.hasSuffix("\n---\n\n\(count)\n"), "\(markdown.standardOutput)")
    }

    @Test(arguments: [
        UnknownFilter(filter: "la-base.nope", status: 1, message: "plugin 'la-base' has no filter 'nope'"),
        UnknownFilter(filter: "nope.agents", status: 1, message: "no plugin 'nope'"),
        // Not written plugin.name: a usage error (exit status 2, README's "bad usage").
        UnknownFilter(filter: "nope", status: 2, message: "--filter 'nope' must be written plugin.name"),
    ])
    func anUnknownFilterFailsNamingItAndWritesNoFile(_ unknown: UnknownFilter) throws {
        let (filter, status, message) = (unknown.filter, unknown.status, unknown.message)
        let fresh = try relais(["export", "--format", "jsonl", "--filter", filter, "-o", "agenda.jsonl"])
        #expect(fresh.status == status, "\(fresh)")
        #expect(fresh.standardError.contains(message), "\(fresh.standardError)")
        #expect(fresh.standardOutput.isEmpty, "\(fresh.standardOutput)")
        let leftBehind = try filesBesideTheCatalogue()
        #expect(leftBehind.isEmpty, "left behind: \(leftBehind)")

        // A file already there is left as it was.
        let previous = try directory.write("agenda.jsonl", "ancien contenu\n")
        let again = try relais(["export", "--filter", filter, "-o", previous])
        #expect(again.status == status, "\(again)")
        #expect(again.standardError.contains(message), "\(again.standardError)")
        #expect(try String(contentsOfFile: previous, encoding: .utf8) == "ancien contenu\n")
        #expect(try filesBesideTheCatalogue() == ["agenda.jsonl"])

        // relais query says the same.
        let query = try relais(["query", "--filter", filter])
        #expect(query.status == status, "\(query)")
        #expect(query.standardError.contains(message), "\(query.standardError)")
        #expect(query.standardOutput.isEmpty)
    }

    @Test func aFilterThatFailsHalfWayLeavesNoHalfWrittenFile() throws {
        // A plugin of our own whose filter breaks on the last event of the programme, after
        // thirty events have already passed it (and been written, for a streaming export).
        let extra = directory.path("extra")
        try FileManager.default.createDirectory(atPath: "\(extra)/casse", withIntermediateDirectories: true)
        try Data(#"return { name = "casse", version = "1.0.0" }"#.utf8)
            .write(to: URL(fileURLWithPath: "\(extra)/casse/manifest.lua"))
        try Data("""
            relais.filter("tard", function(e)
              if e.id == "mip2020-labo-occitanie-rencontre-ditp-toulouse" then error("panne volontaire") end
              return true
            end)
            """.utf8).write(to: URL(fileURLWithPath: "\(extra)/casse/init.lua"))
        let previous = try directory.write("agenda.md", "# ancien agenda\n")
        for (format, file) in [("jsonl", "agenda.jsonl"), ("markdown", "agenda.md"), ("csv", "agenda.csv")] {
            let result = try relais(["export", "--format", format, "--filter", "casse.tard", "-o", file], pluginFolders: [extra])
            #expect(result.status == 1, "\(format): \(result)")
            #expect(!result.wasSignalled)
            #expect(result.standardError.contains("casse/init.lua:2: panne volontaire"), "\(format): \(result.standardError)")
        }
        #expect(try String(contentsOfFile: previous, encoding: .utf8) == "# ancien agenda\n")
        #expect(try filesBesideTheCatalogue() == ["agenda.md", "extra"])
        // The same filter without the failing event exports the other thirty.
        let before = try relais(["export", "--filter", "casse.tard", "--to", "2020-11-30", "-o", "agenda.jsonl"], pluginFolders: [extra])
        #expect(before.status == 0, "\(before)")
        #expect(try LabEvent.parse(jsonLines: String(contentsOfFile: directory.path("agenda.jsonl"), encoding: .utf8)).count == 30)
    }

    // MARK: 2. Each lab's filters against their rules

    @Test(arguments: labs)
    func eachLabsAgentsAndPublicFiltersFollowTheirRule(_ lab: Lab) throws {
        let sample = try LabEvent.sample()
        #expect(sample.count == 31)
        let cases: [(filter: String, rule: @Sendable (LabEvent) -> Bool)] = [
            ("agents", { $0.isForAgents }),
            ("public", { $0.isForThePublic }),
            ("region-ou-national", { [region = lab.region] in $0.region == region || $0.region == nil }),
        ]
        for (filter, rule) in cases {
            let expected = sample.filter(rule).map(\.id)
            #expect(!expected.isEmpty && expected.count < sample.count, "\(filter) selects nothing or everything")
            let events = try queriedEvents(["--filter", "\(lab.id).\(filter)"])
            #expect(events.count == Set(events.map(\.id)).count)
            #expect(Set(events.map(\.id)) == Set(expected), "\(lab.id).\(filter): \(events.map(\.id).sorted()) ≠ \(expected.sorted())")
            let disobeying = events.filter { !rule($0) }.map(\.id)
            #expect(disobeying.isEmpty, "\(lab.id).\(filter) kept \(disobeying)")
        }
        // Agents and public overlap but neither holds the other (the sample has both kinds).
        let agents = Set(try queriedEvents(["--filter", "\(lab.id).agents"]).map(\.id))
        let publicEvents = Set(try queriedEvents(["--filter", "\(lab.id).public"]).map(\.id))
        #expect(agents.contains(Self.poleEmploi) == false && publicEvents.contains(Self.poleEmploi))
        #expect(agents.contains(Self.bfcTraining) && !publicEvents.contains(Self.bfcTraining))
        let both = try queriedEvents(["--filter", "\(lab.id).agents", "--filter", "\(lab.id).public"])
        #expect(Set(both.map(\.id)) == agents.intersection(publicEvents))
    }

    @Test(arguments: topicalFilters)
    func eachLabsTopicalFilterKeepsExactlyWhatItsRuleSays(_ filter: LabFilter) throws {
        let sample = try LabEvent.sample()
        let expected = Set(sample.filter(filter.rule).map(\.id))
        for id in filter.keeps { #expect(expected.contains(id), "the Swift rule of \(filter.name) misses \(id)") }
        for id in filter.drops { #expect(!expected.contains(id), "the Swift rule of \(filter.name) keeps \(id)") }

        let events = try queriedEvents(["--filter", filter.name])
        let ids = events.map(\.id)
        #expect(!ids.isEmpty, "\(filter.name) keeps nothing of the sample programme")
        #expect(Set(ids).count == ids.count)
        #expect(Set(ids) == expected, "\(filter.name): relais \(ids.sorted()), rule \(expected.sorted())")
        let disobeying = events.filter { !filter.rule($0) }.map(\.id)
        #expect(disobeying.isEmpty, "\(filter.name) kept \(disobeying)")
        for id in filter.keeps { #expect(ids.contains(id), "\(filter.name) misses \(id)") }
        for id in filter.drops { #expect(!ids.contains(id), "\(filter.name) keeps \(id)") }
    }

    @Test func theVarFilterKeepsEventsHeldOrNamedInTheVar() throws {
        // No event of the sample is in Provence-Alpes-Côte d'Azur: add some.
        let extra = [
            #"{"id":"var-toulon","title":"Atelier de co-design","kind":"workshop","region":"93","place":"Toulon","slots":[{"start":"2020-11-18"}]}"#,
            #"{"id":"var-hyeres","title":"Rencontre","kind":"meeting","region":"93","place":"Hyères","slots":[{"start":"2020-11-19"}]}"#,
            #"{"id":"var-seyne","title":"Forum","kind":"forum","region":"93","place":"La Seyne-sur-Mer","slots":[{"start":"2020-11-20"}]}"#,
            #"{"id":"var-varois","title":"Webinaire","kind":"webinar","region":"93","online":true,"description":"Pour les agents varois.","slots":[{"start":"2020-11-21"}]}"#,
            #"{"id":"var-variete","title":"Une variété d'ateliers","kind":"workshop","region":"93","place":"Marseille","slots":[{"start":"2020-11-22"}]}"#,
            #"{"id":"var-hors-region","title":"Webinaire depuis Toulon","kind":"webinar","region":"11","place":"Toulon","slots":[{"start":"2020-11-23"}]}"#,
        ]
        let file = try directory.write("var.jsonl", extra.joined(separator: "\n") + "\n")
        let imported = try relais(["import", file])
        #expect(imported.status == 0, "\(imported)")

        let rule: @Sendable (LabEvent) -> Bool = { event in
            let var83 = Keywords([
                "Var", "varois", "varoise", "Toulon", "Draguignan", "Hyères", "Fréjus", "Saint-Raphaël", "Brignoles",
                "La Seyne-sur-Mer", "Six-Fours-les-Plages", "Saint-Tropez", "Sainte-Maxime",
            ], exact: true)
            return event.region == "93"
                && (var83.found(in: event.place) || var83.found(in: event.title) || var83.found(in: event.description))
        }
        let everything = try LabEvent.sample() + LabEvent.parse(jsonLines: extra.joined(separator: "\n"))
        let expected = Set(everything.filter(rule).map(\.id))
        #expect(expected == ["var-toulon", "var-hyeres", "var-seyne", "var-varois"])
        let events = try queriedEvents(["--filter", "insolab83.var"])
        #expect(Set(events.map(\.id)) == expected, "\(events.map(\.id))")
        #expect(events.filter { !rule($0) }.isEmpty)
    }

    @Test func anEventWithoutAudienceIsForAgentsButNotForThePublic() throws {
        // No event of the sample lacks an audience: `pour_agents` keeps those too.
        let line = #"{"id":"sans-public","title":"Atelier sans public précisé","kind":"workshop","region":"75","slots":[{"start":"2020-11-18"}]}"#
        let imported = try relais(["import", try directory.write("sans-public.jsonl", line + "\n")])
        #expect(imported.status == 0, "\(imported)")
        let event = try #require(try LabEvent.parse(jsonLines: line).first)
        #expect(event.audience.isEmpty && event.isForAgents && !event.isForThePublic)
        for lab in Self.labs {
            let agents = try queriedEvents(["--filter", "\(lab.id).agents", "--region", "75"]).map(\.id)
            #expect(agents.contains("sans-public"), "\(lab.id).agents: \(agents)")
            let publicEvents = try queriedEvents(["--filter", "\(lab.id).public", "--region", "75"]).map(\.id)
            #expect(!publicEvents.isEmpty && !publicEvents.contains("sans-public"), "\(lab.id).public: \(publicEvents)")
        }
        // And the export of the agents' events of Nouvelle-Aquitaine has it, in date order.
        let exported = try relais(["export", "--format", "jsonl", "--region", "75", "--filter", "la-base.agents"])
        let ids = try LabEvent.parse(jsonLines: exported.standardOutput).map(\.id)
        let position = try #require(ids.firstIndex(of: "sans-public"), "\(ids)")
        let later = try #require(ids.firstIndex(of: Self.microFolies), "\(ids)")  // on the 19th
        #expect(position < later, "\(ids)")
    }

    // MARK: 3. Each lab's bilan.lua

    /// What `bilan.lua` should print for `lab` over the days `from`…`to` (all when nil).
    static func expectedBilan(_ lab: Lab, _ sample: [LabEvent], from: String?, to: String?, period: String) -> String {
        let events = sample.filter { event in
            guard event.region == lab.region else { return false }
            guard let from, let to else { return true }
            return event.overlaps(from: from, to: to)
        }
        let kinds = [
            "webinar": "webinaire", "workshop": "atelier", "hackathon": "hackathon", "training": "formation",
            "conference": "conférence", "round-table": "table ronde", "forum": "forum",
            "call-for-ideas": "appel à idées", "consultation": "consultation", "meeting": "rencontre",
            "podcast": "podcast", "other": "autre",
        ]
        let audiences = [
            "agents": "agents", "public": "grand public", "elected": "élus", "press": "presse",
            "partners": "partenaires", "entrepreneurs": "entrepreneurs", "associations": "associations",
        ]
        func table(_ names: [String]) -> [String] {
            var counts: [String: Int] = [:]
            for name in names { counts[name, default: 0] += 1 }
            return counts.sorted { a, b in
                a.value != b.value ? a.value > b.value : FoldedWords.fold(a.key) < FoldedWords.fold(b.key)
            }.map { name, count in
                let padding = String(repeating: " ", count: max(0, 16 - name.unicodeScalars.count))
                return "  \(name)\(padding) \(String(format: "%3d", count))"
            }
        }
        let total = events.count
        let cancelled = events.filter { $0.status == "cancelled" }.count
        var lines = [
            "\(lab.name) — bilan \(lab.ofRegion) \(period)",
            "\(total) événement\(total > 1 ? "s" : ""), dont \(events.filter { $0.lab == lab.id }.count) avec \(lab.name), "
                + "\(events.filter(\.online).count) en ligne, \(cancelled) annulé\(cancelled > 1 ? "s" : "").",
        ]
        if total > 0 {
            lines += ["", "Par type"] + table(events.map { kinds[$0.kind] ?? $0.kind })
            lines += ["", "Par public"] + table(events.flatMap(\.audience).map { audiences[$0] ?? $0 })
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test(arguments: labs)
    func eachLabsBilanCountsItsRegionsEvents(_ lab: Lab) throws {
        let sample = try LabEvent.sample()
        let script = ProjectFiles.root.appendingPathComponent("Plugins/\(lab.id)/scripts/bilan.lua").path
        let periods: [(arguments: [String], from: String?, to: String?, words: String)] = [
            ([], nil, nil, "dans tout le catalogue"),
            (["2020-11"], "2020-11-01", "2020-11-30", "en novembre 2020"),
            (["2020-12"], "2020-12-01", "2020-12-31", "en décembre 2020"),
            (["2020-11-20", "2020-11-30"], "2020-11-20", "2020-11-30", "du 20 au 30 novembre 2020"),
        ]
        for period in periods {
            let result = try relais(["run", script] + period.arguments)
            #expect(result.status == 0, "\(period.arguments): \(result)")
            #expect(result.standardError.isEmpty, "\(result.standardError)")
            let expected = Self.expectedBilan(lab, sample, from: period.from, to: period.to, period: period.words)
            #expect(result.standardOutput == expected, "\(lab.id) \(period.arguments):\n\(result.standardOutput)\nexpected:\n\(expected)")
        }
        // The whole catalogue: the first line's count is the region's (insolab83's is 0).
        let all = try relais(["run", script])
        let inRegion = sample.filter { $0.region == lab.region }.count
        #expect(all.standardOutput.split(separator: "\n").dropFirst().first?.hasPrefix("\(inRegion) événement") == true)

        let badMonth = try relais(["run", script, "2020-13"])
        #expect(badMonth.status == 1, "\(badMonth)")
        #expect(badMonth.standardOutput.isEmpty)
        #expect(badMonth.standardError.contains("bilan : '2020-13' n'est pas un mois (2020-11)"), "\(badMonth.standardError)")
        #expect(badMonth.standardError.contains("usage : relais run Plugins/\(lab.id)/scripts/bilan.lua [MOIS | DU AU]"))
        let backwards = try relais(["run", script, "2020-11-30", "2020-11-01"])
        #expect(backwards.status == 1, "\(backwards)")
        #expect(backwards.standardError.contains("la période finit (2020-11-01) avant de commencer (2020-11-30)"))
    }

    @Test func theBilansAddUpToTheProgramme() throws {
        // The nine regions' totals over the whole catalogue, plus the national events, plus
        // the regions without a lab, are the 31 events of the sample.
        let sample = try LabEvent.sample()
        var counted = 0
        for lab in Self.labs {
            let script = ProjectFiles.root.appendingPathComponent("Plugins/\(lab.id)/scripts/bilan.lua").path
            let result = try relais(["run", script])
            #expect(result.status == 0, "\(result)")
            let second = result.standardOutput.split(separator: "\n").dropFirst().first ?? ""
            counted += Int(second.prefix { $0.isNumber }) ?? -1000
        }
        let labRegions = Set(Self.labs.map(\.region))
        let elsewhere = sample.filter { $0.region == nil || !labRegions.contains($0.region!) }.count
        #expect(counted + elsewhere == sample.count)
        #expect(counted == 24, "events in the nine labs' regions")
    }
}
