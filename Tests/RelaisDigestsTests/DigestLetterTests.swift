// The shipped weekly letter (`relais.hebdo`), digest results and their checks, Mustache
// templates (escaping, partials, and what is refused before rendering), and Markdown made
// into text and HTML.

import Foundation
import RelaisCore
import RelaisDigests
import RelaisScripting
import RelaisStorage
import RelaisTesting
import Testing

let letterPlugin = #"""
    local hebdo = require("relais.hebdo")
    relais.digest{ name = "hebdo", build = hebdo.lettre{
      lab = "Le Lab", region = "75", a = { "agents@exemple.fr" }, signature = "Le Lab",
    } }
    """#

@Suite("The weekly letter")
struct DigestLetterTests {
    @Test func aWeekWithOnlyCancellationsListsThemAndIsNotCalledEmpty() throws {
        let fixture = try DigestFixture()
        let atelier = try event("atelier-poitiers", "2020-11-10T09:30:00+01:00", "2020-11-10T11:30:00+01:00",
            kind: .workshop, title: "Atelier *design* des politiques publiques")
        try fixture.importEvents([atelier], at: "2020-10-20T10:00:00+02:00")
        var cancelled = atelier
        cancelled.status = .cancelled
        try fixture.importEvents([cancelled], at: "2020-11-03T18:00:00+01:00")  // during W45
        let plugin = try fixture.plugin("lab", letterPlugin)

        let content = try #require(try plugin.buildDigest("hebdo", week: try isoWeek("2020-W46")))
        let markdown = try #require(content.markdown)
        #expect(content.subject == "Le Lab — semaine du 9 au 15 novembre 2020")
        #expect(content.recipients == ["agents@exemple.fr"])
        #expect(markdown.hasPrefix("# Semaine du 9 au 15 novembre 2020\n"))
        #expect(markdown.contains("## Reports et annulations"))
        #expect(
            markdown.contains(
                "- **Mardi 10 novembre, 9h30–11h30** — Annulé — Atelier \\*design\\* des politiques publiques (atelier, en ligne)"),
            "\(markdown)")
        // The cancelled workshop is not announced as happening this week.
        #expect(markdown.contains("Pas d’événement cette semaine dans la région."))
        #expect(!markdown.contains("Rien n’est prévu cette semaine"))

        let rendered = DigestRendering.render(content)
        #expect(rendered.text.contains("Annulé — Atelier *design* des politiques publiques"))
        #expect(!rendered.text.contains("**"))
        let html = try #require(rendered.html)
        #expect(html.contains("<h2>Reports et annulations</h2>"))
        #expect(html.contains("Atelier *design* des politiques publiques"))
        #expect(!html.contains("<em>design</em>"))
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"fr\">"))
    }

    @Test func anEmptyWeekGetsAShortFriendlyMessage() throws {
        let fixture = try DigestFixture()
        try fixture.importEvents([try event("loin", "2020-06-02T10:00:00+02:00")], at: "2020-05-01T10:00:00+02:00")
        let plugin = try fixture.plugin("lab", letterPlugin)
        let content = try #require(try plugin.buildDigest("hebdo", week: try isoWeek("2020-W50")))
        #expect(content.subject.hasSuffix(" : semaine calme"))
        let markdown = try #require(content.markdown)
        #expect(markdown.contains("Rien n’est prévu cette semaine en Nouvelle-Aquitaine"))
        #expect(!markdown.contains("## "))
        #expect(DigestRendering.render(content).text.count > 100)
    }

    @Test func rescheduledEventsShowTheOldDateAndNewOnesAreListedOnce() throws {
        let fixture = try DigestFixture()
        let table = try event("table-ronde", "2020-11-17T14:00:00+01:00", kind: .roundTable, title: "Table ronde")
        try fixture.importEvents([table], at: "2020-11-01T10:00:00+01:00")
        var moved = table
        moved.slots = [Slot(start: try #require(EventTime(parsing: "2020-11-19T10:00:00+01:00")))]
        let nouveau = try event("nouveau", "2020-11-18", title: "Nouveau venu")
        try fixture.importEvents([moved, nouveau], at: "2020-11-10T10:00:00+01:00")  // W46
        var changedAgain = nouveau
        changedAgain.title = "Nouveau venu (précisé)"
        try fixture.importEvents([changedAgain], at: "2020-11-12T10:00:00+01:00")  // W46
        let plugin = try fixture.plugin("lab", letterPlugin)
        let markdown = try #require(
            try plugin.buildDigest("hebdo", week: try isoWeek("2020-W47"))?.markdown)
        #expect(
            markdown.contains(
                "- **Jeudi 19 novembre, 10h** — Nouvelle date — Table ronde (table ronde, en ligne), Organisateur table-ronde — initialement mardi 17 novembre, 14h"),
            "\(markdown)")
        let news = try #require(markdown.components(separatedBy: "## Nouveautés").last)
        #expect(news.components(separatedBy: "Nouveau venu (précisé)").count == 2)
        #expect(markdown.contains("- **Mercredi 18 novembre** — Nouveau venu (précisé)"))
    }

    @Test func longSectionsStopAtTheMaximumAndPointToTheProgramme() throws {
        let fixture = try DigestFixture()
        var events: [Event] = []
        for day in 16...20 {
            events.append(try event("atelier-\(day)", "2020-11-\(day)T10:00:00+01:00", title: "Atelier du \(day)"))
        }
        try fixture.importEvents(events, at: "2020-11-10T10:00:00+01:00")  // W46: five new events
        let plugin = try fixture.plugin(
            "lab",
            """
            local hebdo = require("relais.hebdo")
            relais.digest{ name = "hebdo", build = hebdo.lettre{ lab = "Le Lab", region = "75", a = "a@b.fr", maximum = 3 } }
            relais.digest{ name = "deux", build = function(week)
              return { subject = "s", text = tostring(#week.previous:changes{ limit = 2 }) }
            end }
            """)
        let week = try isoWeek("2020-W47")
        let markdown = try #require(try plugin.buildDigest("hebdo", week: week)?.markdown)
        let thisWeek = try #require(markdown.components(separatedBy: "## Cette semaine").last?
            .components(separatedBy: "## ").first)
        #expect(thisWeek.contains("Atelier du 18"))
        #expect(!thisWeek.contains("Atelier du 19"))
        #expect(thisWeek.contains("- … et d’autres encore"))
        let news = try #require(markdown.components(separatedBy: "## Nouveautés").last?.components(separatedBy: "## ").first)
        #expect(news.components(separatedBy: "\n- **").count - 1 == 3, "\(news)")
        #expect(news.contains("- … et d’autres encore"))
        #expect(try plugin.buildDigest("deux", week: week)?.text == "2")
    }

    @Test func overTheMaximumEventsStartingThisWeekComeBeforeThoseStillRunning() throws {
        let fixture = try DigestFixture()
        try fixture.importEvents(
            [
                try event("consultation-longue", "2020-10-01", "2020-12-15", kind: .consultation, title: "Consultation longue"),
                try event("lundi", "2020-11-16T10:00:00+01:00", title: "Webinaire du lundi"),
                try event("mardi", "2020-11-17T10:00:00+01:00", title: "Webinaire du mardi"),
                try event("jeudi", "2020-11-19T10:00:00+01:00", title: "Webinaire du jeudi"),
            ], at: "2020-09-01T10:00:00+02:00")
        let plugin = try fixture.plugin(
            "lab",
            """
            local hebdo = require("relais.hebdo")
            relais.digest{ name = "trois", build = hebdo.lettre{ lab = "L", region = "75", a = "a@b.fr", maximum = 3 } }
            relais.digest{ name = "quatre", build = hebdo.lettre{ lab = "L", region = "75", a = "a@b.fr", maximum = 4 } }
            """)
        let week = try isoWeek("2020-W47")
        let three = try #require(try plugin.buildDigest("trois", week: week)?.markdown)
        #expect(!three.contains("Consultation longue"))
        #expect(three.contains("- **Lundi 16 novembre, 10h** — Webinaire du lundi"))
        #expect(three.contains("- … et d’autres encore"))
        // With room for all, the order is the order of the dates: the long consultation first.
        let four = try #require(try plugin.buildDigest("quatre", week: week)?.markdown)
        let lines = four.split(separator: "\n").filter { $0.hasPrefix("- **") }.map(String.init)
        #expect(lines.first?.contains("Consultation longue") == true, "\(lines)")
        #expect(lines.count == 4)
    }

    @Test func buildResultsAreChecked() throws {
        let fixture = try DigestFixture()
        let plugin = try fixture.plugin(
            "lab",
            """
            relais.digest{ name = "nombre", build = function() return 42 end }
            relais.digest{ name = "sans-objet", build = function() return { text = "x" } end }
            relais.digest{ name = "inconnu", build = function() return { subject = "s", text = "x", cc = "y" } end }
            relais.digest{ name = "rien", build = function() return nil end }
            relais.digest{ name = "plante", build = function(week)
              local x = nil
              return x.champ
            end }
            relais.digest{ name = "adresse", build = function() return { subject = "s", text = "x", to = "pas une adresse" } end }
            relais.digest{ name = "ligne", build = function() return { subject = "a\\nb", text = "x" } end }
            relais.digest{ name = "liste", build = function() return { subject = "s", text = "x", to = { "a@b.fr", 3 } } end }
            """)
        let week = try isoWeek("2020-W47")
        #expect(try plugin.buildDigest("rien", week: week) == nil)
        let cases: [(String, String)] = [
            ("nombre", "lab/init.lua:1: digest 'nombre': build must return a table"),
            ("sans-objet", "lab/init.lua:2: digest 'sans-objet': build returned no subject"),
            ("inconnu", "lab/init.lua:3: digest 'inconnu': build returned an unknown field 'cc'"),
            ("plante", "lab/init.lua:7: attempt to index a nil value"),
            ("adresse", "lab: digest 'adresse': sendmail goes to e-mail addresses"),
            ("ligne", "lab: digest 'ligne': the subject must be one line"),
            ("liste", "lab/init.lua:11: digest 'liste': field 'to' must be a list of strings (item 2 is a number)"),
            ("absent", "lab: no digest named 'absent'"),
        ]
        for (name, expected) in cases {
            do {
                _ = try plugin.buildDigest(name, week: week)
                Issue.record("digest \(name) should have failed")
            } catch let error as ScriptError {
                #expect(error.message.hasPrefix(expected), "\(error.message)")
            }
        }
        // The plugin's state is still usable after every failure.
        #expect(try plugin.buildDigest("rien", week: week) == nil)
    }
}

@Suite("Digest templates")
struct DigestTemplateTests {
    private func render(_ templates: [String: String], call: String) throws -> Result<String, ScriptError> {
        let fixture = try DigestFixture()
        let plugin = try fixture.plugin(
            "tpl",
            """
            relais.digest{ name = "d", build = function(week)
              return { subject = "s", text = \(call) }
            end }
            """, templates: templates)
        do {
            let content = try plugin.buildDigest("d", week: try isoWeek("2020-W47"))
            return .success(content?.text ?? "")
        } catch let error as ScriptError {
            return .failure(error)
        }
    }

    @Test func textTemplatesKeepValuesAsTheyAreAndHTMLTemplatesEscapeThem() throws {
        let templates = [
            "lettre": "Bonjour {{nom}} !{{#items}}\n- {{titre}} ({{n}}){{/items}}\n{{> pied}}",
            "pied": "— {{signature}}",
            "page.html": "<p>{{nom}}</p>",
        ]
        let text = try render(
            templates,
            call: #"relais.template("lettre", { nom = "R&D <Lab>", signature = "L’équipe", items = { { titre = "Un", n = 1 }, { titre = "Deux", n = 2.5 } } })"#)
        #expect(try text.get() == "Bonjour R&D <Lab> !\n- Un (1)\n- Deux (2.5)\n— L’équipe")
        let html = try render(templates, call: #"relais.template("page.html", { nom = "R&D <Lab>" })"#)
        #expect(try html.get() == "<p>R&amp;D &lt;Lab&gt;</p>")
    }

    @Test func templateErrorsNameTheTemplateFileAndLineAndTheCallersLine() throws {
        let broken = try render(["casse": "Bonjour\n{{#items}}\n- {{titre}}\n"], call: #"relais.template("casse", {})"#)
        guard case .failure(let error) = broken else { Issue.record("expected a failure"); return }
        #expect(error.message.hasPrefix("tpl/init.lua:2: relais.template: tpl/templates/casse.mustache:"), "\(error.message)")
        #expect(error.message.contains("section is not closed"), "\(error.message)")

        let missing = try render([:], call: #"relais.template("absent", {})"#)
        guard case .failure(let error) = missing else { Issue.record("expected a failure"); return }
        #expect(error.message.contains("no template tpl/templates/absent.mustache"), "\(error.message)")

        let path = try render([:], call: #"relais.template("../init", {})"#)
        guard case .failure(let error) = path else { Issue.record("expected a failure"); return }
        #expect(error.message.contains("is not a template name"), "\(error.message)")

        let context = try render(["a": "x"], call: #"relais.template("a", { f = function() end })"#)
        guard case .failure(let error) = context else { Issue.record("expected a failure"); return }
        #expect(error.message.hasPrefix("tpl/init.lua:2: relais.template: the context"), "\(error.message)")
    }

    @Test func whatWouldRunAwayIsRefusedBeforeRendering() throws {
        let cycle = try render(["a": "A{{> b}}", "b": "B{{> a}}"], call: #"relais.template("a", {})"#)
        guard case .failure(let error) = cycle else { Issue.record("expected a failure"); return }
        #expect(error.message.contains("includes itself (a → b → a)"), "\(error.message)")

        let delimiters = try render(["a": "{{=<% %>=}}\n<%> a%>"], call: #"relais.template("a", {})"#)
        guard case .failure(let error) = delimiters else { Issue.record("expected a failure"); return }
        #expect(error.message.contains("templates/a.mustache:1: custom delimiters"), "\(error.message)")

        let deep = try render(
            ["a": "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}\n{{#l}}x{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}"],
            call: #"relais.template("a", { l = { 1 } })"#)
        guard case .failure(let error) = deep else { Issue.record("expected a failure"); return }
        #expect(error.message.contains("templates/a.mustache:2: sections nest deeper than 6"), "\(error.message)")

        // Partials included 40 times at each of three levels: 64,000 copies of 100 bytes,
        // without a section. Refused from the templates' text alone.
        let fanOut = try render(
            [
                "a": String(repeating: "{{> b}}", count: 40), "b": String(repeating: "{{> c}}", count: 40),
                "c": String(repeating: "{{> d}}", count: 40), "d": String(repeating: "x", count: 100),
            ],
            call: #"relais.template("a", {})"#)
        guard case .failure(let error) = fanOut else { Issue.record("expected a failure"); return }
        #expect(error.message.contains("templates/a.mustache includes its partials so many times"), "\(error.message)")
        let fewer = try render(
            ["a": String(repeating: "{{> b}}", count: 40), "b": String(repeating: "x", count: 100)],
            call: #"relais.template("a", {})"#)
        guard case .success(let text) = fewer else { Issue.record("expected a rendering: \(fewer)"); return }
        #expect(text == String(repeating: "x", count: 4_000))

        // 200 × 200 × 200 repetitions: stopped by the budget, the host stays usable.
        let explosive = try render(
            ["a": "{{#l}}{{#l}}{{#l}}x{{/l}}{{/l}}{{/l}}"],
            call: #"(function() local l = {} for i = 1, 200 do l[i] = i end return relais.template("a", { l = l }) end)()"#)
        guard case .failure(let error) = explosive else { Issue.record("expected a failure"); return }
        #expect(error.message.contains("repeats sections more than 100000 times"), "\(error.message)")

        // A long value over a list: stopped as it is written (50 GB would be gathered in
        // memory before a check after the rendering could see them).
        let started = Date()
        let long = try render(
            ["a": "{{#l}}{{big}}{{/l}}"],
            call: #"(function() local l = {} for i = 1, 50000 do l[i] = i end return relais.template("a", { l = l, big = ("x"):rep(1024 * 1024) }) end)()"#)
        guard case .failure(let error) = long else { Issue.record("expected a failure"); return }
        #expect(error.message.contains("rendered more than 4 MiB"), "\(error.message)")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test func anotherLargeTemplateOfTheFolderDoesNotShortenTheRepetitions() throws {
        // The bound on repetitions comes from the template rendered and its partials only.
        let large = String(repeating: "Texte d’un autre modèle, sans rapport. ", count: 5_000)
        let result = try render(
            ["a": "{{#l}}{{.}},{{/l}}", "autre": large],
            call: #"(function() local l = {} for i = 1, 20000 do l[i] = i end return relais.template("a", { l = l }) end)()"#)
        guard case .success(let text) = result else { Issue.record("expected a rendering: \(result)"); return }
        #expect(text.hasPrefix("1,2,3,") && text.hasSuffix("19999,20000,"))
    }

    @Test func transformsStillWorkOnTextValues() throws {
        let result = try render(["a": "{{uppercased(t)}} {{#l}}{{lowercased(.)}}{{/l}}"], call: #"relais.template("a", { t = "Atelier", l = { "A", "B" } })"#)
        guard case .success(let text) = result else { Issue.record("expected a rendering: \(result)"); return }
        #expect(text == "ATELIER ab")
    }
}

@Suite("Markdown to text")
struct MarkdownPlainTextTests {
    @Test func marksAreRemovedAndStructureKept() {
        let markdown = """
            # Semaine du 16 au 22 novembre 2020

            Bonjour **à toutes** et _à tous_,

            ## Cette semaine

            - **Mardi 17 novembre, 9h30–11h30** — \\#TesterDemain, `code` et [le site](https://exemple.fr)
            - snake_case_reste et R\\&D
            > citation
            ---
            """
        let text = MarkdownPlainText.text(markdown)
        #expect(
            text == """
                Semaine du 16 au 22 novembre 2020
                =================================

                Bonjour à toutes et à tous,

                Cette semaine
                -------------

                - Mardi 17 novembre, 9h30–11h30 — #TesterDemain, code et le site (https://exemple.fr)
                - snake_case_reste et R&D
                  citation
                ————————————————————
                """)
    }

    @Test func htmlComesFromMarkdownAndIsAWholeDocument() {
        let rendered = DigestRendering.render(
            DigestContent(subject: "Objet <test>", markdown: "# Titre\n\nUn **mot** & <b>rien</b>"))
        let html = rendered.html ?? ""
        #expect(html.contains("<title>Objet &lt;test&gt;</title>"))
        #expect(html.contains("<h1>Titre</h1>"))
        #expect(html.contains("<strong>mot</strong>"))
        #expect(rendered.text == "Titre\n=====\n\nUn mot & <b>rien</b>\n")
        let textOnly = DigestRendering.render(DigestContent(subject: "s", text: "Bonjour"))
        #expect(textOnly.html == nil)
        #expect(textOnly.text == "Bonjour\n")
    }
}
