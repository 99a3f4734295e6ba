import Foundation
import RelaisTesting
import Testing

// `relais digest` on the sample programme with a pinned clock: La Base's letter for
// 2020-W47 (the events, in order, with French dates), the e-mail read back by Python's
// `email` package, `--send` queueing once however often cron runs it, `--all --send` going
// on past a broken plugin, and the clock pinned by --now and $RELAIS_NOW.

@Suite("relais digest", .serialized)
struct DigestCLITests {
    private static let plugins = ProjectFiles.root.appendingPathComponent("Plugins").path

    /// A catalogue holding the sample programme, imported as of 2 November 2020.
    private func sampleCatalogue(_ directory: TemporaryDirectory) throws -> [String] {
        let catalogue = directory.path("c.sqlite")
        let base = ["--catalogue", catalogue, "--plugins", Self.plugins]
        let imported = try RelaisProcess.run(
            base + ["import", ProjectFiles.sampleJSONLines], environment: ["RELAIS_NOW": "2020-11-02T10:00"])
        try #require(imported.status == 0, "\(imported)")
        return base
    }

    /// The titles of the sample programme, by id.
    private func titles() throws -> [String: String] {
        var titles: [String: String] = [:]
        for line in try String(contentsOfFile: ProjectFiles.sampleJSONLines, encoding: .utf8).split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let id = object["id"] as? String, let title = object["title"] as? String
            else { continue }
            titles[id] = title
        }
        return titles
    }

    /// The list items under heading `heading` of a Markdown text.
    private func items(under heading: String, in markdown: String) -> [String] {
        var inside = false
        var found: [String] = []
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { inside = line == "## " + heading }
            else if inside && line.hasPrefix("- ") { found.append(String(line)) }
        }
        return found
    }

    @Test func laBasesLetterFor2020W47ListsItsEventsInOrderWithFrenchDates() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let result = try RelaisProcess.run(
            base + ["digest", "--plugin", "la-base", "--week", "2020-W47", "--format", "markdown"])
        try #require(result.status == 0, "\(result)")
        let markdown = result.standardOutput
        #expect(markdown.hasPrefix("# Semaine du 16 au 22 novembre 2020\n"))
        let titles = try titles()
        func expectSection(_ heading: String, _ expected: [(id: String, when: String)]) throws {
            let lines = items(under: heading, in: markdown)
            #expect(lines.count == expected.count, "\(heading): \(lines)")
            for (line, event) in zip(lines, expected) {
                let title = try #require(titles[event.id])
                let escaped = title.replacingOccurrences(of: "#", with: "\\#")
                #expect(line.hasPrefix("- **\(event.when)** — \(escaped) ("), "\(line)")
            }
        }
        try expectSection(
            "Cette semaine en Nouvelle-Aquitaine",
            [
                ("mip2020-nouvelle-aquitaine-consultation-caf-87", "Du 4 au 30 novembre"),
                ("mip2020-nouvelle-aquitaine-testerdemain", "Du 17 au 27 novembre"),
                ("mip2020-nouvelle-aquitaine-microfolies-la-souterraine", "Jeudi 19 novembre"),
                ("mip2020-nouvelle-aquitaine-discord-drac", "Vendredi 20 novembre"),
            ])
        try expectSection(
            "La semaine prochaine", [("mip2020-nouvelle-aquitaine-hackathon-caf-87", "Du 24 au 25 novembre")])
        try expectSection(
            "Webinaires nationaux, ouverts à tous",
            [
                ("mip2020-ditp-mardi-transition-ecologique", "Mardi 17 novembre, 9h30–11h30"),
                ("mip2020-ditp-sciences-comportementales-menjs-mesri", "Mardi 17 novembre, 14h–16h"),
            ])
        // Nothing was added or changed during the week before (the programme came in on 2 November).
        #expect(!markdown.contains("## Nouveautés"))
        #expect(!markdown.contains("## Reports et annulations"))

        let text = try RelaisProcess.run(base + ["digest", "--plugin", "la-base", "--week", "2020-W47"])
        #expect(text.status == 0)
        #expect(text.standardOutput.hasPrefix("Semaine du 16 au 22 novembre 2020\n=================================\n"))
        #expect(text.standardOutput.contains("- Jeudi 19 novembre — Présentation du déploiement des microfolies"))
        #expect(!text.standardOutput.contains("**"))
    }

    @Test func theEMLParsesWithPythonIntoTextAndHTMLWithAnEncodedFrenchSubject() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let result = try RelaisProcess.run(
            base + ["digest", "--plugin", "la-base", "--week", "2020-W47", "--format", "eml"],
            environment: ["RELAIS_NOW": "2020-11-16T08:00"])
        try #require(result.status == 0, "\(result)")
        let eml = try directory.write("lettre.eml", result.standardOutput)
        let parsed = try RelaisProcess.python(
            """
            import email, email.policy, json, sys
            raw = open(sys.argv[1], "rb").read()
            m = email.message_from_bytes(raw, policy=email.policy.default)
            parts = {p.get_content_type(): p.get_content() for p in m.walk() if not p.is_multipart()}
            raw_subject = [l for l in raw.decode("ascii").split("\\r\\n") if l.startswith("Subject:")][0]
            print(json.dumps({"subject": str(m["subject"]), "raw_subject": raw_subject, "to": str(m["to"]),
                "type": m.get_content_type(), "date": str(m["date"]), "parts": parts}))
            """, arguments: [eml])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(parsed.utf8)) as? [String: Any], "\(parsed)")
        #expect(object["subject"] as? String == "La Base — Mois de l’innovation publique, semaine du 16 au 22 novembre 2020")
        #expect((object["raw_subject"] as? String)?.contains("=?utf-8?") == true || (object["raw_subject"] as? String)?.contains("=?UTF-8?") == true)
        #expect(object["to"] as? String == "agents-nouvelle-aquitaine@listes.la-base.example")
        #expect(object["type"] as? String == "multipart/alternative")
        #expect((object["date"] as? String)?.contains("16 Nov 2020 08:00:00 +0100") == true, "\(object)")
        let parts = try #require(object["parts"] as? [String: String])
        #expect(parts["text/plain"]?.contains("- Jeudi 19 novembre — Présentation du déploiement des microfolies") == true)
        #expect(parts["text/html"]?.contains("<strong>Jeudi 19 novembre</strong>") == true)
        #expect(parts["text/html"]?.contains("<h2>Webinaires nationaux, ouverts à tous</h2>") == true)
    }

    @Test func sendingTwiceQueuesOneDeliveryThatSendmailReceives() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let mails = directory.path("mails")
        try FileManager.default.createDirectory(atPath: mails, withIntermediateDirectories: true)
        let sendmail = try directory.write("fake-sendmail", "#!/bin/sh\ncat > \"\(mails)/message-$$.eml\"\n")
        chmod(sendmail, 0o755)
        let configuration = try directory.write(
            "relais.conf", "[sendmail]\ncommand = \(sendmail) -t -oi\nfrom = La Base <labase@example.org>\n")
        let pinned = ["RELAIS_NOW": "2020-11-16T08:00"]
        let first = try RelaisProcess.run(base + ["digest", "--plugin", "la-base", "--send"], environment: pinned)
        #expect(first.status == 0, "\(first)")
        #expect(first.standardOutput.contains("la-base/hebdo 2020-W47: queued for agents-nouvelle-aquitaine@listes.la-base.example"))
        let second = try RelaisProcess.run(base + ["digest", "--plugin", "la-base", "--send"], environment: pinned)
        #expect(second.status == 0, "\(second)")
        #expect(second.standardOutput.contains("already queued (la-base/hebdo/2020-W47), not queued again"), "\(second)")

        let list = try RelaisProcess.run(base + ["outbox", "list"])
        let digests = list.standardOutput.split(separator: "\n").filter { $0.contains("[la-base/hebdo/2020-W47]") }
        #expect(digests.count == 1, "\(list)")

        let delivered = try RelaisProcess.run(base + ["--config", configuration, "outbox", "deliver"])
        #expect(delivered.status == 0, "\(delivered)")
        let files = try FileManager.default.contentsOfDirectory(atPath: mails)
        #expect(files.count == 1)
        let message = try String(contentsOfFile: mails + "/" + (files.first ?? ""), encoding: .utf8)
        #expect(message.contains("X-Relais-Key: la-base/hebdo/2020-W47"))
        #expect(message.contains("multipart/alternative"))

        // A third run, after delivery, still sends nothing more.
        let third = try RelaisProcess.run(base + ["digest", "--plugin", "la-base", "--send"], environment: pinned)
        #expect(third.standardOutput.contains("already queued"))
        _ = try RelaisProcess.run(base + ["--config", configuration, "outbox", "deliver"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: mails).count == 1)
    }

    @Test func allSendsEveryLabsDigestAndGoesOnPastBrokenPlugins() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let extra = directory.path("extra")
        for (id, source) in [
            ("plante", "relais.digest{ name = \"lettre\", build = function(week)\n  error(\"base indisponible\")\nend }\n"),
            (
                "gabarit-casse",
                "relais.digest{ name = \"lettre\", build = function(week)\n  return { subject = \"s\", markdown = relais.template(\"lettre\", {}), to = \"a@b.fr\" }\nend }\n"
            ),
        ] {
            try FileManager.default.createDirectory(atPath: extra + "/\(id)/templates", withIntermediateDirectories: true)
            try Data(source.utf8).write(to: URL(fileURLWithPath: extra + "/\(id)/init.lua"))
            try Data("return { name = \"\(id)\", version = \"1.0.0\" }\n".utf8)
                .write(to: URL(fileURLWithPath: extra + "/\(id)/manifest.lua"))
        }
        try Data("Bonjour\n{{#liste}}\n".utf8).write(to: URL(fileURLWithPath: extra + "/gabarit-casse/templates/lettre.mustache"))

        let result = try RelaisProcess.run(
            base + ["--plugins", extra, "digest", "--all", "--send", "--now", "2020-11-16T08:00"])
        #expect(result.status == 1, "\(result)")
        #expect(result.standardError.contains("relais: plante/lettre 2020-W47: plante/init.lua:2: base indisponible"), "\(result)")
        #expect(
            result.standardError.contains(
                "relais: gabarit-casse/lettre 2020-W47: gabarit-casse/init.lua:2: relais.template: gabarit-casse/templates/lettre.mustache:"),
            "\(result)")
        #expect(result.standardError.contains("2 digests failed"))
        let labs = ["la-base", "ti-lab", "siilab", "fabrique-rh", "labo-occitanie", "insolab83", "etatlin", "archipel", "lab-bfc"]
        for lab in labs {
            #expect(result.standardOutput.contains("\(lab)/hebdo 2020-W47: queued for "), "\(lab): \(result)")
        }
        let list = try RelaisProcess.run(base + ["outbox", "list"])
        #expect(list.standardOutput.split(separator: "\n").filter { $0.contains("/hebdo/2020-W47]") }.count == labs.count)
    }

    @Test func aDigestCanGoToAFolderOrAWebhookInstead() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let extra = directory.path("extra")
        try FileManager.default.createDirectory(atPath: extra + "/archives", withIntermediateDirectories: true)
        try Data(
            """
            relais.digest{ name = "dossier", build = function(week)
              return { subject = "Archive " .. week.id, markdown = "# " .. week.title, channel = "file", to = "lettres" }
            end }
            relais.digest{ name = "site", build = function(week)
              return { subject = "Site " .. week.id, text = "Bonjour", channel = "webhook", to = "http://127.0.0.1:9/lettre" }
            end }
            relais.digest{ name = "mauvais", build = function(week)
              return { subject = "x", text = "y", channel = "pigeon", to = "a@b.fr" }
            end }

            """.utf8
        ).write(to: URL(fileURLWithPath: extra + "/archives/init.lua"))
        try Data("return { name = \"archives\", version = \"1.0.0\" }\n".utf8)
            .write(to: URL(fileURLWithPath: extra + "/archives/manifest.lua"))
        let configuration = try directory.write("relais.conf", "[file]\nfolder = \(directory.path("spool"))\n")
        let run = base + ["--plugins", extra, "--config", configuration]

        let sent = try RelaisProcess.run(run + ["digest", "--plugin", "archives", "--send", "--week", "2020-W47"])
        #expect(sent.status == 1, "\(sent)")
        #expect(sent.standardOutput.contains("archives/dossier 2020-W47: queued for lettres"), "\(sent)")
        #expect(sent.standardOutput.contains("archives/site 2020-W47: queued for http://127.0.0.1:9/lettre"), "\(sent)")
        #expect(sent.standardError.contains("unknown channel 'pigeon' (expected sendmail, file or webhook)"), "\(sent)")

        let list = try RelaisProcess.run(run + ["outbox", "list"])
        let webhookLine = try #require(list.standardOutput.split(separator: "\n").first { $0.contains("[archives/site/2020-W47]") })
        let id = String(webhookLine.prefix { $0 != " " })
        let shown = try RelaisProcess.run(run + ["outbox", "show", id])
        let body = try #require(shown.standardOutput.components(separatedBy: "\nbody:\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String], "\(shown)")
        #expect(object == ["subject": "Site 2020-W47", "text": "Bonjour\n", "week": "2020-W47"])

        let delivered = try RelaisProcess.run(run + ["outbox", "deliver"])
        #expect(delivered.status == 0 || delivered.status == 1, "\(delivered)")
        let folder = directory.path("spool") + "/lettres"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(files.count == 1, "\(files)")
        let written = try String(contentsOfFile: folder + "/" + (files.first ?? ""), encoding: .utf8)
        #expect(written.contains("Semaine du 16 au 22 novembre 2020"), "\(written)")
    }

    @Test func theClockIsPinnedByNowAndTheEnvironmentAndBadValuesAreRefused() throws {
        let directory = try TemporaryDirectory()
        let base = try sampleCatalogue(directory)
        let next = try RelaisProcess.run(
            base + ["digest", "--plugin", "siilab", "--week", "next", "--now", "2020-11-22T23:30", "--format", "markdown"])
        #expect(next.status == 0, "\(next)")
        #expect(next.standardOutput.hasPrefix("# Semaine du 23 au 29 novembre 2020\n"), "\(next)")
        let current = try RelaisProcess.run(
            base + ["digest", "--plugin", "siilab", "--format", "markdown"], environment: ["RELAIS_NOW": "2020-11-09"])
        #expect(current.standardOutput.hasPrefix("# Semaine du 9 au 15 novembre 2020\n"), "\(current)")

        let badNow = try RelaisProcess.run(base + ["digest", "--plugin", "siilab", "--now", "demain"])
        #expect(badNow.status == 1)
        #expect(badNow.standardError.contains("--now: 'demain' is not a time"), "\(badNow)")
        let badWeek = try RelaisProcess.run(base + ["digest", "--plugin", "siilab", "--week", "2020-W54"])
        #expect(badWeek.status == 1)
        #expect(badWeek.standardError.contains("--week: '2020-W54' is not a week"), "\(badWeek)")
        let unknown = try RelaisProcess.run(base + ["digest", "--plugin", "markdown"])
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("markdown has no digest"), "\(unknown)")
        let both = try RelaisProcess.run(base + ["digest", "--plugin", "siilab", "--all"])
        #expect(both.status != 0)
        #expect(both.standardError.contains("give either --plugin ID or --all"), "\(both)")
    }
}
