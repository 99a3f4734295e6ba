import ArgumentParser
import RelaisCore

/// The filters of contract §2, shared by `query` and `export`. Repeating a filter lists
/// alternatives (`--kind webinar --kind workshop`); different filters combine with AND.
struct FilterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Region: INSEE code or name (accents and case ignored), or 'national'.", valueName: "region"))
    var region: [String] = []

    @Option(help: ArgumentHelp("Kind: \(EventKind.allNames).", valueName: "kind"))
    var kind: [String] = []

    @Option(help: ArgumentHelp("Lab id, e.g. la-base, ti-lab, siilab.", valueName: "lab"))
    var lab: [String] = []

    @Option(help: ArgumentHelp("Events with a slot on or after this day (YYYY-MM-DD, from 00:00 Paris).", valueName: "date"))
    var from: String?

    @Option(help: ArgumentHelp("Events with a slot on or before this day (YYYY-MM-DD, to 23:59:59 Paris).", valueName: "date"))
    var to: String?

    @Option(help: ArgumentHelp("Events with a slot in this ISO week (2020-W47), Monday to Sunday in Paris.", valueName: "week"))
    var week: String?

    @Option(help: ArgumentHelp("Status: \(EventStatus.allNames).", valueName: "status"))
    var status: [String] = []

    @Flag(help: "Only online events.")
    var online = false

    @Flag(name: .customLong("on-site"), help: "Only events that are not online.")
    var onSite = false

    @Option(help: ArgumentHelp("Full text over title, description, organizer, place and tags: every word must match a word prefix, ignoring case and accents.", valueName: "words"))
    var text: String?

    @Option(help: ArgumentHelp("A Lua filter from a plugin, written plugin.name (e.g. la-base.agents).", valueName: "plugin.name"))
    var filter: [String] = []

    // `.unconditional`: `--limit -1` is a value the check below refuses by name, not a
    // missing value followed by an unknown option.
    @Option(parsing: .unconditional, help: ArgumentHelp("At most this many events.", valueName: "n"))
    var limit: Int?

    func validate() throws {
        _ = try query()
    }

    /// The query these options describe; a ValidationError (exit 2) names a bad value.
    func query() throws -> EventQuery {
        var query = EventQuery()
        for name in region {
            if TextFolding.nameKey(name) == "national" {
                query.regions.append(.national)
            } else if let found = Region.lookup(name) {
                query.regions.append(.region(found))
            } else {
                throw ValidationError(
                    "unknown region '\(name)': give an INSEE code (75, 53, 11, …), a name (nouvelle-aquitaine) or 'national'")
            }
        }
        for name in kind {
            guard let parsed = EventKind(rawValue: name.lowercased()) else {
                throw ValidationError("unknown kind '\(name)' (expected one of \(EventKind.allNames))")
            }
            query.kinds.append(parsed)
        }
        for name in status {
            guard let parsed = EventStatus(rawValue: name.lowercased()) else {
                throw ValidationError("unknown status '\(name)' (expected one of \(EventStatus.allNames))")
            }
            query.statuses.append(parsed)
        }
        query.labs = lab
        if let from {
            guard let day = CivilDate(parsing: from) else { throw ValidationError("--from '\(from)' is not a date (YYYY-MM-DD)") }
            query.from = day
        }
        if let to {
            guard let day = CivilDate(parsing: to) else { throw ValidationError("--to '\(to)' is not a date (YYYY-MM-DD)") }
            query.to = day
        }
        if let week {
            guard let parsed = ISOWeek(parsing: week) else {
                throw ValidationError("--week '\(week)' is not an ISO week (e.g. 2020-W47)")
            }
            if from != nil || to != nil { throw ValidationError("--week cannot be combined with --from or --to") }
            query.from = parsed.monday
            query.to = parsed.sunday
        }
        if let from = query.from, let to = query.to, to < from {
            throw ValidationError("--to \(to) is before --from \(from)")
        }
        if online && onSite { throw ValidationError("--online and --on-site exclude each other") }
        if online { query.online = true }
        if onSite { query.online = false }
        if let text {
            if TextFolding.words(text).isEmpty {
                throw ValidationError("--text '\(text)' has no word to search for")
            }
            query.text = text
        }
        for name in filter {
            let parts = name.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--filter '\(name)' must be written plugin.name (e.g. la-base.agents)")
            }
        }
        query.scriptFilters = filter
        if let limit {
            guard limit > 0 else { throw ValidationError("--limit must be a positive number") }
            query.limit = limit
        }
        return query
    }
}
