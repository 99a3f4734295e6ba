import Foundation
import RelaisCore

/// A question understood: the query it asks, and how the shell read it back
/// (`kind:webinar region:32 from:2020-11-16 to:2020-11-22`).
public struct Question: Equatable, Sendable {
    public var query: EventQuery
    /// The query as `key:value` words, in a fixed order: what the shell shows after `→`.
    public var understood: String { QuestionParser.describe(query) }
}

/// A question the parser cannot read: an unknown key, a bad date, an unknown region…
/// The message says what and, when it can, suggests what was meant.
public struct QuestionProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads questions written in French or English into an ``EventQuery``:
/// `key:value` words (`region:hauts-de-france kind:webinar from:2020-11-09 lab:siilab
/// status:cancelled online:yes`), quoted text, and bare words — kinds (`webinaires`,
/// `ateliers`, `workshops`), region and lab names, statuses, `en ligne`, and time words
/// (`aujourd'hui`, `demain`, `cette semaine`, `semaine prochaine`, `ce mois-ci`, `lundi`,
/// `10 novembre`, `du 9 au 15 novembre`, `S47`, `2020-W47`, `today`, `next week`, …).
/// Words it does not recognise become full-text search words; small words (`les`, `en`,
/// `which`, `l'`) are skipped.
public struct QuestionParser: Sendable {
    /// Lab ids by name key (``TextFolding/nameKey(_:)``): ids and names of the known labs.
    public var labs: [String: String]
    /// Plugin filters (`la-base.agents`) that `filter:` accepts; empty accepts any `plugin.name`.
    public var scriptFilters: Set<String>
    /// Today and "now", in Paris.
    public var now: Date

    public init(now: Date, labs: [String: String] = [:], scriptFilters: Set<String> = []) {
        self.now = now
        self.labs = labs
        self.scriptFilters = scriptFilters
    }

    /// The keys `key:value` accepts, for messages and completion.
    public static let keys = [
        "region", "kind", "lab", "from", "to", "date", "week", "status", "online", "text", "filter", "limit",
    ]

    // MARK: - Parsing

    public func parse(_ text: String) throws(QuestionProblem) -> Question {
        var query = EventQuery()
        var textWords: [String] = []
        var words: [String] = []  // bare words, folded, in order
        for token in try Self.tokens(text) {
            switch token {
            case .quoted(let phrase):
                textWords += TextFolding.words(phrase)
            case .pair(let key, let value):
                try apply(key: key, value: value, to: &query)
            case .bare(let word):
                words += TextFolding.words(word)
            }
        }
        var index = 0
        while index < words.count {
            if let consumed = try readTime(words, index, into: &query)
                ?? readKind(words, index, into: &query)
                ?? readStatus(words, index, into: &query)
                ?? readOnline(words, index, into: &query)
                ?? readRegion(words, index, into: &query)
                ?? readLab(words, index, into: &query)
            {
                index += consumed
                continue
            }
            if !Self.smallWords.contains(words[index]) { textWords.append(words[index]) }
            index += 1
        }
        if !textWords.isEmpty {
            query.text = ((query.text.map { [$0] } ?? []) + textWords).joined(separator: " ")
        }
        return Question(query: query)
    }

    private enum Token: Equatable {
        case bare(String)
        case quoted(String)
        case pair(key: String, value: String)
    }

    /// Splits on spaces, keeping `"quoted text"` and `key:"quoted value"` whole.
    private static func tokens(_ text: String) throws(QuestionProblem) -> [Token] {
        var tokens: [Token] = []
        var scalars = Array(text.unicodeScalars)
        // Typographic quotes count as quotes.
        for index in scalars.indices where ["\u{201C}", "\u{201D}", "\u{00AB}", "\u{00BB}"].contains(scalars[index]) {
            scalars[index] = "\""
        }
        var index = 0
        func readQuoted() throws(QuestionProblem) -> String {
            index += 1
            var value = String.UnicodeScalarView()
            while index < scalars.count && scalars[index] != "\"" {
                value.append(scalars[index])
                index += 1
            }
            guard index < scalars.count else { throw QuestionProblem("a quote is not closed") }
            index += 1
            return String(value)
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar.properties.isWhitespace {
                index += 1
                continue
            }
            if scalar == "\"" {
                tokens.append(.quoted(try readQuoted()))
                continue
            }
            var word = String.UnicodeScalarView()
            while index < scalars.count && !scalars[index].properties.isWhitespace && scalars[index] != "\"" {
                word.append(scalars[index])
                index += 1
            }
            let text = String(word)
            // key:value, where the key is letters only (a time like 9:30 or a URL is not a pair).
            if let colon = text.firstIndex(of: ":"), colon != text.startIndex,
                text[..<colon].unicodeScalars.allSatisfy({ $0.properties.isAlphabetic })
            {
                let key = String(text[..<colon]).lowercased()
                var value = String(text[text.index(after: colon)...])
                if value.isEmpty && index < scalars.count && scalars[index] == "\"" { value = try readQuoted() }
                guard !value.isEmpty else { throw QuestionProblem("\(key): needs a value (\(key):…)") }
                tokens.append(.pair(key: key, value: value))
            } else {
                tokens.append(.bare(text))
            }
        }
        return tokens
    }

    private func apply(key: String, value: String, to query: inout EventQuery) throws(QuestionProblem) {
        switch TextFolding.fold(key) {
        case "region", "r":
            for name in value.split(separator: ",").map(String.init) {
                if TextFolding.nameKey(name) == "national" {
                    query.regions.append(.national)
                } else if let region = Region.lookup(name) {
                    query.regions.append(.region(region))
                } else {
                    throw QuestionProblem("unknown region '\(name)'" + Self.suggestion(name, among: Self.regionNames))
                }
            }
        case "kind", "type", "k":
            for name in value.split(separator: ",").map(String.init) {
                guard let kind = EventKind(rawValue: name.lowercased()) ?? Self.kindWords[TextFolding.nameKey(name)] else {
                    throw QuestionProblem(
                        "unknown kind '\(name)'" + Self.suggestion(name, among: EventKind.allCases.map(\.rawValue)))
                }
                query.kinds.append(kind)
            }
        case "lab", "l":
            for name in value.split(separator: ",").map(String.init) {
                let id = labs[TextFolding.nameKey(name)] ?? name.lowercased()
                guard Event.isValidLabID(id) else { throw QuestionProblem("lab: '\(name)' is not a lab id (la-base, ti-lab, …)") }
                query.labs.append(id)
            }
        case "status", "statut", "s":
            for name in value.split(separator: ",").map(String.init) {
                guard let status = EventStatus(rawValue: name.lowercased()) ?? Self.statusWords[TextFolding.nameKey(name)] else {
                    throw QuestionProblem(
                        "unknown status '\(name)'" + Self.suggestion(name, among: EventStatus.allCases.map(\.rawValue)))
                }
                query.statuses.append(status)
            }
        case "from", "du", "depuis":
            query.from = try day(value, key: "from").lowerBound
        case "to", "au", "jusqu":
            query.to = try day(value, key: "to").upperBound
        case "date", "on", "le":
            let days = try day(value, key: "date")
            query.from = days.lowerBound
            query.to = days.upperBound
        case "week", "semaine", "w":
            guard let week = ISOWeek(parsing: value) ?? weekNumber(value) else {
                throw QuestionProblem("week: '\(value)' is not a week (2020-W47, W47 or 47)")
            }
            query.from = week.monday
            query.to = week.sunday
        case "online", "enligne":
            switch TextFolding.fold(value) {
            case "yes", "oui", "true", "y", "o", "1": query.online = true
            case "no", "non", "false", "n", "0": query.online = false
            default: throw QuestionProblem("online: '\(value)' is not yes or no (online:yes, online:no)")
            }
        case "text", "texte", "q":
            query.text = ((query.text.map { [$0] } ?? []) + [value]).joined(separator: " ")
        case "limit", "limite", "max":
            guard let limit = Int(value), limit > 0 else {
                throw QuestionProblem("limit: '\(value)' is not a positive number (limit:50)")
            }
            query.limit = limit
        case "filter", "filtre", "f":
            let parts = value.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw QuestionProblem("filter: '\(value)' is not plugin.name (la-base.agents)")
            }
            if !scriptFilters.isEmpty && !scriptFilters.contains(value) {
                throw QuestionProblem(
                    "no filter '\(value)'" + Self.suggestion(value, among: scriptFilters.sorted()))
            }
            query.scriptFilters.append(value)
        default:
            throw QuestionProblem(
                "unknown key '\(key):'" + Self.suggestion(key, among: Self.keys)
                    + " (keys: \(Self.keys.joined(separator: ", ")))")
        }
    }

    /// A day (`2020-11-10`, `10/11/2020`, `10 novembre`, `demain`, …) as a range of days:
    /// one day, or a week or month for `2020-W47` or `novembre`.
    private func day(_ value: String, key: String) throws(QuestionProblem) -> ClosedRange<CivilDate> {
        if let date = CivilDate(parsing: value) { return date...date }
        let words = TextFolding.words(value.replacingOccurrences(of: "-", with: " "))
        var scratch = EventQuery()
        let consumed: Int?
        do {
            consumed = words.isEmpty ? nil : try readTime(words, 0, into: &scratch)
        } catch {
            throw QuestionProblem("\(key): '\(value)' is not a date (\(error.message))")
        }
        if consumed == words.count, let from = scratch.from, let to = scratch.to {
            return from...to
        }
        if let date = slashDate(value) { return date...date }
        throw QuestionProblem("\(key): '\(value)' is not a date (2020-11-10, 10/11/2020, 10 novembre, demain, …)")
    }

    // MARK: - Bare words

    private var today: CivilDate { CivilDate(parisDayOf: now) }

    /// Reads a time expression at `index`; returns the words it used, or nil.
    private func readTime(_ words: [String], _ index: Int, into query: inout EventQuery) throws(QuestionProblem) -> Int? {
        func word(_ offset: Int) -> String? { index + offset < words.count ? words[index + offset] : nil }
        func set(_ from: CivilDate, _ to: CivilDate) {
            query.from = from
            query.to = to
        }
        let first = words[index]
        let thisWeek = ISOWeek(containing: today)

        // du 9 au 15 novembre [2020], du 30 novembre au 6 décembre, from 9 to 15 november
        if first == "du" || first == "from" || first == "entre" || first == "between",
            let startDay = word(1).flatMap(Self.dayOfMonth)
        {
            var offset = 2
            var startMonth: Int?
            if let month = word(offset).flatMap(Self.month) {
                startMonth = month
                offset += 1
            }
            var startYear: Int?
            if let year = word(offset).flatMap(Self.year) {
                startYear = year
                offset += 1
            }
            if let separator = word(offset), ["au", "to", "et", "and", "until", "a"].contains(separator),
                let endDay = word(offset + 1).flatMap(Self.dayOfMonth)
            {
                offset += 2
                var endMonth = startMonth
                if let month = word(offset).flatMap(Self.month) {
                    endMonth = month
                    offset += 1
                }
                var endYear: Int?
                if let year = word(offset).flatMap(Self.year) {
                    endYear = year
                    offset += 1
                }
                guard let endMonth else { return nil }
                let fromMonth = startMonth ?? endMonth
                // Without years, the start is the nearest such day; du 28 décembre au
                // 3 janvier ends in the next year.
                let fromYear = startYear ?? endYear.map { fromMonth > endMonth ? $0 - 1 : $0 }
                    ?? nearestYear(month: fromMonth, day: startDay)
                let year = endYear ?? (endMonth < fromMonth ? fromYear + 1 : fromYear)
                let from = try Self.date(fromYear, fromMonth, startDay)
                let to = try Self.date(year, endMonth, endDay)
                guard from <= to else {
                    throw QuestionProblem("the period from \(from) to \(to) ends before it starts")
                }
                set(from, to)
                return offset
            }
        }
        // 10 novembre [2020], le 10 novembre, 1er décembre; november 10 [2020]
        let dayThenMonth = Self.dayOfMonth(first).flatMap { day in word(1).flatMap(Self.month).map { (day, $0) } }
        let englishMonthThenDay = Self.englishMonths[first].flatMap { month in word(1).flatMap(Self.dayOfMonth).map { ($0, month) } }
        if let (dayNumber, month) = dayThenMonth ?? englishMonthThenDay {
            var consumed = 2
            var year = nearestYear(month: month, day: dayNumber)
            if let given = word(2).flatMap(Self.year) {
                year = given
                consumed = 3
            }
            let date = try Self.date(year, month, dayNumber)
            set(date, date)
            return consumed
        }
        // A month alone: novembre [2020], en décembre, in november.
        if let month = Self.month(first) {
            var year = nearestYear(month: month, day: 15)
            var consumed = 1
            if let given = word(1).flatMap(Self.year) {
                year = given
                consumed = 2
            }
            let start = CivilDate(year: year, month: month, day: 1)
            set(start, CivilDate(year: year, month: month, day: CivilDate.daysIn(month: month, year: year)))
            return consumed
        }
        // 2020-11-10 (the folded words are 2020, 11, 10): ISO dates come as one bare token.
        if first.count == 4, let year = Int(first), let monthText = word(1), let dayText = word(2),
            monthText.count == 2, dayText.count == 2, let month = Int(monthText), let dayNumber = Int(dayText)
        {
            let date = try Self.date(year, month, dayNumber)
            set(date, date)
            return 3
        }
        // 2020-W47 → 2020, w47
        if first.count == 4, let year = Int(first), let next = word(1), next.hasPrefix("w"),
            let number = Int(next.dropFirst())
        {
            guard let week = ISOWeek(year: year, week: number) else {
                throw QuestionProblem("\(year)-W\(number) is not a week of \(year)")
            }
            set(week.monday, week.sunday)
            return 2
        }
        // S47, W47, semaine 47, week 47
        if first.count >= 2, first.count <= 3, first.hasPrefix("s") || first.hasPrefix("w"),
            let number = Int(first.dropFirst())
        {
            guard let week = weekNumber(String(number)) else { throw QuestionProblem("there is no week \(number)") }
            set(week.monday, week.sunday)
            return 1
        }
        if first == "semaine" || first == "week", let number = word(1).flatMap({ Int($0) }) {
            guard let week = weekNumber(String(number)) else { throw QuestionProblem("there is no week \(number)") }
            set(week.monday, week.sunday)
            return 2
        }

        switch first {
        case "aujourd" where word(1) == "hui":
            set(today, today)
            return 2
        case "aujourdhui", "today":
            set(today, today)
            return 1
        case "demain", "tomorrow":
            set(today.adding(days: 1), today.adding(days: 1))
            return 1
        case "apres" where word(1) == "demain":
            set(today.adding(days: 2), today.adding(days: 2))
            return 2
        case "hier", "yesterday":
            set(today.adding(days: -1), today.adding(days: -1))
            return 1
        default:
            break
        }
        // cette semaine, semaine prochaine, la semaine dernière, this week, next week, last week
        let weekWord = ["semaine", "week"]
        if (first == "cette" || first == "this") && word(1).map(weekWord.contains) == true {
            set(thisWeek.monday, thisWeek.sunday)
            return 2
        }
        if weekWord.contains(first), let relative = word(1), ["prochaine", "suivante"].contains(relative) {
            let week = thisWeek.adding(weeks: 1)
            set(week.monday, week.sunday)
            return 2
        }
        if weekWord.contains(first), let relative = word(1), ["derniere", "passee", "precedente"].contains(relative) {
            let week = thisWeek.adding(weeks: -1)
            set(week.monday, week.sunday)
            return 2
        }
        if (first == "next" || first == "last") && word(1) == "week" {
            let week = thisWeek.adding(weeks: first == "next" ? 1 : -1)
            set(week.monday, week.sunday)
            return 2
        }
        if first == "prochaine" || first == "derniere", word(1) == "semaine" {
            let week = thisWeek.adding(weeks: first == "prochaine" ? 1 : -1)
            set(week.monday, week.sunday)
            return 2
        }
        // ce mois-ci, ce mois, le mois prochain, this month, next month
        func month(offset: Int) {
            var year = today.year
            var number = today.month + offset
            if number > 12 { number -= 12; year += 1 }
            if number < 1 { number += 12; year -= 1 }
            set(CivilDate(year: year, month: number, day: 1),
                CivilDate(year: year, month: number, day: CivilDate.daysIn(month: number, year: year)))
        }
        if (first == "ce" || first == "this") && word(1) == "mois" || first == "this" && word(1) == "month" {
            month(offset: 0)
            return word(2) == "ci" ? 3 : 2
        }
        if first == "mois", let relative = word(1), ["prochain", "suivant"].contains(relative) {
            month(offset: 1)
            return 2
        }
        if first == "next" && word(1) == "month" {
            month(offset: 1)
            return 2
        }
        // ce week-end, this weekend
        if (first == "ce" && word(1) == "week" && word(2) == "end") {
            set(thisWeek.monday.adding(days: 5), thisWeek.sunday)
            return 3
        }
        if first == "this" && word(1) == "weekend" || first == "weekend" {
            set(thisWeek.monday.adding(days: 5), thisWeek.sunday)
            return first == "this" ? 2 : 1
        }
        // lundi, mardi prochain, monday: the next such day, today included.
        if let weekday = Self.weekdays[first] {
            let ahead = (weekday - today.isoWeekday + 7) % 7
            let date = today.adding(days: ahead)
            set(date, date)
            return word(1) == "prochain" || word(1) == "next" ? 2 : 1
        }
        if first == "next", let weekday = word(1).flatMap({ Self.weekdays[$0] }) {
            let ahead = (weekday - today.isoWeekday + 7) % 7
            let date = today.adding(days: ahead == 0 ? 7 : ahead)
            set(date, date)
            return 2
        }
        return nil
    }

    /// The year that puts day `day` of `month` nearest to today: in late December,
    /// `3 janvier` is next year's; in early January, `28 décembre` last year's.
    private func nearestYear(month: Int, day: Int) -> Int {
        let base = today.year
        var best = base
        var bestDistance = Int.max
        for year in [base - 1, base, base + 1] {
            // Clamped into the month: `31 février` or `32 novembre` still gets a year, for
            // the message that refuses it.
            let clamped = max(1, min(day, CivilDate.daysIn(month: month, year: year)))
            let distance = abs(CivilDate(year: year, month: month, day: clamped).daysSinceEpoch - today.daysSinceEpoch)
            if distance < bestDistance {
                best = year
                bestDistance = distance
            }
        }
        return best
    }

    /// Week `number` (`47`, `W47`, `S47`) of the ISO year that puts it nearest to this
    /// week, as for days: in late December, `S1` is next year's; in early January, `S52`
    /// last year's. Nil when no year around has that week.
    private func weekNumber(_ text: String) -> ISOWeek? {
        var digits = text.uppercased()
        if digits.hasPrefix("W") || digits.hasPrefix("S") { digits.removeFirst() }
        guard let number = Int(digits) else { return nil }
        let thisWeek = ISOWeek(containing: today)
        var best: ISOWeek?
        var bestDistance = Int.max
        // This year's first, so that a tie (26 weeks either way) keeps this year's week.
        for year in [thisWeek.year, thisWeek.year - 1, thisWeek.year + 1] {
            guard let week = ISOWeek(year: year, week: number) else { continue }
            let distance = abs(week.monday.daysSinceEpoch - thisWeek.monday.daysSinceEpoch)
            if distance < bestDistance {
                best = week
                bestDistance = distance
            }
        }
        return best
    }

    private func slashDate(_ text: String) -> CivilDate? {
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count == 2 || parts.count == 3, let dayNumber = Int(parts[0]), let month = Int(parts[1]) else {
            return nil
        }
        var year = today.year
        if parts.count == 3 {
            guard let given = Int(parts[2]) else { return nil }
            year = given < 100 ? 2000 + given : given
        }
        return try? Self.date(year, month, dayNumber)
    }

    private func readKind(_ words: [String], _ index: Int, into query: inout EventQuery) -> Int? {
        // Longest first: "tables rondes", "appels a idees", "call for ideas", "round tables".
        for length in stride(from: 4, through: 1, by: -1) where index + length <= words.count {
            let key = words[index..<(index + length)].joined()
            if let kind = Self.kindWords[key] {
                if !query.kinds.contains(kind) { query.kinds.append(kind) }
                return length
            }
        }
        return nil
    }

    private func readStatus(_ words: [String], _ index: Int, into query: inout EventQuery) -> Int? {
        guard let status = Self.statusWords[words[index]] else { return nil }
        if !query.statuses.contains(status) { query.statuses.append(status) }
        return 1
    }

    private func readOnline(_ words: [String], _ index: Int, into query: inout EventQuery) -> Int? {
        func word(_ offset: Int) -> String? { index + offset < words.count ? words[index + offset] : nil }
        switch words[index] {
        case "en" where word(1) == "ligne", "a" where word(1) == "distance":
            query.online = true
            return 2
        case "online", "distanciel", "virtuel", "virtuels", "virtuelles", "remote":
            query.online = true
            return 1
        case "sur" where word(1) == "place", "in" where word(1) == "person":
            query.online = false
            return 2
        case "presentiel", "onsite":
            query.online = false
            return 1
        case "on" where word(1) == "site":
            query.online = false
            return 2
        default:
            return nil
        }
    }

    private func readRegion(_ words: [String], _ index: Int, into query: inout EventQuery) -> Int? {
        if ["national", "nationaux", "nationale", "nationales"].contains(words[index]) {
            if !query.regions.contains(.national) { query.regions.append(.national) }
            return 1
        }
        // Longest names first: "provence alpes cote d azur" is six words.
        for length in stride(from: 6, through: 1, by: -1) where index + length <= words.count {
            let key = words[index..<(index + length)].joined()
            // Codes are for region: (a bare "75" is more likely a number in the text).
            if key.allSatisfy(\.isNumber) { continue }
            if let region = Region.lookup(key) {
                if !query.regions.contains(.region(region)) { query.regions.append(.region(region)) }
                return length
            }
        }
        return nil
    }

    private func readLab(_ words: [String], _ index: Int, into query: inout EventQuery) -> Int? {
        for length in stride(from: 4, through: 1, by: -1) where index + length <= words.count {
            let key = words[index..<(index + length)].joined()
            // "la base" is a lab; "la" alone is a small word.
            if let lab = labs[key], length > 1 || !Self.smallWords.contains(key) {
                if !query.labs.contains(lab) { query.labs.append(lab) }
                return length
            }
        }
        return nil
    }

    // MARK: - Words

    /// Words skipped in questions: articles, prepositions, question words, in French and English.
    static let smallWords: Set<String> = [
        "le", "la", "les", "l", "un", "une", "des", "de", "d", "du", "en", "dans", "a", "au", "aux", "et", "ou", "pour",
        "par", "sur", "avec", "qui", "que", "qu", "quel", "quels", "quelle", "quelles", "y", "il", "ont", "sont", "est",
        "lieu", "prevu", "prevus", "prevues", "organise", "organises", "organisees", "se", "tiennent", "liste",
        "montre", "moi", "affiche", "tous", "toutes", "evenements", "evenement", "cherche", "trouve", "ce", "cette",
        "ces", "quoi", "programme", "this", "next",
        "the", "a", "an", "in", "on", "of", "for", "and", "or", "which", "what", "are", "is", "there", "show", "me", "list",
        "all", "events", "event", "find", "with", "at", "by", "any", "prochains", "prochaines", "upcoming",
    ]

    static let kindWords: [String: EventKind] = {
        var table: [String: EventKind] = [:]
        let words: [(EventKind, [String])] = [
            (.webinar, ["webinaire", "webinaires", "webinar", "webinars", "webinaire", "webconference", "webconferences"]),
            (.workshop, ["atelier", "ateliers", "workshop", "workshops"]),
            (.hackathon, ["hackathon", "hackathons"]),
            (.training, ["formation", "formations", "training", "trainings"]),
            (.conference, ["conference", "conferences", "econference", "econferences"]),
            (.roundTable, ["tableronde", "tablesrondes", "roundtable", "roundtables"]),
            (.forum, ["forum", "forums"]),
            (.callForIdeas, ["appelaidees", "appelsaidees", "appelaidee", "callforideas", "callsforideas"]),
            (.consultation, ["consultation", "consultations"]),
            (.meeting, ["rencontre", "rencontres", "meeting", "meetings", "reunion", "reunions"]),
            (.podcast, ["podcast", "podcasts"]),
        ]
        for (kind, names) in words {
            for name in names { table[name] = kind }
        }
        return table
    }()

    static let statusWords: [String: EventStatus] = [
        "annule": .cancelled, "annules": .cancelled, "annulee": .cancelled, "annulees": .cancelled,
        "annulation": .cancelled, "annulations": .cancelled, "cancelled": .cancelled, "canceled": .cancelled,
        "reporte": .postponed, "reportes": .postponed, "reportee": .postponed, "reportees": .postponed,
        "postponed": .postponed, "scheduled": .scheduled, "maintenu": .scheduled, "maintenus": .scheduled,
    ]

    static let frenchMonths: [String: Int] = [
        "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
        "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    ]
    static let englishMonths: [String: Int] = [
        "january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7, "august": 8,
        "september": 9, "october": 10, "november": 11, "december": 12,
    ]
    static func month(_ word: String) -> Int? { frenchMonths[word] ?? englishMonths[word] }

    static let weekdays: [String: Int] = [
        "lundi": 1, "mardi": 2, "mercredi": 3, "jeudi": 4, "vendredi": 5, "samedi": 6, "dimanche": 7,
        "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
    ]

    /// `10`, `1er`, `1st`, `2nd`, `3rd`, `15th` → the day number, as written (0…99): whether
    /// the month has it is checked with the month (``date(_:_:_:)``), so that `32 novembre`
    /// is refused rather than read as `novembre` and a word `32` of the text.
    static func dayOfMonth(_ word: String) -> Int? {
        var digits = Substring(word)
        for suffix in ["er", "st", "nd", "rd", "th", "e"] where digits.hasSuffix(suffix) {
            digits = digits.dropLast(suffix.count)
            break
        }
        guard (1...2).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let number = Int(digits)
        else { return nil }
        return number
    }

    static func year(_ word: String) -> Int? {
        guard word.count == 4, let number = Int(word), (1900...2200).contains(number) else { return nil }
        return number
    }

    static func date(_ year: Int, _ month: Int, _ day: Int) throws(QuestionProblem) -> CivilDate {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year) else {
            throw QuestionProblem("\(day)/\(month)/\(year) is not a date")
        }
        return CivilDate(year: year, month: month, day: day)
    }

    static let regionNames: [String] = Region.all.map(\.name) + ["national"]

    /// ` (did you mean X?)` for the closest of `candidates`, when one is close enough.
    public static func suggestion(_ text: String, among candidates: [String]) -> String {
        let key = TextFolding.nameKey(text)
        guard !key.isEmpty else { return "" }
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(key, TextFolding.nameKey(candidate))
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= max(2, key.count / 3) else { return "" }
        return " (did you mean \(best.name)?)"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    // MARK: - Reading back

    /// `region:32 kind:webinar lab:siilab status:cancelled online:yes from:… to:… filter:… text:"…"`.
    public static func describe(_ query: EventQuery) -> String {
        var parts: [String] = []
        let regions = query.regions.map { filter -> String in
            switch filter {
            case .national: "national"
            case .region(let region): region.code
            }
        }
        if !regions.isEmpty { parts.append("region:" + regions.joined(separator: ",")) }
        if !query.kinds.isEmpty { parts.append("kind:" + query.kinds.map(\.rawValue).joined(separator: ",")) }
        if !query.labs.isEmpty { parts.append("lab:" + query.labs.joined(separator: ",")) }
        if !query.statuses.isEmpty { parts.append("status:" + query.statuses.map(\.rawValue).joined(separator: ",")) }
        if let online = query.online { parts.append("online:" + (online ? "yes" : "no")) }
        if let from = query.from { parts.append("from:\(from)") }
        if let to = query.to { parts.append("to:\(to)") }
        for filter in query.scriptFilters { parts.append("filter:" + filter) }
        if let text = query.text { parts.append("text:\"\(text)\"") }
        if let limit = query.limit { parts.append("limit:\(limit)") }
        return parts.isEmpty ? "(everything)" : parts.joined(separator: " ")
    }
}
