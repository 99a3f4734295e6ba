// The REPL's question parser: French and English questions and the filters they must
// produce, read back as `key:value` words. The clock is pinned to Tuesday 10 November 2020,
// 10:00 in Paris (ISO week 2020-W46), or to the year's end for dates around it.

import Foundation
import RelaisCore
import RelaisShell
import Testing

private func paris(_ text: String) -> Date {
    guard case .instant(let instant)? = EventTime(parsing: text) else { return Date(timeIntervalSince1970: 0) }
    return instant
}

private let labs = ["labase": "la-base", "tilab": "ti-lab", "siilab": "siilab", "fabriquerh": "fabrique-rh"]

struct QuestionCase: CustomTestStringConvertible, Sendable {
    var question: String
    var expected: String
    var now = "2020-11-10T10:00"
    var testDescription: String { question }
}

@Suite("Question parser")
struct QuestionParserTests {
    static let cases: [QuestionCase] = [
        // Kinds, regions, weeks: the national coordinator's everyday questions.
        .init(question: "webinaires en Hauts-de-France la semaine prochaine", expected: "region:32 kind:webinar from:2020-11-16 to:2020-11-22"),
        .init(question: "which webinars in Hauts-de-France next week?", expected: "region:32 kind:webinar from:2020-11-16 to:2020-11-22"),
        .init(question: "ateliers en Bretagne cette semaine", expected: "region:53 kind:workshop from:2020-11-09 to:2020-11-15"),
        .init(question: "workshops in bretagne this week", expected: "region:53 kind:workshop from:2020-11-09 to:2020-11-15"),
        .init(question: "hackathons annulés", expected: "kind:hackathon status:cancelled"),
        .init(question: "cancelled events", expected: "status:cancelled"),
        .init(question: "webinaires reportés", expected: "kind:webinar status:postponed"),
        .init(question: "formations en ligne en Île-de-France", expected: "region:11 kind:training online:yes"),
        .init(question: "formations en ligne en ile de france", expected: "region:11 kind:training online:yes"),
        .init(question: "rencontres sur place en Nouvelle-Aquitaine", expected: "region:75 kind:meeting online:no"),
        .init(question: "tables-rondes demain", expected: "kind:round-table from:2020-11-11 to:2020-11-11"),
        .init(question: "tables rondes demain", expected: "kind:round-table from:2020-11-11 to:2020-11-11"),
        .init(question: "round tables tomorrow", expected: "kind:round-table from:2020-11-11 to:2020-11-11"),
        .init(question: "appels à idées", expected: "kind:call-for-ideas"),
        .init(question: "calls for ideas in Occitanie", expected: "region:76 kind:call-for-ideas"),
        .init(question: "hackathon Provence-Alpes-Côte d'Azur", expected: "region:93 kind:hackathon"),
        .init(question: "hackathon provence alpes cote d’azur", expected: "region:93 kind:hackathon"),
        .init(question: "auvergne rhone alpes formations décembre", expected: "region:84 kind:training from:2020-12-01 to:2020-12-31"),
        .init(question: "webinaires nationaux", expected: "region:national kind:webinar"),
        .init(question: "La Réunion", expected: "region:04"),
        .init(question: "conférences en PACA", expected: "region:93 kind:conference"),
        // Labs, elisions, text.
        .init(question: "l'atelier de La Base", expected: "kind:workshop lab:la-base"),
        .init(question: "ateliers Ti-Lab", expected: "kind:workshop lab:ti-lab"),
        .init(question: "siilab", expected: "lab:siilab"),
        .init(question: "conférences sur l'inclusion numérique", expected: "kind:conference text:\"inclusion numerique\""),
        .init(question: "\"innovation numérique\" en Occitanie", expected: "region:76 text:\"innovation numerique\""),
        .init(question: "« transition écologique » webinaires", expected: "kind:webinar text:\"transition ecologique\""),
        .init(question: "design des politiques publiques", expected: "text:\"design politiques publiques\""),
        .init(question: "Événements de l’Évènementiel", expected: "text:\"evenementiel\""),
        // Days and periods.
        .init(question: "aujourd'hui", expected: "from:2020-11-10 to:2020-11-10"),
        .init(question: "aujourd’hui en Bretagne", expected: "region:53 from:2020-11-10 to:2020-11-10"),
        .init(question: "today", expected: "from:2020-11-10 to:2020-11-10"),
        .init(question: "après-demain", expected: "from:2020-11-12 to:2020-11-12"),
        .init(question: "événements du 9 au 15 novembre", expected: "from:2020-11-09 to:2020-11-15"),
        .init(question: "du 30 novembre au 6 décembre", expected: "from:2020-11-30 to:2020-12-06"),
        .init(question: "du 28 décembre au 3 janvier", expected: "from:2020-12-28 to:2021-01-03"),
        .init(question: "du 28 décembre 2020 au 3 janvier 2021", expected: "from:2020-12-28 to:2021-01-03"),
        .init(question: "from 9 to 15 november", expected: "from:2020-11-09 to:2020-11-15"),
        .init(question: "10 novembre", expected: "from:2020-11-10 to:2020-11-10"),
        .init(question: "le 1er décembre", expected: "from:2020-12-01 to:2020-12-01"),
        .init(question: "31 décembre", expected: "from:2020-12-31 to:2020-12-31"),
        .init(question: "November 10", expected: "from:2020-11-10 to:2020-11-10"),
        .init(question: "2020-11-24", expected: "from:2020-11-24 to:2020-11-24"),
        .init(question: "S47", expected: "from:2020-11-16 to:2020-11-22"),
        .init(question: "semaine 47", expected: "from:2020-11-16 to:2020-11-22"),
        .init(question: "2020-W53", expected: "from:2020-12-28 to:2021-01-03"),
        .init(question: "lundi", expected: "from:2020-11-16 to:2020-11-16"),
        .init(question: "mardi", expected: "from:2020-11-10 to:2020-11-10"),
        .init(question: "next monday", expected: "from:2020-11-16 to:2020-11-16"),
        .init(question: "ce mois-ci", expected: "from:2020-11-01 to:2020-11-30"),
        .init(question: "mois prochain", expected: "from:2020-12-01 to:2020-12-31"),
        .init(question: "next month", expected: "from:2020-12-01 to:2020-12-31"),
        .init(question: "this week", expected: "from:2020-11-09 to:2020-11-15"),
        .init(question: "la semaine dernière", expected: "from:2020-11-02 to:2020-11-08"),
        .init(question: "ce week-end", expected: "from:2020-11-14 to:2020-11-15"),
        // Around the year's end.
        .init(question: "3 janvier", expected: "from:2021-01-03 to:2021-01-03", now: "2020-12-30T09:00"),
        .init(question: "28 décembre", expected: "from:2020-12-28 to:2020-12-28", now: "2021-01-02T09:00"),
        .init(question: "semaine prochaine", expected: "from:2021-01-04 to:2021-01-10", now: "2020-12-30T09:00"),
        .init(question: "mois prochain", expected: "from:2021-01-01 to:2021-01-31", now: "2020-12-30T09:00"),
        .init(question: "S53", expected: "from:2020-12-28 to:2021-01-03", now: "2020-12-30T09:00"),
        // A week number without a year is the nearest such week, as a day is.
        .init(question: "semaine 1", expected: "from:2021-01-04 to:2021-01-10", now: "2020-12-28T10:00"),
        .init(question: "S1", expected: "from:2021-01-04 to:2021-01-10", now: "2020-12-28T10:00"),
        .init(question: "week:1", expected: "from:2021-01-04 to:2021-01-10", now: "2020-12-28T10:00"),
        .init(question: "S52", expected: "from:2020-12-21 to:2020-12-27", now: "2021-01-05T10:00"),
        .init(question: "semaine 53", expected: "from:2020-12-28 to:2021-01-03", now: "2021-01-05T10:00"),
        .init(question: "demain", expected: "from:2021-01-01 to:2021-01-01", now: "2020-12-31T23:30"),
        .init(question: "demain", expected: "from:2021-03-01 to:2021-03-01", now: "2021-02-28T12:00"),
        // key:value words.
        .init(
            question: "region:hauts-de-france kind:webinar from:2020-11-09 to:2020-11-15 lab:siilab status:cancelled online:yes",
            expected: "region:32 kind:webinar lab:siilab status:cancelled online:yes from:2020-11-09 to:2020-11-15"),
        .init(question: "region:paca", expected: "region:93"),
        .init(question: "region:national,75", expected: "region:national,75"),
        .init(question: "kind:atelier", expected: "kind:workshop"),
        .init(question: "date:demain", expected: "from:2020-11-11 to:2020-11-11"),
        .init(question: "week:47", expected: "from:2020-11-16 to:2020-11-22"),
        .init(question: "from:10/11/2020 to:\"15 novembre\"", expected: "from:2020-11-10 to:2020-11-15"),
        .init(question: "online:non text:\"tiers-lieux\"", expected: "online:no text:\"tiers-lieux\""),
        .init(question: "filter:la-base.agents webinaires", expected: "kind:webinar filter:la-base.agents"),
    ]

    @Test(arguments: cases)
    func questionsBecomeFilters(_ question: QuestionCase) throws {
        let parser = QuestionParser(now: paris(question.now), labs: labs)
        #expect(try parser.parse(question.question).understood == question.expected)
    }

    @Test func theTableIsLargeEnough() {
        #expect(Self.cases.count >= 40)
    }

    static let problems: [(String, String)] = [
        ("regoin:bretagne", "unknown key 'regoin:' (did you mean region?)"),
        ("region:bretange", "unknown region 'bretange' (did you mean Bretagne?)"),
        ("region:atlantis", "unknown region 'atlantis'"),
        ("kind:webinaire2", "unknown kind 'webinaire2' (did you mean webinar?)"),
        ("status:annulé", ""),
        ("from:2020-13-45", "from: '2020-13-45' is not a date"),
        ("to:hier-soir", "to: 'hier-soir' is not a date"),
        ("31 février", "31/2/2021 is not a date"),
        // A number before a month is a day of it, or a mistake (not a word of the text).
        ("le 32 novembre", "32/11/2020 is not a date"),
        ("0 novembre", "0/11/2020 is not a date"),
        ("31 novembre", "31/11/2020 is not a date"),
        ("november 32", "32/11/2020 is not a date"),
        ("du 9 au 32 novembre", "32/11/2020 is not a date"),
        ("date:32-novembre", "date: '32-novembre' is not a date (32/11/2020 is not a date)"),
        ("du 15 au 9 novembre", "ends before it starts"),
        ("week:60", "week: '60' is not a week"),
        ("semaine 0", "there is no week 0"),
        ("online:peut-être", "online: 'peut-être' is not yes or no"),
        ("\"texte sans fin", "a quote is not closed"),
        ("region:", "region: needs a value"),
        ("filter:agents", "filter: 'agents' is not plugin.name"),
        ("2021-W53", "2021-W53 is not a week of 2021"),
    ]

    @Test func problemsSayWhatAndSuggest() {
        let parser = QuestionParser(now: paris("2020-11-10T10:00"), labs: labs)
        for (question, message) in Self.problems {
            do {
                _ = try parser.parse(question)
                #expect(message.isEmpty, "\(question) should have been refused")
            } catch {
                #expect(!message.isEmpty && error.message.contains(message), "\(question): \(error.message)")
            }
        }
    }

    @Test func knownPluginFiltersAreCheckedWithASuggestion() {
        let parser = QuestionParser(
            now: paris("2020-11-10T10:00"), labs: labs, scriptFilters: ["la-base.agents", "siilab.region"])
        #expect(throws: QuestionProblem("no filter 'la-base.agent' (did you mean la-base.agents?)")) {
            try parser.parse("filter:la-base.agent")
        }
    }
}
