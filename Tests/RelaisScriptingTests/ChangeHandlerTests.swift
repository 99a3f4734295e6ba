import Foundation
import RelaisCore
import RelaisStorage
import RelaisTesting
import Testing

@testable import RelaisScripting

// Change handlers (`relais.on`) run by `ChangeHandlerRunner` over a real SQLite catalogue,
// which is also the outbox: what each plugin sees of the change log, the keys of what it
// notifies, how a failing plugin stops at its change while the others go on, the checks of
// `relais.notify`, and `relais.secret`.

// MARK: - Fixture

/// A SQLite catalogue (also the outbox) and plugin folders, in temporary directories.
private final class HandlerFixture {
    let folder: TemporaryDirectory
    let catalogue: SQLiteCatalogue
    let plugins: PluginFolders

    init() throws {
        folder = try TemporaryDirectory()
        catalogue = try SQLiteCatalogue(path: folder.url.appendingPathComponent("catalogue.sqlite").path)
        plugins = try PluginFolders()
    }

    func runner(_ host: PluginHost) -> ChangeHandlerRunner {
        ChangeHandlerRunner(host: host, catalogue: catalogue, outbox: catalogue)
    }

    /// Imports `events` in one batch recorded as coming from `origin`.
    @discardableResult
    func importEvents(_ events: [Event], origin: String = "import.json") throws -> ImportReport {
        try catalogue.importBatch(origin: origin, dryRun: false) { session in
            for event in events { _ = try session.put(event) }
        }
    }

    /// Every change of the log, oldest first.
    func allChanges() throws -> [EventChange] {
        try catalogue.changes(after: 0, limit: 10_000)
    }

    /// Every queued delivery, oldest first.
    func queued(origin: String? = nil) throws -> [DeliveryRequest] {
        let newestFirst = try catalogue.deliveries(status: nil, limit: 10_000)
        return newestFirst.reversed().map(\.request).filter { origin == nil || $0.origin == origin }
    }

    func position(_ plugin: String) throws -> HandlerPosition {
        let positions = try catalogue.handlerPositions()
        return try #require(positions.first { $0.plugin == plugin }, "no cursor for \(plugin) in \(positions)")
    }
}

/// Writes every change it handles, of every topic, to the file channel: the body says the
/// kind, the event and the status before; the subject the source, sequence, time and the
/// status after.
private let journalPlugin = """
    local topics = { "event.added", "event.updated", "event.rescheduled", "event.cancelled" }
    for _, topic in ipairs(topics) do
      relais.on(topic, function(change)
        if "event." .. change.kind ~= topic then error("change " .. change.kind .. " given to " .. topic) end
        if change.before and change.before.id ~= change.after.id then error("before and after differ") end
        relais.notify{
          channel = "file", to = "journal",
          subject = table.concat({ change.source, tostring(change.sequence), change.at, change.after.status }, "|"),
          body = change.kind .. " " .. change.after.id .. " " .. tostring(change.before and change.before.status),
        }
      end)
    end
    """

/// Notifies each cancelled event, to the file channel; handles no other kind.
private let cancellationsPlugin = """
    relais.on("event.cancelled", function(change)
      relais.notify{ channel = "file", to = "cancelled", body = change.after.id }
    end)
    """

/// Notifies once per added event, to the file channel.
private let steadyPlugin = """
    relais.on("event.added", function(change)
      relais.notify{ channel = "file", to = "steady", body = change.after.id }
    end)
    """

/// Like `steadyPlugin`, but raises an error on the event `failingID`.
private func fragilePlugin(failingID: String) -> String {
    """
    relais.on("event.added", function(change)
      if change.after.id == "\(failingID)" then
        error("boom") -- BOOM
      end
      relais.notify{ channel = "file", to = "fragile", body = change.after.id }
    end)
    """
}

/// What the second import of `sampleEvents` changes, in this order: mip-004's title
/// (updated), mip-001's status (cancelled), mip-002's slot (rescheduled); mip-003 stays.
private func secondImport() -> [Event] {
    var updated = sampleEvents[3]
    updated.title += " (nouvelle édition)"
    var cancelled = sampleEvents[0]
    cancelled.status = .cancelled
    var rescheduled = sampleEvents[1]
    rescheduled.slots = [Slot(start: eventTime("2020-11-13T14:00"), end: nil)]
    return [updated, cancelled, rescheduled, sampleEvents[2]]
}

/// A change built by hand, for calling a plugin's handlers directly.
private func addedChange(_ event: Event = sampleEvents[0], sequence: Int64 = 7) -> EventChange {
    EventChange(
        sequence: sequence, kind: .added, eventID: event.id, before: nil, after: event, recordedAt: Date(),
        source: "test.json")
}

private func keys(_ requests: [DeliveryRequest]) -> [String] { requests.map(\.key) }

// MARK: - Seeing the change log

@Suite("Change handlers over a SQLite catalogue")
struct ChangeHandlerTests {
    @Test func handlersSeeEveryChangeInCommitOrder() throws {
        let fixture = try HandlerFixture()
        try fixture.plugins.add("journal", initSource: journalPlugin)
        try fixture.plugins.add("cancellations", initSource: cancellationsPlugin)
        let runner = fixture.runner(fixture.plugins.host())
        #expect(try runner.prepare().isEmpty)
        try fixture.importEvents(sampleEvents, origin: "first.json")
        try fixture.importEvents(secondImport(), origin: "second.json")

        let report = try runner.run()
        #expect(report.failures.isEmpty)
        #expect(report.handled == ["journal": 7, "cancellations": 1])
        #expect(report.queued == 8)

        let changes = try fixture.allChanges()
        #expect(changes.map(\.kind) == [.added, .added, .added, .added, .updated, .cancelled, .rescheduled])
        let journal = try fixture.queued(origin: "journal")
        #expect(
            journal.map(\.body) == [
                "added mip-001 nil", "added mip-002 nil", "added mip-003 nil", "added mip-004 nil",
                "updated mip-004 postponed", "cancelled mip-001 scheduled", "rescheduled mip-002 scheduled",
            ])
        try #require(journal.count == changes.count)
        for (request, change) in zip(journal, changes) {
            let at = EventTime.instant(change.recordedAt).description
            #expect(at.hasSuffix("+01:00") || at.hasSuffix("+02:00"), "\(at) is in Paris time")
            #expect(request.subject == "\(change.source)|\(change.sequence)|\(at)|\(change.after.status.rawValue)")
            #expect(request.key == "journal/\(change.sequence)/file/1")
            #expect(request.changeSequence == change.sequence)
            #expect(request.origin == "journal")
            #expect(request.channel == "file")
            #expect(request.recipient == "journal")
        }
        #expect(journal.map { $0.subject?.split(separator: "|").first.map(String.init) } == [
            "first.json", "first.json", "first.json", "first.json", "second.json", "second.json", "second.json",
        ])

        let cancelledSequence = try #require(changes.first { $0.kind == .cancelled }?.sequence)
        let cancellations = try fixture.queued(origin: "cancellations")
        #expect(cancellations.map(\.body) == ["mip-001"])
        #expect(cancellations.map(\.key) == ["cancellations/\(cancelledSequence)/file/1"])
        let last = try fixture.catalogue.lastChangeSequence()
        #expect(try fixture.position("journal").sequence == last)
        #expect(try fixture.position("cancellations").sequence == last, "changes of other kinds are passed over")
    }

    @Test func aNewPluginIsNotSentTheHistory() throws {
        let fixture = try HandlerFixture()
        try fixture.plugins.add("journal", initSource: journalPlugin)
        let host = fixture.plugins.host()
        let runner = fixture.runner(host)
        try fixture.importEvents(sampleEvents, origin: "history.json")

        // Prepared before an import: that import's changes, none of the history.
        #expect(try runner.prepare().isEmpty)
        #expect(try fixture.position("journal").sequence == fixture.catalogue.lastChangeSequence())
        try fixture.importEvents(secondImport(), origin: "news.json")
        let first = try runner.run()
        #expect(first.failures.isEmpty)
        #expect(first.handled["journal"] == 3)
        #expect(
            try fixture.queued().map(\.body) == [
                "updated mip-004 postponed", "cancelled mip-001 scheduled", "rescheduled mip-002 scheduled",
            ])

        // A plugin that appears after an import and was never prepared starts at the end.
        try fixture.plugins.add("latecomer", initSource: steadyPlugin)
        try fixture.importEvents([makeEvent("mip-005")], origin: "third.json")
        let second = try fixture.runner(fixture.plugins.host()).run()
        #expect(second.failures.isEmpty)
        #expect(second.handled["latecomer"] == 0)
        #expect(second.handled["journal"] == 1)
        #expect(try fixture.queued(origin: "latecomer").isEmpty)
        #expect(try fixture.position("latecomer").sequence == fixture.catalogue.lastChangeSequence())

        // From then on it sees what comes.
        try fixture.importEvents([makeEvent("mip-006")], origin: "fourth.json")
        let third = try runner.run()
        #expect(third.handled["latecomer"] == 1)
        #expect(try fixture.queued(origin: "latecomer").map(\.body) == ["mip-006"])
        #expect(try fixture.queued(origin: "journal").map(\.body).suffix(2) == ["added mip-005 nil", "added mip-006 nil"])
    }

    // MARK: - Exactly once

    @Test func aHandledChangeIsNeverQueuedTwice() throws {
        let fixture = try HandlerFixture()
        try fixture.plugins.add("journal", initSource: journalPlugin)
        let host = fixture.plugins.host()
        let runner = fixture.runner(host)
        _ = try runner.prepare()
        try fixture.importEvents(sampleEvents)
        #expect(try runner.run().queued == 4)

        let again = try runner.run()
        #expect(again.queued == 0)
        #expect(again.handled["journal"] == 0)
        #expect(again.failures.isEmpty)
        #expect(try fixture.queued().count == 4)

        // A crash after the handlers ran and before their commit: they ran, nothing was kept.
        try fixture.importEvents(secondImport())
        let plugin = try host.plugin("journal")
        let before = try fixture.position("journal").sequence
        var lost: [DeliveryRequest] = []
        for change in try fixture.catalogue.changes(after: before, limit: 100) where plugin.handles(change.kind) {
            lost += try plugin.handle(change)
        }
        #expect(lost.count == 3)
        #expect(try fixture.position("journal").sequence == before)
        #expect(try fixture.queued().count == 4)

        // The next run asks for the same deliveries, with the same keys, once.
        let resumed = try runner.run()
        #expect(resumed.queued == 3)
        #expect(resumed.handled["journal"] == 3)
        let all = try fixture.queued()
        #expect(Array(all.suffix(3)) == lost, "same requests, stored and read back unchanged")
        #expect(Set(keys(all)).count == all.count, "keys are unique: \(keys(all))")
        let last = try fixture.catalogue.lastChangeSequence()
        #expect(try fixture.position("journal").sequence == last)

        // Committing those again (a commit whose acknowledgement was lost) queues nothing
        // and does not move the cursor back.
        #expect(try fixture.catalogue.commitHandled(plugin: "journal", through: before, deliveries: lost) == 0)
        #expect(try fixture.queued().count == 7)
        #expect(try fixture.position("journal").sequence == last)
    }

    @Test func keysCountPerChannelAndExplicitKeysAreQueuedOnce() throws {
        let fixture = try HandlerFixture()
        try fixture.plugins.add(
            "twice",
            initSource: """
                relais.on("event.added", function(change)
                  relais.notify{ channel = "file", to = "first", body = "one " .. change.after.id }
                  relais.notify{ channel = "webhook", to = "https://example.org/hook", body = "{}" }
                  relais.notify{ channel = "file", to = "second", body = "two " .. change.after.id }
                  relais.notify{ channel = "sendmail", to = "team@example.org", subject = "Digest", body = change.after.id,
                    key = "digest-2020-11" }
                end)
                """)
        let runner = fixture.runner(fixture.plugins.host())
        _ = try runner.prepare()
        try fixture.importEvents(Array(sampleEvents.prefix(2)))
        let report = try runner.run()
        #expect(report.failures.isEmpty)
        #expect(report.queued == 7, "the second digest-2020-11 is not counted")

        let changes = try fixture.allChanges()
        try #require(changes.count == 2)
        let (first, second) = (changes[0].sequence, changes[1].sequence)
        let queued = try fixture.queued()
        #expect(
            keys(queued) == [
                "twice/\(first)/file/1", "twice/\(first)/webhook/1", "twice/\(first)/file/2", "digest-2020-11",
                "twice/\(second)/file/1", "twice/\(second)/webhook/1", "twice/\(second)/file/2",
            ])
        let digest = try #require(queued.first { $0.key == "digest-2020-11" })
        #expect(digest.body == "mip-001", "the first request with a key is the one kept")
        #expect(digest.changeSequence == first)
        #expect(digest.origin == "twice")
        #expect(digest.subject == "Digest")
        #expect(queued.filter { $0.key.hasSuffix("/file/2") }.map(\.recipient) == ["second", "second"])
    }

    // MARK: - Failures

    @Test func aFailingHandlerStopsItsPluginAtTheChange() throws {
        let fixture = try HandlerFixture()
        let source = fragilePlugin(failingID: "mip-003")
        try fixture.plugins.add("fragile", initSource: source)
        try fixture.plugins.add("steady", initSource: steadyPlugin)
        let runner = fixture.runner(fixture.plugins.host())
        #expect(try runner.prepare().isEmpty)
        try fixture.importEvents(sampleEvents)
        let sequences = try fixture.allChanges().map(\.sequence)
        try #require(sequences.count == 4)

        let report = try runner.run()
        let failure = try #require(report.failures.first)
        #expect(report.failures.count == 1)
        #expect(failure.plugin == "fragile")
        #expect(failure.sequence == sequences[2])
        #expect(failure.message.contains("fragile/init.lua:\(line(of: "-- BOOM", in: source)): boom"), "\(failure.message)")
        #expect(failure.message.contains("change \(sequences[2]), added mip-003"), "\(failure.message)")
        #expect(report.handled == ["fragile": 2, "steady": 4])

        // The deliveries before the failing change are committed, its cursor stays before it.
        #expect(try fixture.queued(origin: "fragile").map(\.body) == ["mip-001", "mip-002"])
        #expect(try fixture.queued(origin: "steady").map(\.body) == ["mip-001", "mip-002", "mip-003", "mip-004"])
        #expect(try fixture.catalogue.handlerPosition(plugin: "fragile").sequence == sequences[1])
        let stuck = try fixture.position("fragile")
        #expect(stuck.sequence == sequences[1])
        #expect(stuck.failedSequence == sequences[2])
        #expect(stuck.failure == failure.message)
        #expect(stuck.failedAt != nil)
        let steady = try fixture.position("steady")
        #expect(steady.sequence == sequences[3])
        #expect(steady.failedSequence == nil && steady.failure == nil)

        // Unfixed, it fails at the same change again and skips nothing.
        let again = try runner.run()
        #expect(again.failures.map(\.sequence) == [sequences[2]])
        #expect(again.queued == 0)
        #expect(try fixture.position("fragile").sequence == sequences[1])

        // Fixed (and loaded again), it resumes at that change and the failure is cleared.
        try fixture.plugins.add("fragile", initSource: fragilePlugin(failingID: "none"))
        let fixed = try fixture.runner(fixture.plugins.host()).run()
        #expect(fixed.failures.isEmpty)
        #expect(fixed.handled == ["fragile": 2, "steady": 0])
        #expect(fixed.queued == 2)
        #expect(try fixture.queued(origin: "fragile").map(\.body) == ["mip-001", "mip-002", "mip-003", "mip-004"])
        #expect(
            try keys(fixture.queued(origin: "fragile")).suffix(2) == [
                "fragile/\(sequences[2])/file/1", "fragile/\(sequences[3])/file/1",
            ])
        let cleared = try fixture.position("fragile")
        #expect(cleared.sequence == sequences[3])
        #expect(cleared.failedSequence == nil)
        #expect(cleared.failure == nil)
        #expect(cleared.failedAt == nil)
    }

    @Test func aFailureInALaterPageKeepsEverythingBeforeIt() throws {
        let fixture = try HandlerFixture()
        let count = ChangeHandlerRunner.pageSize + 44
        let events = (1...count).map { makeEvent(String(format: "bulk-%03d", $0)) }
        let failingIndex = ChangeHandlerRunner.pageSize + 23
        try fixture.plugins.add("fragile", initSource: fragilePlugin(failingID: events[failingIndex].id))
        let runner = fixture.runner(fixture.plugins.host())
        _ = try runner.prepare()
        try fixture.importEvents(events)
        let sequences = try fixture.allChanges().map(\.sequence)
        try #require(sequences.count == count)

        let report = try runner.run()
        #expect(report.failures.map(\.sequence) == [sequences[failingIndex]])
        #expect(report.handled["fragile"] == failingIndex)
        #expect(report.queued == failingIndex)
        #expect(try fixture.queued().map(\.body) == events.prefix(failingIndex).map(\.id))
        #expect(try fixture.position("fragile").sequence == sequences[failingIndex - 1])
    }

    @Test func importsHoldingNoneOfAPluginsKindsAreNotRead() throws {
        let fixture = try HandlerFixture()
        try fixture.plugins.add("cancellations", initSource: cancellationsPlugin)
        let store = CountingStore(fixture.catalogue)
        let runner = ChangeHandlerRunner(host: fixture.plugins.host(), catalogue: store, outbox: fixture.catalogue)
        _ = try runner.prepare()
        // Three windows' worth of additions, a cancellation, then more additions.
        let additions = Int(ChangeHandlerRunner.windowSize) * 3
        let events = (1...additions).map { makeEvent(String(format: "bulk-%05d", $0)) }
        try fixture.importEvents(events, origin: "bulk.json")
        var cancelled = events[17]
        cancelled.status = .cancelled
        try fixture.importEvents([cancelled], origin: "cancel.json")
        try fixture.importEvents((1...100).map { makeEvent(String(format: "more-%03d", $0)) }, origin: "more.json")

        let report = try runner.run()
        #expect(report.failures.isEmpty)
        #expect(report.handled == ["cancellations": 1])
        #expect(try fixture.queued().map(\.body) == [cancelled.id])
        #expect(store.kindReads.current == 1, "only the window of the cancellation is read")
        #expect(try fixture.position("cancellations").sequence == fixture.catalogue.lastChangeSequence())
    }

    @Test func aHandlerStoppedByTheInstructionLimitIsAFailure() throws {
        let fixture = try HandlerFixture()
        let source = """
            relais.on("event.added", function(change)
              if change.after.id == "mip-002" then
                while true do end -- SPIN
              end
              relais.notify{ channel = "file", to = "spin", body = change.after.id }
            end)
            """
        try fixture.plugins.add("spinner", initSource: source)
        try fixture.plugins.add("steady", initSource: steadyPlugin)
        let runner = fixture.runner(fixture.plugins.host(instructionLimit: 100_000))
        #expect(try runner.prepare().isEmpty)
        try fixture.importEvents(sampleEvents)
        let sequences = try fixture.allChanges().map(\.sequence)
        try #require(sequences.count == 4)

        let report = try runner.run()
        let failure = try #require(report.failures.first)
        #expect(report.failures.count == 1)
        #expect(failure.plugin == "spinner")
        #expect(failure.sequence == sequences[1])
        #expect(failure.message.contains("spinner/init.lua:"), "\(failure.message)")
        #expect(failure.message.contains("instruction limit exceeded"), "\(failure.message)")
        #expect(failure.message.contains("change \(sequences[1]), added mip-002"), "\(failure.message)")
        #expect(report.handled == ["spinner": 1, "steady": 4])
        #expect(try fixture.queued(origin: "spinner").map(\.body) == ["mip-001"])
        #expect(try fixture.queued(origin: "steady").count == 4)
        let stuck = try fixture.position("spinner")
        #expect(stuck.sequence == sequences[0])
        #expect(stuck.failedSequence == sequences[1])
    }

    /// What the handlers ask for waits in the host's memory, which the Lua budget does not
    /// cover: one change's notifications are bounded, and a page's are queued early.
    @Test func notificationsHeldInMemoryAreBounded() throws {
        let folders = try PluginFolders()
        try folders.add(
            "bavard",
            initSource: """
                local body = ("x"):rep(1024 * 1024)
                relais.on("event.added", function(change)
                  for i = 1, 20 do relais.notify{ channel = "file", to = "box", body = body } end -- NOTIFY
                end)
                """)
        let plugin = try folders.host().plugin("bavard")
        expectScriptError("relais.notify: the notifications of one change would hold more than 16 MiB") {
            _ = try plugin.handle(addedChange())
        }

        let fixture = try HandlerFixture()
        try fixture.plugins.add(
            "gros",
            initSource: """
                local body = ("y"):rep(3 * 1024 * 1024)
                relais.on("event.added", function(change)
                  relais.notify{ channel = "file", to = "box", body = body }
                end)
                """)
        let runner = fixture.runner(fixture.plugins.host())
        _ = try runner.prepare()
        let events = (1...30).map { makeEvent(String(format: "gros-%03d", $0)) }
        try fixture.importEvents(events)
        let report = try runner.run()
        #expect(report.failures.isEmpty)
        #expect(report.queued == 30)
        #expect(try fixture.queued(origin: "gros").count == 30)
        #expect(try fixture.position("gros").sequence == (try fixture.allChanges().last?.sequence))
    }

    // MARK: - relais.notify

    @Test(arguments: badNotifyCases)
    func notifyRefusesBadArguments(_ badCase: NotifyCase) throws {
        let folders = try PluginFolders()
        let source = """
            relais.on("event.added", function(change)
              relais.notify(\(badCase.spec)) -- NOTIFY
            end)
            """
        try folders.add("notifier", initSource: source)
        let plugin = try folders.host().plugin("notifier")
        let notifyLine = line(of: "-- NOTIFY", in: source)
        expectScriptError("notifier/init.lua:\(notifyLine): relais.notify: \(badCase.expected)") {
            _ = try plugin.handle(addedChange())
        }
    }

    /// "\r\n" is one `Character` in Swift, equal neither to "\r" nor to "\n": the subject
    /// check in `ScriptRuntime.notify` lets it through, and with it a forged e-mail header.
    @Test func notifyRefusesASubjectWithACarriageReturnLineFeed() throws {
        let folders = try PluginFolders()
        try folders.add(
            "notifier",
            initSource: """
                relais.on("event.added", function(change)
                  relais.notify{ channel = "sendmail", to = "team@example.org", subject = "Hello\\r\\nBcc: spy@example.org",
                    body = "b" }
                end)
                """)
        let plugin = try folders.host().plugin("notifier")
        // "\r\n" is one Swift Character: the check must look at scalars.
        expectScriptError("relais.notify: subject must not contain a line break") {
            _ = try plugin.handle(addedChange())
        }
    }

    @Test func notifyEncodesTablesSortsHeadersAndKeepsEveryField() throws {
        let fixture = try HandlerFixture()
        try fixture.plugins.add(
            "hooks",
            initSource: """
                relais.on("event.added", function(change)
                  relais.notify{
                    channel = "webhook", to = "https://example.org/hook",
                    body = { id = change.after.id, tags = change.after.tags, count = 2 },
                    headers = { ["X-Zeta"] = "z", ["Content-Type"] = "application/json", ["X-Alpha"] = "a" },
                  }
                  relais.notify{ channel = "sendmail", to = "a@example.org, b@example.org", subject = "Nouveau",
                    body = "texte", html = "<p>texte</p>", key = string.rep("k", 200) }
                end)
                """)
        let runner = fixture.runner(fixture.plugins.host())
        _ = try runner.prepare()
        try fixture.importEvents([sampleEvents[0]])
        let report = try runner.run()
        #expect(report.failures.isEmpty, "\(report.failures)")
        let sequence = try fixture.catalogue.lastChangeSequence()

        let queued = try fixture.queued()
        try #require(queued.count == 2)
        let hook = queued[0]
        #expect(hook.channel == "webhook")
        #expect(hook.recipient == "https://example.org/hook")
        #expect(hook.key == "hooks/\(sequence)/webhook/1")
        #expect(hook.headers.map(\.name) == ["Content-Type", "X-Alpha", "X-Zeta"])
        #expect(hook.headers.map(\.value) == ["application/json", "a", "z"])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(hook.body.utf8)) as? [String: Any], "\(hook.body)")
        #expect(object["id"] as? String == "mip-001")
        #expect(object["tags"] as? [String] == ["design", "agents"])
        #expect((object["count"] as? NSNumber)?.intValue == 2)

        let mail = queued[1]
        #expect(
            mail
                == DeliveryRequest(
                    channel: "sendmail", recipient: "a@example.org, b@example.org", subject: "Nouveau", body: "texte",
                    html: "<p>texte</p>", headers: [], key: String(repeating: "k", count: 200), origin: "hooks",
                    changeSequence: sequence))
    }

    // MARK: - relais.notify outside handlers

    @Test func notifyOutsideAHandlerIsRefused() throws {
        let fixture = try HandlerFixture()
        let eager = """
            relais.on("event.added", function() end)
            relais.notify{ channel = "file", to = "journal", body = "too early" } -- EARLY
            """
        try fixture.plugins.add("eager", initSource: eager)
        try fixture.plugins.add(
            "filtering",
            initSource: """
                relais.on("event.added", function(change)
                  relais.notify{ channel = "file", to = "journal", body = change.after.id }
                  if change.after.id == "mip-002" then error("stop") end
                end)
                relais.filter("noisy", function(e)
                  relais.notify{ channel = "file", to = "journal", body = "from a filter" } -- FILTER
                  return true
                end)
                """)
        let host = fixture.plugins.host()
        let early = "eager/init.lua:\(line(of: "-- EARLY", in: eager)): relais.notify: only change handlers"
        expectScriptError(early) { _ = try host.plugin("eager") }

        let runner = fixture.runner(host)
        let prepared = try runner.prepare()
        #expect(prepared.map(\.plugin) == ["eager"])
        #expect(prepared.map(\.sequence) == [0])
        #expect(prepared.first?.message.contains(early) == true, "\(prepared)")
        try fixture.importEvents(sampleEvents)
        let report = try runner.run()
        #expect(report.failures.map(\.plugin) == ["eager", "filtering"])
        #expect(report.failures.first?.message.contains(early) == true)
        #expect(try fixture.queued(origin: "eager").isEmpty)

        // After a handler ran (or failed), the plugin is outside a handler again.
        let plugin = try host.plugin("filtering")
        #expect(try plugin.handle(addedChange()).count == 1)
        expectScriptError("relais.notify: only change handlers") { _ = try plugin.filter("noisy", sampleEvents[0]) }
        expectScriptError("stop") { _ = try plugin.handle(addedChange(sampleEvents[1])) }
        expectScriptError("relais.notify: only change handlers") { _ = try plugin.filter("noisy", sampleEvents[0]) }
    }

    @Test func notifyInARunScriptWithoutAnOutboxIsRefused() throws {
        let source = """
            local x = 1
            relais.notify{ channel = "file", to = "journal", body = "b", key = "k-1" } -- HERE
            return 0
            """
        let outcome = try runScript(source)
        expectFailure(outcome, "script.lua:\(line(of: "-- HERE", in: source)): relais.notify: only change handlers")
    }

    // MARK: - relais.secret

    @Test func secretsAreReadByTheirOwnerOnly() throws {
        let folders = try PluginFolders()
        let reader = """
            relais.on("event.added", function(change)
              relais.notify{ channel = "file", to = "secrets",
                body = tostring(relais.secret("token")) .. " " .. tostring(relais.secret("other")) }
            end)
            print("at load: " .. tostring(relais.secret("token")))
            """
        try folders.add("alpha", initSource: reader)
        try folders.add("beta", initSource: reader)
        let secrets = FixedSecrets(["alpha/token": "s3cr3t", "gamma/token": "not yours"])
        let log = TextSink()
        let host = folders.host(log: log)
        host.secrets = secrets

        // The value reaches the plugin; what it queues keeps a reference, resolved when sent.
        let queued = try host.plugin("alpha").handle(addedChange())
        #expect(queued.map(\.body) == [SecretReference.reference(to: "token") + " nil"])
        #expect(try queued.map { try $0.resolvingSecrets(from: secrets).0.body } == ["s3cr3t nil"])
        #expect(try host.plugin("beta").handle(addedChange()).map(\.body) == ["nil nil"])
        #expect(log.lines == ["[alpha] at load: ‹secret:token›", "[beta] at load: nil"])
        #expect(secrets.asked.contains(FixedSecrets.Question(owner: "beta", name: "token")))
        #expect(Set(secrets.asked.map(\.owner)) == ["alpha", "beta"])

        // Without a source, every secret is nil.
        let bare = folders.host()
        #expect(try bare.plugin("alpha").handle(addedChange()).map(\.body) == ["nil nil"])
    }

    /// A webhook URL with a token in its path, a bearer token in a header, a secret in the
    /// body: the outbox keeps references to them; logs and errors show their names.
    @Test func secretsAHandlerPutsIntoADeliveryAreKeptAsReferences() throws {
        let folders = try PluginFolders()
        try folders.add(
            "alpha",
            initSource: """
                relais.on("event.added", function(change)
                  local url = relais.secret("webhook-url")
                  relais.log("posting to " .. url)
                  relais.notify{ channel = "webhook", to = url, body = '{"token":"' .. relais.secret("token") .. '"}',
                    headers = { Authorization = "Bearer " .. relais.secret("token") } }
                  relais.notify{ channel = "sendmail", to = "team@example.org", subject = "token " .. relais.secret("token"),
                    body = "corps", html = "<p>" .. relais.secret("token") .. "</p>" }
                end)
                """)
        let secrets = FixedSecrets([
            "alpha/webhook-url": "https://hooks.example.org/T0KEN-PATH/relais", "alpha/token": "tok-123",
        ])
        let log = TextSink()
        let host = folders.host(log: log)
        host.secrets = secrets
        let queued = try host.plugin("alpha").handle(addedChange())
        #expect(queued.count == 2)
        let stored = queued.map { [$0.recipient, $0.subject ?? "", $0.body, $0.html ?? ""] + $0.headers.map(\.value) }
        for field in stored.joined() {
            #expect(!field.contains("T0KEN") && !field.contains("tok-123"), "stored: \(field)")
        }
        #expect(queued[0].recipient == SecretReference.reference(to: "webhook-url"))
        #expect(queued[0].headers.map(\.value) == ["Bearer " + SecretReference.reference(to: "token")])
        #expect(queued[0].displayedRecipient == "‹secret:webhook-url›")
        #expect(log.text.contains("posting to ‹secret:webhook-url›") && !log.text.contains("T0KEN"))

        let (sent, used) = try queued[0].resolvingSecrets(from: secrets)
        #expect(sent.recipient == "https://hooks.example.org/T0KEN-PATH/relais")
        #expect(sent.body == #"{"token":"tok-123"}"#)
        #expect(sent.headers.map(\.value) == ["Bearer tok-123"])
        #expect(Set(used.map(\.name)) == ["webhook-url", "token"])
        let (mail, _) = try queued[1].resolvingSecrets(from: secrets)
        #expect(mail.subject == "token tok-123" && mail.html == "<p>tok-123</p>" && mail.body == "corps")

        // Once the secret is gone from the configuration, sending says which one is missing.
        #expect(throws: SecretReference.MissingSecret.self) {
            _ = try queued[0].resolvingSecrets(from: FixedSecrets(["alpha/token": "tok-123"]))
        }
    }

    @Test func errorsAndRefusalsNeverShowASecretsValue() throws {
        let folders = try PluginFolders()
        let source = """
            relais.on("event.added", function(change)
              local token = relais.secret("token")
              if change.after.id == "mip-001" then
                relais.notify{ channel = "webhook", to = "not a url " .. token, body = "{}" } -- BADURL
              elseif change.after.id == "mip-002" then
                relais.notify{ channel = "file", to = "x", body = "{}", key = "k-" .. token } -- KEY
              elseif change.after.id == "mip-003" then
                relais.notify{ channel = "file", to = "x", body = "\u{E000}secret:token\u{E001}" } -- FORGED
              else
                error("failed with " .. token) -- ERROR
              end
            end)
            """
        try folders.add("alpha", initSource: source)
        let host = folders.host()
        host.secrets = FixedSecrets(["alpha/token": "tok-123"])
        let plugin = try host.plugin("alpha")
        let cases: [(Event, String)] = [
            (sampleEvents[0], "alpha/init.lua:\(line(of: "-- BADURL", in: source)): relais.notify: a webhook goes to an http:// or https:// URL, not 'not a url ‹secret:token›'"),
            (sampleEvents[1], "alpha/init.lua:\(line(of: "-- KEY", in: source)): relais.notify: key must not contain a secret"),
            (sampleEvents[2], "alpha/init.lua:\(line(of: "-- FORGED", in: source)): relais.notify: body must not contain U+E000 or U+E001"),
            (sampleEvents[3], "alpha/init.lua:\(line(of: "-- ERROR", in: source)): failed with ‹secret:token›"),
        ]
        for (event, expected) in cases {
            do {
                _ = try plugin.handle(addedChange(event))
                Issue.record("\(event.id): no error")
            } catch let error as ScriptError {
                #expect(error.message.hasPrefix(expected), "\(event.id): \(error.message)")
                #expect(!error.description.contains("tok-123"))
            }
        }
    }

    @Test(arguments: ["\"a b\"", "\"../x\"", "\"\"", "\"a.b\""])
    func secretNamesAreChecked(_ name: String) throws {
        let folders = try PluginFolders()
        try folders.add("alpha", initSource: "local x = 1\nlocal value = relais.secret(\(name))\n")
        let secrets = FixedSecrets(["alpha/token": "s3cr3t"])
        let host = folders.host()
        host.secrets = secrets
        expectScriptError("alpha/init.lua:2: relais.secret: a secret name is letters, digits, - and _") {
            _ = try host.plugin("alpha")
        }
        #expect(secrets.asked.isEmpty, "an invalid name never reaches the source")
    }

    @Test func secretNamesMustBeStrings() throws {
        let folders = try PluginFolders()
        try folders.add("alpha", initSource: "relais.secret(42)")
        expectScriptError("alpha/init.lua:1: relais.secret: argument #1 must be a string, got number") {
            _ = try folders.host().plugin("alpha")
        }
    }
}

// MARK: - Cases and helpers

/// A `relais.notify` call that must be refused, and what the error must say.
struct NotifyCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// The argument, as Lua source.
    var spec: String
    var expected: String
    var testDescription: String { name }
}

let badNotifyCases: [NotifyCase] = [
    NotifyCase(name: "not a table", spec: #""hello""#, expected: "argument #1 must be a table, got string"),
    NotifyCase(
        name: "unknown channel", spec: #"{ channel = "sms", to = "0600000000", body = "b" }"#,
        expected: "unknown channel 'sms'"),
    NotifyCase(
        name: "no recipient", spec: #"{ channel = "file", body = "b" }"#,
        expected: "field 'to' must be a string, got nil"),
    NotifyCase(
        name: "webhook to ftp", spec: #"{ channel = "webhook", to = "ftp://x", body = "b" }"#,
        expected: "a webhook goes to an http:// or https:// URL, not 'ftp://x'"),
    NotifyCase(
        name: "sendmail to a non-address", spec: #"{ channel = "sendmail", to = "not-an-address", body = "b" }"#,
        expected: "sendmail goes to e-mail addresses separated by commas, not 'not-an-address'"),
    NotifyCase(
        name: "sendmail with a header in the address",
        spec: #"{ channel = "sendmail", to = "a@example.org\nBcc: spy@example.org", body = "b" }"#,
        expected: "sendmail goes to e-mail addresses"),
    NotifyCase(
        name: "file outside its folder", spec: #"{ channel = "file", to = "../etc", body = "b" }"#,
        expected: "the file channel goes to a folder name (letters, digits, - and _), not '../etc'"),
    NotifyCase(
        name: "subject with a line feed",
        spec: #"{ channel = "sendmail", to = "a@example.org", subject = "Hello\nBcc: spy@example.org", body = "b" }"#,
        expected: "subject must not contain a line break"),
    NotifyCase(
        name: "subject with a carriage return",
        spec: #"{ channel = "sendmail", to = "a@example.org", subject = "Hello\rBcc: spy@example.org", body = "b" }"#,
        expected: "subject must not contain a line break"),
    NotifyCase(
        name: "header value with a line break",
        spec: #"{ channel = "webhook", to = "https://example.org", body = "b", headers = { ["X-Note"] = "a\nb" } }"#,
        expected: "header 'X-Note' must not contain a line break"),
    NotifyCase(
        name: "header name with a space",
        spec: #"{ channel = "webhook", to = "https://example.org", body = "b", headers = { ["X Note"] = "a" } }"#,
        expected: "header name X Note is not a valid header name"),
    NotifyCase(
        name: "header value not a string",
        spec: #"{ channel = "webhook", to = "https://example.org", body = "b", headers = { ["X-Count"] = 3 } }"#,
        expected: "header 'X-Count' must be a string, got number"),
    NotifyCase(
        name: "body a number", spec: #"{ channel = "file", to = "journal", body = 42 }"#,
        expected: "field 'body' must be a string or a table, got number"),
    NotifyCase(
        name: "key longer than 200 bytes",
        spec: #"{ channel = "file", to = "journal", body = "b", key = string.rep("k", 201) }"#,
        expected: "key must have 1 to 200 bytes"),
    NotifyCase(
        name: "empty key", spec: #"{ channel = "file", to = "journal", body = "b", key = "" }"#,
        expected: "key must have 1 to 200 bytes"),
    NotifyCase(
        name: "key with a control character", spec: #"{ channel = "file", to = "journal", body = "b", key = "a\tb" }"#,
        expected: "key must not contain control characters"),
]

/// Secrets keyed "owner/name"; remembers what it was asked.
final class FixedSecrets: SecretSource, @unchecked Sendable {
    struct Question: Hashable {
        var owner: String
        var name: String
    }

    private let values: [String: String]
    private let lock = NSLock()
    private var questions: [Question] = []

    init(_ values: [String: String]) { self.values = values }

    var asked: [Question] { lock.withLock { questions } }

    func secret(owner: String, name: String) -> String? {
        lock.withLock { questions.append(Question(owner: owner, name: name)) }
        return values["\(owner)/\(name)"]
    }
}

/// Forwards to a catalogue, counting the reads of changes by kind.
private final class CountingStore: CatalogueStore {
    private let catalogue: SQLiteCatalogue
    let kindReads = Counter()

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() { lock.withLock { value += 1 } }
        var current: Int { lock.withLock { value } }
    }

    init(_ catalogue: SQLiteCatalogue) { self.catalogue = catalogue }

    var bus: EventBus { catalogue.bus }

    func importBatch(origin: String, dryRun: Bool, _ work: (any ImportSession) throws -> Void) throws -> ImportReport {
        try catalogue.importBatch(origin: origin, dryRun: dryRun, work)
    }

    func forEachEvent(matching query: EventQuery, _ body: (consuming Event) throws -> Bool) throws {
        try catalogue.forEachEvent(matching: query, body)
    }

    func count(matching query: EventQuery) throws -> Int { try catalogue.count(matching: query) }

    func event(id: String) throws -> Event? { try catalogue.event(id: id) }

    func changes(after sequence: Int64, limit: Int) throws -> [EventChange] {
        try catalogue.changes(after: sequence, limit: limit)
    }

    func changes(after sequence: Int64, through last: Int64, kinds: Set<ChangeKind>, limit: Int) throws
        -> [EventChange]
    {
        kindReads.increment()
        return try catalogue.changes(after: sequence, through: last, kinds: kinds, limit: limit)
    }

    func firstPossibleChange(after sequence: Int64, kinds: Set<ChangeKind>) throws -> Int64 {
        try catalogue.firstPossibleChange(after: sequence, kinds: kinds)
    }
}
