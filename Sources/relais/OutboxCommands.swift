import ArgumentParser
import Foundation
import RelaisCore
import RelaisDelivery
import RelaisScripting
import RelaisShell
import RelaisStorage

/// The plugins' change handlers over a catalogue, with their secrets.
struct Notifications {
    let store: SQLiteCatalogue
    let host: PluginHost
    let runner: ChangeHandlerRunner
    let configuration: DeliveryConfiguration

    init(global: GlobalOptions, scripts: ScriptOptions, store: SQLiteCatalogue) throws {
        self.store = store
        host = try scripts.pluginHost(global: global, store: store)
        configuration = try global.deliveryConfiguration().knowing(owners: host.discover().plugins.map(\.id) + ["script"])
        host.secrets = configuration
        runner = ChangeHandlerRunner(host: host, catalogue: store, outbox: store)
    }

    /// Runs the handlers over every change not yet handled; reports on standard error.
    /// Returns false when a handler failed.
    func runHandlers() throws -> Bool {
        let report = try runner.run()
        for failure in report.failures {
            Terminal.writeError("relais: handlers of \(failure.plugin) stopped: \(failure.message)\n")
        }
        let handled = report.handled.values.reduce(0, +)
        if handled > 0 || report.queued > 0 {
            Terminal.writeError("handlers: \(handled) changes handled, \(report.queued) deliveries queued\n")
        }
        return report.failures.isEmpty
    }

    /// The channels, by name.
    func channels() -> [String: any DeliveryChannel] {
        [
            "webhook": WebhookChannel(timeout: configuration.webhookTimeout, secrets: configuration),
            "sendmail": SendmailChannel(command: configuration.sendmailCommand, from: configuration.mailFrom),
            "file": FileChannel(folder: configuration.fileFolder),
        ]
    }
}

struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Inspect and deliver queued notifications.",
        discussion: """
            Plugins' change handlers (relais.on) queue deliveries here; `relais outbox deliver` \
            sends what is due (run it from cron or a systemd timer). See docs/notifications.md.
            """,
        subcommands: [List.self, Show.self, Deliver.self, Retry.self, Purge.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Deliveries, newest first, and handlers that are stuck.")

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("Only deliveries with this status: pending, delivered or dead.", valueName: "status"))
        var status: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("At most this many deliveries (default 50).", valueName: "n"))
        var limit = 50

        func validate() throws {
            if let status, DeliveryStatus(rawValue: status) == nil {
                throw ValidationError("--status must be pending, delivered or dead")
            }
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let store = try global.openCatalogue()
            let deliveries = try store.deliveries(status: status.flatMap(DeliveryStatus.init), limit: limit)
            if deliveries.isEmpty {
                print(status.map { "No \($0) deliveries." } ?? "The outbox is empty.")
            }
            for delivery in deliveries {
                print(OutboxText.line(delivery))
            }
            let stuck = try store.handlerPositions().filter { $0.failedSequence != nil }
            for position in stuck {
                print("stuck handler: \(position.plugin) at change \(position.failedSequence ?? 0): \(position.failure ?? "")")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One delivery and its attempts.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The delivery's id (see `relais outbox list`).", valueName: "id"))
        var id: Int64

        func run() throws {
            let store = try global.openCatalogue()
            guard let (delivery, attempts) = try store.delivery(id: id) else {
                throw UserError("no delivery \(id) in the outbox")
            }
            print(OutboxText.details(delivery, attempts: attempts))
        }
    }

    struct Deliver: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deliver",
            abstract: "Run pending change handlers, then send every delivery that is due.",
            discussion: "For cron and systemd timers: exit status 1 if a handler failed or a delivery died.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var scripts: ScriptOptions

        @Option(parsing: .unconditional, help: ArgumentHelp("Deliveries claimed and sent at a time (default 32).", valueName: "n"))
        var batch = 32

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Seconds a claim holds (default 300): a worker that dies lets its deliveries go after this.",
                valueName: "seconds"))
        var lease: Double = 300

        func validate() throws {
            if batch < 1 || batch > 1000 { throw ValidationError("--batch must be from 1 to 1000") }
            if !(lease >= 1 && lease <= 86_400) { throw ValidationError("--lease must be from 1 to 86400 seconds") }
        }

        func run() throws {
            let store = try global.openCatalogue()
            let notifications = try Notifications(global: global, scripts: scripts, store: store)
            let handlersOK = try notifications.runHandlers()
            let progress = ProgressReporter(label: "Delivering")
            let deliverer = OutboxDeliverer(
                outbox: store, channels: notifications.channels(), secrets: notifications.configuration, lease: lease)
            let report = try deliverer.deliverDue(batchSize: batch, progress: progress.update)
            progress.finish()
            print(
                "delivered \(report.delivered), to retry \(report.retrying), dead \(report.dead)"
                    + (report.lostLeases > 0 ? ", taken over by another worker \(report.lostLeases)" : ""))
            if !handlersOK || report.dead > 0 { throw ExitCode(1) }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry", abstract: "Make a delivery (dead, or waiting for a retry) due now.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The delivery's id.", valueName: "id"))
        var id: Int64

        func run() throws {
            let store = try global.openCatalogue()
            guard try store.retry(id: id, now: Date()) else {
                guard let (delivery, _) = try store.delivery(id: id) else { throw UserError("no delivery \(id) in the outbox") }
                if delivery.status == .delivered { throw UserError("delivery \(id) was already delivered") }
                throw UserError("delivery \(id) is being sent by another `relais outbox deliver`; try again later")
            }
            print("delivery \(id) is due now: run `relais outbox deliver`")
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "purge", abstract: "Delete delivered deliveries older than a given age.")

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Delete delivered deliveries (the only kind purge deletes; required, to be explicit).")
        var delivered = false

        @Option(name: .customLong("older-than"), parsing: .unconditional, help: ArgumentHelp("An age: 30d, 12h, 90m.", valueName: "age"))
        var olderThan: String

        func validate() throws {
            if !delivered { throw ValidationError("give --delivered: purge only deletes delivered deliveries") }
            if OutboxText.seconds(olderThan) == nil {
                throw ValidationError("--older-than must be an age such as 30d, 12h or 90m")
            }
        }

        func run() throws {
            let store = try global.openCatalogue()
            let age = OutboxText.seconds(olderThan) ?? 0
            let count = try store.purgeDelivered(before: Date().addingTimeInterval(-age))
            print("purged \(count) delivered deliveries")
        }
    }
}

/// How the outbox reads in a terminal. Bodies are shown by `show` only. Secrets are not
/// stored with deliveries (signatures are computed when sending, and secrets a plugin put
/// into a delivery are kept as references): they show by name, `‹secret:webhook-url›`.
enum OutboxText {
    static func line(_ delivery: Delivery) -> String {
        let request = delivery.request
        var text = "\(delivery.id)  \(delivery.status.rawValue)  \(request.channel) → \(request.displayedRecipient)  [\(request.key)]"
        text += "  attempts \(delivery.attempts)"
        if delivery.status == .pending { text += ", due \(time(delivery.nextAttemptAt))" }
        if let error = delivery.lastError, delivery.status != .delivered { text += "  — \(error)" }
        return text
    }

    static func details(_ delivery: Delivery, attempts: [DeliveryAttempt]) -> String {
        let request = delivery.request
        var lines = [
            "delivery \(delivery.id): \(delivery.status.rawValue)",
            "key:       \(request.key)",
            "from:      \(request.origin)" + (request.changeSequence.map { " (change \($0))" } ?? ""),
            "channel:   \(request.channel) → \(request.displayedRecipient)",
            "queued:    \(time(delivery.createdAt))",
        ]
        if let subject = request.subject { lines.append("subject:   \(SecretReference.shown(subject))") }
        for header in request.headers {
            lines.append("header:    \(header.name): \(SecretReference.shown(header.value))")
        }
        switch delivery.status {
        case .pending: lines.append("next:      \(time(delivery.nextAttemptAt))")
        case .delivered: lines.append("delivered: \(delivery.deliveredAt.map(time) ?? "")")
        case .dead: lines.append("dead:      \(delivery.lastError ?? "")")
        }
        lines.append("attempts:  \(attempts.isEmpty ? "none yet" : "")")
        for attempt in attempts {
            lines.append("  \(time(attempt.at))  \(attempt.outcome.rawValue)  \(attempt.detail)")
        }
        lines.append("body:")
        lines.append(SecretReference.shown(request.body))
        if let html = request.html {
            lines.append("html:")
            lines.append(SecretReference.shown(html))
        }
        return lines.joined(separator: "\n")
    }

    static func time(_ date: Date) -> String {
        EventTime.instant(date).description
    }

    /// `30d`, `12h`, `90m`, `45s` in seconds.
    static func seconds(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let value = Double(text.dropLast()), value >= 0 else { return nil }
        switch unit {
        case "d": return value * 86_400
        case "h": return value * 3_600
        case "m": return value * 60
        case "s": return value
        default: return nil
        }
    }
}
