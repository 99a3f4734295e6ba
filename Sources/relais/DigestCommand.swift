import ArgumentParser
import Foundation
import RelaisCore
import RelaisDelivery
import RelaisDigests
import RelaisFormats
import RelaisScripting
import RelaisShell

struct DigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print a plugin's weekly digest, or queue it for sending (--send).",
        discussion: """
            Without --send the digest is printed (--format text, markdown, html or eml). With --send it is \
            queued in the outbox under the key plugin/name/week, so a week's digest is queued once however \
            often the command runs; `relais outbox deliver` sends it. --all does every plugin's digests and \
            reports per plugin (exit status 1 if any failed). The week is current (the default), next, \
            previous or an ISO week (2020-W47), in Europe/Paris; --now / $RELAIS_NOW pin the clock.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, markdown, html, eml
    }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scripts: ScriptOptions

    @Option(help: ArgumentHelp("The plugin whose digest to build.", valueName: "id"))
    var plugin: String?

    @Flag(help: "Every plugin's digests (with --send, for one crontab line).")
    var all = false

    @Option(help: ArgumentHelp("The digest, when the plugin has several.", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("current, next, previous or an ISO week (2020-W47).", valueName: "week"))
    var week = "current"

    @Option(help: ArgumentHelp("What to print: text, markdown, html or eml.", valueName: "format"))
    var format: Format = .text

    @Flag(help: "Queue the digest in the outbox instead of printing it (once per week and digest).")
    var send = false

    func validate() throws {
        if all == (plugin != nil) { throw ValidationError("give either --plugin ID or --all") }
        if send && format != .text { throw ValidationError("--format is for printing; --send queues the e-mail") }
        if all && name != nil { throw ValidationError("--name goes with --plugin, not --all") }
    }

    func run() throws {
        let now = try global.pinnedNow() ?? Date()
        let week = try Self.week(self.week, now: now)
        let store = try global.openCatalogue()
        let host = try scripts.pluginHost(global: global, store: store)
        let configuration = try global.deliveryConfiguration().knowing(
            owners: host.discover().plugins.map(\.id) + ["script"])
        host.secrets = configuration
        host.templates = MustacheTemplates()
        host.clock = try global.clock()

        var targets: [(plugin: String, digests: [String]?)] = []
        if let plugin {
            targets = [(plugin, name.map { [$0] })]
        } else {
            targets = host.discover().plugins.map { ($0.id, nil) }
        }

        var failed = 0
        var printed = 0
        let output = StandardOutputTextOutput()
        defer { try? output.flush() }
        for target in targets {
            let loaded: LoadedPlugin
            do {
                loaded = try host.plugin(target.plugin)
            } catch {
                failed += 1
                Terminal.writeError("relais: \(target.plugin): \(error)\n")
                continue
            }
            let names = target.digests ?? loaded.registrations.digests
            if plugin != nil && names.isEmpty {
                throw UserError("\(target.plugin) has no digest (it declares none with relais.digest)")
            }
            if !send && plugin != nil && name == nil && names.count > 1 {
                throw UserError(
                    "\(target.plugin) has several digests (\(names.joined(separator: ", "))): choose one with --name")
            }
            if let name, !loaded.registrations.digests.contains(name) {
                let known = loaded.registrations.digests.joined(separator: ", ")
                throw UserError("\(target.plugin) has no digest named '\(name)' (its digests: \(known.isEmpty ? "none" : known))")
            }
            for digestName in names {
                let label = "\(target.plugin)/\(digestName) \(week)"
                do {
                    guard let content = try loaded.buildDigest(digestName, week: week) else {
                        if send { print("\(label): nothing to send this week") }
                        else { Terminal.writeError("\(label): the digest has nothing to say this week\n") }
                        continue
                    }
                    let rendered = DigestRendering.render(content)
                    if send {
                        print(
                            try queue(
                                content, rendered, plugin: loaded, digest: digestName, week: week, store: store))
                    } else {
                        let text = try Self.printed(
                            rendered, content: content, format: format, key: "\(target.plugin)/\(digestName)/\(week)",
                            origin: target.plugin, from: configuration.mailFrom, date: now)
                        // Through the checked output: a full disk is an error, a closed pipe ends quietly.
                        try output.write((printed > 0 ? "\n" : "") + text)
                        printed += 1
                    }
                } catch is OutputClosed {
                    return
                } catch let error as OutputError {
                    throw error
                } catch {
                    failed += 1
                    Terminal.writeError("relais: \(label): \(error)\n")
                }
            }
        }
        do { try output.flush() } catch is OutputClosed {}
        if failed > 0 {
            if all { Terminal.writeError("relais: \(failed) digest\(failed == 1 ? "" : "s") failed\n") }
            throw ExitCode(1)
        }
    }

    /// `current`, `next`, `previous` (relative to `now`, in Paris) or `2020-W47`.
    static func week(_ text: String, now: Date) throws -> ISOWeek {
        let current = ISOWeek(containing: now)
        switch text.lowercased() {
        case "current", "this": return current
        case "next": return current.adding(weeks: 1)
        case "previous", "last": return current.adding(weeks: -1)
        default:
            guard let week = ISOWeek(parsing: text) else {
                throw UserError("--week: '\(text.prefix(40))' is not a week (current, next, previous or 2020-W47)")
            }
            return week
        }
    }

    /// The request the outbox keeps for one week's digest.
    static func request(_ content: DigestContent, _ rendered: RenderedDigest, key: String, origin: String, week: ISOWeek)
        -> DeliveryRequest
    {
        var body = rendered.text
        if content.channel == "webhook" {
            var object: [String: String] = ["subject": rendered.subject, "text": rendered.text, "week": week.description]
            if let markdown = rendered.markdown { object["markdown"] = markdown }
            if let html = rendered.html { object["html"] = html }
            body =
                "{"
                + object.keys.sorted().map { key in
                    var bytes: [UInt8] = []
                    EventJSONWriting.appendString(key, to: &bytes)
                    bytes.append(UInt8(ascii: ":"))
                    EventJSONWriting.appendString(object[key] ?? "", to: &bytes)
                    return String(decoding: bytes, as: UTF8.self)
                }.joined(separator: ",") + "}"
        }
        return DeliveryRequest(
            channel: content.channel, recipient: content.recipients.joined(separator: ", "), subject: rendered.subject,
            body: body, html: content.channel == "webhook" ? nil : rendered.html, headers: [], key: key, origin: origin)
    }

    private func queue(
        _ content: DigestContent, _ rendered: RenderedDigest, plugin loaded: LoadedPlugin, digest: String,
        week: ISOWeek, store: some OutboxStore
    ) throws -> String {
        let plugin = loaded.manifest.id
        guard !content.recipients.isEmpty else {
            throw UserError("the digest gives no recipients (to=)")
        }
        let key = "\(plugin)/\(digest)/\(week)"
        let request = loaded.concealingSecrets(in: Self.request(content, rendered, key: key, origin: plugin, week: week))
        let queued = try store.queue([request], at: Date())
        if queued == 0 { return "\(plugin)/\(digest) \(week): already queued (\(key)), not queued again" }
        return "\(plugin)/\(digest) \(week): queued for \(request.displayedRecipient) (\(key))"
    }

    static func printed(
        _ rendered: RenderedDigest, content: DigestContent, format: Format, key: String, origin: String, from: String,
        date: Date
    ) throws -> String {
        switch format {
        case .text:
            return rendered.text
        case .markdown:
            guard let markdown = rendered.markdown else {
                throw UserError("the digest is plain text only (its build returns no markdown): use --format text")
            }
            return markdown.hasSuffix("\n") ? markdown : markdown + "\n"
        case .html:
            guard let html = rendered.html else {
                throw UserError("the digest has no HTML (its build returns neither markdown nor html): use --format text")
            }
            return html
        case .eml:
            // The message as the sendmail channel would send it, whatever channel the digest uses.
            let recipients = content.recipients.joined(separator: ", ")
            let request = DeliveryRequest(
                channel: "sendmail", recipient: recipients.isEmpty ? "undisclosed-recipients:;" : recipients,
                subject: rendered.subject, body: rendered.text, html: rendered.html, headers: [], key: key, origin: origin)
            let delivery = Delivery(
                id: 0, request: request, status: .pending, attempts: 0, createdAt: date, nextAttemptAt: date,
                deliveredAt: nil, lastError: nil)
            return MailMessage.render(delivery, from: from, date: date)
        }
    }
}
