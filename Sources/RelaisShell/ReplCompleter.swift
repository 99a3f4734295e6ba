import Foundation
import RelaisCore

/// Tab completion for the REPL: commands, filter keys and their values, region names
/// (with and without accents), kinds in French and English, lab ids, plugin filters and
/// exporters, event ids; file names after `:export FORMAT to` are libedit's own.
public final class ReplCompleter: CompletionSource {
    private let backend: any ReplBackend

    public init(backend: any ReplBackend) {
        self.backend = backend
    }

    /// Region names as one word each: `hauts-de-france`, `île-de-france` and `ile-de-france`.
    static let regionWords: [String] = {
        var words: [String] = []
        for region in Region.all {
            let slug = region.name.lowercased().replacingOccurrences(of: " ", with: "-")
                .replacingOccurrences(of: "’", with: "-").replacingOccurrences(of: "'", with: "-")
            words.append(slug)
            let plain = TextFolding.fold(slug)
            if plain != slug { words.append(plain) }
        }
        return words + ["national"]
    }()

    static let kindWords: [String] = EventKind.allCases.map(\.rawValue) + [
        "webinaires", "ateliers", "hackathons", "formations", "conférences", "tables-rondes", "forums",
        "appels-à-idées", "consultations", "rencontres", "podcasts",
    ]

    static let timeWords = [
        "aujourd'hui", "demain", "après-demain", "cette semaine", "semaine prochaine", "semaine dernière", "ce mois-ci",
        "mois prochain", "ce week-end", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "today", "tomorrow",
        "this week", "next week", "next month",
    ]

    public func completions(for word: String, after line: String) -> [String] {
        let words = line.split(separator: " ").map(String.init)
        if let command = words.first, command.hasPrefix(":") {
            return commandArguments(command, position: words.count, word: word)
        }
        if words.isEmpty && word.hasPrefix(":") { return matching(word, ReplSession.commands) }
        if let colon = word.firstIndex(of: ":") {
            let key = String(word[..<colon]).lowercased()
            let value = String(word[word.index(after: colon)...])
            return values(for: key, prefix: value).map { key + ":" + $0 }
        }
        var candidates = QuestionParser.keys.map { $0 + ":" }
        candidates += Self.kindWords + Self.regionWords + backend.labs.values.sorted() + Self.timeWords
        var seen: Set<String> = []
        return matching(word, candidates).filter { seen.insert($0).inserted }
    }

    private func values(for key: String, prefix: String) -> [String] {
        switch key {
        case "region": return matching(prefix, Self.regionWords + Region.all.map(\.code))
        case "kind", "type": return matching(prefix, EventKind.allCases.map(\.rawValue))
        case "lab": return matching(prefix, Array(Set(backend.labs.values)).sorted())
        case "status": return matching(prefix, EventStatus.allCases.map(\.rawValue))
        case "online": return matching(prefix, ["yes", "no"])
        case "filter": return matching(prefix, backend.scriptFilters)
        case "week": return matching(prefix, ["2020-W45", "2020-W46", "2020-W47", "2020-W48", "2020-W49"])
        default: return []
        }
    }

    private func commandArguments(_ command: String, position: Int, word: String) -> [String] {
        guard position == 1 else { return [] }
        switch command {
        case ":show": return backend.eventIDs(startingWith: word, limit: 200)
        case ":export": return matching(word, backend.exporterNames)
        case ":mode": return matching(word, ReplSession.Mode.allCases.map(\.rawValue))
        case ":timer": return matching(word, ["on", "off"])
        case ":facets": return matching(word, ReplSession.facetNames)
        case ":digest": return matching(word, backend.digestPlugins)
        case ":run", ":forget":
            return matching(word, (try? backend.savedQueries.savedQueries().map(\.name)) ?? [])
        case ":help": return matching(word, ["questions", "keys", "dates", "saved", "lua"])
        default: return []
        }
    }

    /// Candidates starting with `prefix`, ignoring case (accents count: `île` and `ile`
    /// each find their own spelling).
    private func matching(_ prefix: String, _ candidates: [String]) -> [String] {
        let lowered = prefix.lowercased()
        return candidates.filter { $0.lowercased().hasPrefix(lowered) }
    }
}
